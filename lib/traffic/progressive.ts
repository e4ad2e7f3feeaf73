/**
 * The progressive shift: lock check, gates, optional smoke test, then step by step with a bake
 * after each step, watching the target colour's alarms and target health and the rule itself.
 * On ALARM, unhealthy targets, a blind poll or a signal it restores the pre-shift weights and
 * verifies them; when someone else changed the rule it stops and leaves their change alone.
 *
 * Every decision is schedule.ts's pure `decide`; this file only observes, writes and reports.
 * Like `shift`, it re-reads the rule before every write, never sends Conditions, and sends the
 * complete action with only the weights changed.
 */
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import { EXIT, ShiftError, type Elbv2 } from "./aws";
import { decide, formatDuration, planSteps, shareOf, type Decision, type Schedule } from "./schedule";
import {
  describeWeights,
  gates,
  inputError,
  lockGate,
  moveTestListener,
  readLive,
  recordPrevious,
  same,
  where,
  type Live,
  type LockSummary,
  type Options,
  type Selection,
} from "./shift";
import type { SmokeReport } from "./smoke";
import { encodeWeights, other, readWeights, sameWeights, withWeights, type Colour, type Weights } from "./weights";

export interface ProgressiveParams {
  readonly to: Colour;
  readonly schedule: Schedule;
  /** Keep watching this long after the last step, with automatic restore (the old colour is still warm). */
  readonly finalBakeMs: number;
  readonly pollMs: number;
  /** Runs the smoke test through the test listener; called once, before any weight moves. */
  readonly smoke?: (testColour: Colour | undefined) => Promise<SmokeReport>;
}

export interface Health {
  readonly healthy: number;
  readonly registered: number;
  readonly states: readonly string[];
}

/** One line of `--json` output per event. */
export type ProgressEvent =
  | {
      readonly event: "start";
      readonly target: string;
      readonly to: Colour;
      readonly before: Weights;
      readonly steps: readonly Weights[];
      readonly bakeSeconds: number;
      readonly finalBakeSeconds: number;
      readonly pollSeconds: number;
      readonly dryRun: boolean;
    }
  | ({ readonly event: "lock" } & LockSummary)
  | { readonly event: "gates"; readonly passed: readonly string[]; readonly forced: readonly string[] }
  | ({ readonly event: "smoke" } & SmokeReport)
  | { readonly event: "step"; readonly step: number; readonly of: number; readonly weights: Weights; readonly bakeSeconds: number }
  | {
      readonly event: "poll";
      readonly step: number;
      readonly of: number;
      readonly weights?: Weights;
      readonly secondsLeft: number;
      readonly alarms: Readonly<Record<string, string>>;
      readonly missingAlarms: readonly string[];
      readonly health: Health;
      readonly error?: string;
      readonly decision: Decision["action"];
    }
  | { readonly event: "rollback"; readonly step: number; readonly reason: string }
  | { readonly event: "restored"; readonly weights: Weights }
  | { readonly event: "stopped"; readonly reason: string; readonly weights?: Weights }
  | { readonly event: "test-listener"; readonly before?: Colour; readonly after: Colour };

export interface Runtime {
  emit(e: ProgressEvent): void;
  warn(line: string): void;
  /** The signal received so far (SIGINT, SIGTERM), if any. */
  interrupted(): string | undefined;
  /** Waits `ms`, or less when a signal arrives. */
  sleep(ms: number): Promise<void>;
  /** A monotonic clock in milliseconds. */
  now(): number;
}

export type OutcomeKind = "completed" | "nothing-to-change" | "dry-run" | "restored" | "stopped" | "restore-failed";

export interface Outcome {
  readonly outcome: OutcomeKind;
  readonly exitCode: number;
  readonly message: string;
  readonly before: Weights;
  /** The live weights at the end, as last read (undefined when they could not be read). */
  readonly live?: Weights;
  readonly lock?: LockSummary;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function weightsOf(actions: readonly Action[], live: Live): Weights | undefined {
  try {
    return readWeights(actions, live.colourOf);
  } catch {
    return undefined;
  }
}

/** The actions with the weights taken out: what must stay equal while only this run changes weights. */
function shape(actions: readonly Action[]): string {
  return JSON.stringify(
    actions.map((a) => ({
      ...a,
      TargetGroupArn: undefined,
      ForwardConfig: a.ForwardConfig && { ...a.ForwardConfig, TargetGroups: a.ForwardConfig.TargetGroups?.map((g) => ({ ...g, Weight: undefined })) },
    })),
  );
}

export async function progressiveShift(aws: Elbv2, sel: Selection, opts: Options, p: ProgressiveParams, rt: Runtime): Promise<Outcome> {
  const live = await readLive(aws, sel);
  const before = live.weights;
  const to = p.to;
  const label = where(sel.target);
  let plan: Weights[];
  try {
    plan = planSteps(before, to, p.schedule.steps);
    // Refuse a rule that cannot take these weights before anything moves.
    for (const w of plan) withWeights(live.actions, live.colourOf, w, label);
  } catch (e) {
    inputError(e);
  }
  rt.emit({
    event: "start",
    target: sel.target.arn,
    to,
    before,
    steps: plan,
    bakeSeconds: p.schedule.bakeMs / 1000,
    finalBakeSeconds: p.finalBakeMs / 1000,
    pollSeconds: p.pollMs / 1000,
    dryRun: opts.dryRun,
  });
  const end = (outcome: OutcomeKind, exitCode: number, message: string, liveNow: Weights | undefined, lock?: LockSummary): Outcome => ({ outcome, exitCode, message, before, live: liveNow, lock });
  if (plan.length === 0) return end("nothing-to-change", EXIT.ok, `nothing to change: ${to} already has ${Math.round(shareOf(before, to))}% of the traffic (${encodeWeights(before)})`, before);

  const lock = await lockGate(aws, sel, opts);
  rt.emit({ event: "lock", ...lock });
  const g = await gates(aws, sel, live, [to]);
  if (g.failed.length > 0) {
    if (!opts.force) throw new ShiftError(`refused, nothing changed: ${g.failed.join("; ")}. Fix it, or override with --force.`, EXIT.gate);
    for (const f of g.failed) opts.warn(`WARNING: --force overrides a failed gate: ${f}`);
  }
  rt.emit({ event: "gates", passed: g.passed, forced: opts.force ? g.failed : [] });

  if (p.smoke) {
    if (sel.testListenerArn && live.testColour !== to) {
      throw new ShiftError(
        `refused, nothing changed: the test listener ${sel.testListenerArn} forwards to ${live.testColour ?? "a target group that is neither blue nor green"}, not ${to}, so the smoke test would not exercise ${to}. ` +
          `Point it at ${to} (a full shift away from ${to} does), or shift to the colour it serves.`,
        EXIT.gate,
      );
    }
    if (!sel.testListenerArn) opts.warn("warning: no test listener given (--test-listener-arn): cannot verify which colour the smoke test reaches");
    const report = await p.smoke(live.testColour);
    rt.emit({ event: "smoke", ...report });
    if (!report.ok) {
      const first = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.failures.join("; ")}`);
      // --force does not override it: whoever passes --smoke asked for it; leave --smoke out to skip it.
      throw new ShiftError(`refused, nothing changed: the smoke test failed (${report.failed} of ${report.results.length} requests via ${report.baseUrl}): ${first.join(" | ")}`, EXIT.gate);
    }
  }
  if (opts.dryRun) return end("dry-run", EXIT.ok, `dry run: would move ${label} through ${plan.map(encodeWeights).join(" -> ")}; nothing changed`, before, lock);
  const early = rt.interrupted();
  if (early) return end("restored", EXIT.restored, `interrupted by ${early} before any weight moved; nothing changed`, before, lock);

  /** What this run wrote last, as read back; the rule must still equal it. */
  let expected: Action[] = live.actions;
  let expectedWeights: Weights = before;
  let written = false;

  /**
   * Puts the pre-shift weights back, unless someone else changed the rule: then it stops and
   * leaves their change alone. `pending` is a write whose outcome is unknown (it may have landed).
   */
  const restore = async (reason: string, step: number, exitCode: number = EXIT.restored, pending?: Weights): Promise<Outcome> => {
    rt.emit({ event: "rollback", step, reason });
    let lastError = "";
    let seen: Weights | undefined;
    for (let attempt = 1; attempt <= 2; attempt++) {
      let now: Action[];
      try {
        now = await aws.readActions(sel.target);
      } catch (e) {
        lastError = errorText(e);
        continue;
      }
      seen = weightsOf(now, live);
      const ours = seen !== undefined && shape(now) === shape(expected) && [expectedWeights, before, ...(pending ? [pending] : [])].some((w) => sameWeights(w, seen!));
      if (!ours) {
        const msg = `stopped while rolling back (${reason}): someone else changed ${label} meanwhile; ecs-shift did not overwrite it. Live weights: ${describeWeights(now, live.colourOf)}.`;
        rt.emit({ event: "stopped", reason: `someone else changed the rule while rolling back (${reason})`, weights: seen });
        return end("stopped", EXIT.concurrent, msg, seen, lock);
      }
      if (sameWeights(seen!, before)) {
        rt.emit({ event: "restored", weights: before });
        return end("restored", exitCode, `${written ? "rolled back" : "stopped"}: ${reason}. The pre-shift weights ${encodeWeights(before)} are live (verified).`, before, lock);
      }
      try {
        await aws.writeActions(sel.target, withWeights(now, live.colourOf, before, label));
        const check = await aws.readActions(sel.target);
        seen = weightsOf(check, live);
        if (seen && sameWeights(seen, before)) {
          rt.emit({ event: "restored", weights: before });
          return end("restored", exitCode, `rolled back: ${reason}. The pre-shift weights ${encodeWeights(before)} are live again (verified).`, before, lock);
        }
        lastError = `the restore did not take effect as sent: live weights ${seen ? encodeWeights(seen) : "unreadable"}`;
      } catch (e) {
        lastError = errorText(e);
      }
    }
    const share = before[to] >= before[other(to)] ? to : other(to);
    const hint = `ecs-shift shift --to ${share} --percent ${Math.round((before[share] * 100) / (before.blue + before.green))}`;
    return end(
      "restore-failed",
      EXIT.aws,
      `ROLLBACK FAILED after ${reason}: ${lastError}. Live weights: ${seen ? encodeWeights(seen) : "unknown (could not read the rule)"}; the pre-shift weights were ${encodeWeights(before)}. Restore them by hand now: ${hint} (with the same --env/--rule-arn).`,
      seen,
      lock,
    );
  };

  const stop = (reason: string, seen: Weights | undefined): Outcome => {
    rt.emit({ event: "stopped", reason, weights: seen });
    return end("stopped", EXIT.concurrent, `stopped: ${reason}. ecs-shift did not overwrite it; live weights: ${seen ? encodeWeights(seen) : "unreadable"}. Check \`ecs-shift status\`, then shift or revert by hand.`, seen, lock);
  };

  const observe = async (expectedNow: Action[]) => {
    let seen: Weights | undefined;
    let unchanged = false;
    let health: Health = { healthy: 0, registered: 0, states: [] };
    const alarms: Record<string, string> = {};
    const missing: string[] = [];
    let error: string | undefined;
    try {
      const now = await aws.readActions(sel.target);
      seen = weightsOf(now, live);
      unchanged = same(now, expectedNow);
      health = await aws.health(live.arnOf[to]);
      const names = sel.alarms[to];
      const states = await aws.alarmStates(names);
      for (const n of names) {
        const s = states.get(n);
        if (s === undefined) missing.push(n);
        else alarms[n] = s;
      }
    } catch (e) {
      error = errorText(e);
    }
    return { seen, unchanged, health, alarms, missing, error };
  };

  const bake = async (step: number, ms: number): Promise<Outcome | undefined> => {
    const deadline = rt.now() + ms;
    for (;;) {
      const o = await observe(expected);
      // Within a timer's precision of the deadline counts as the end: no extra poll milliseconds before it.
      const left = deadline - rt.now();
      const remainingMs = left < 20 ? 0 : left;
      const d = decide({
        seen: o.seen,
        expected: expectedWeights,
        actionsUnchanged: o.unchanged,
        alarms: o.alarms,
        targets: o.health.states,
        interrupted: rt.interrupted(),
        pollError: o.error,
        remainingMs,
      });
      rt.emit({
        event: "poll",
        step,
        of: plan.length,
        weights: o.seen,
        secondsLeft: Math.round(remainingMs / 100) / 10,
        alarms: o.alarms,
        missingAlarms: o.missing,
        health: o.health,
        error: o.error,
        decision: d.action,
      });
      if (d.action === "stop") return stop(d.reason, o.seen);
      if (d.action === "restore") return restore(d.reason, step);
      if (d.action === "next") return undefined;
      await rt.sleep(Math.min(p.pollMs, Math.max(0, deadline - rt.now())));
    }
  };

  for (let i = 0; i < plan.length; i++) {
    const step = i + 1;
    const w = plan[i];
    const sig = rt.interrupted();
    if (sig) return restore(`interrupted by ${sig}`, step);
    // Re-read just before writing: another writer's change is never overwritten.
    let now: Action[];
    try {
      now = await aws.readActions(sel.target);
    } catch (e) {
      if (!written) throw e;
      return restore(`could not re-read the rule before step ${step}: ${errorText(e)}`, step, EXIT.aws);
    }
    if (!same(now, expected)) return stop(`someone else changed ${label} ${written ? `during step ${i}` : "since it was read"}`, weightsOf(now, live));
    try {
      await aws.writeActions(sel.target, withWeights(now, live.colourOf, w, label));
    } catch (e) {
      return restore(`writing step ${step} (${encodeWeights(w)}) failed: ${errorText(e)}`, step, EXIT.aws, w);
    }
    let check: Action[];
    try {
      check = await aws.readActions(sel.target);
    } catch (e) {
      return restore(`reading back step ${step} failed: ${errorText(e)}`, step, EXIT.aws, w);
    }
    const seen = weightsOf(check, live);
    // Only the weights are compared: the API may echo other fields in its own form.
    if (!seen || !sameWeights(seen, w)) {
      if (seen && sameWeights(seen, expectedWeights) && shape(check) === shape(expected)) {
        // A lost write: nothing moved. Before the first step that is simply an AWS failure.
        if (!written) throw new ShiftError(`the write did not take effect as sent (lost write): asked ${encodeWeights(w)}, live weights still ${encodeWeights(seen)}; nothing changed.`, EXIT.aws);
        return restore(`step ${step} did not take effect as sent (lost write)`, step, EXIT.aws);
      }
      return stop(`someone else changed ${label} right after step ${step} was written`, seen);
    }
    expected = check;
    expectedWeights = w;
    if (!written) {
      written = true;
      try {
        await recordPrevious(aws, sel, live);
      } catch (e) {
        return restore(`recording the pre-shift weights on the rule failed: ${errorText(e)}`, step, EXIT.aws);
      }
    }
    const bakeMs = i < plan.length - 1 ? p.schedule.bakeMs : p.finalBakeMs;
    rt.emit({ event: "step", step, of: plan.length, weights: w, bakeSeconds: bakeMs / 1000 });
    if (bakeMs > 0) {
      const stopped = await bake(step, bakeMs);
      if (stopped) return stopped;
    }
  }

  const after = plan[plan.length - 1];
  // After a full shift the test listener points at the now idle colour, where the next release goes.
  if (after[to] > 0 && after[other(to)] === 0 && sel.testListenerArn && live.testColour !== other(to)) {
    await moveTestListener(aws, sel, live, other(to), after);
    rt.emit({ event: "test-listener", before: live.testColour, after: other(to) });
  }
  const baked = p.schedule.bakeMs > 0 && plan.length > 1 ? ` with ${formatDuration(p.schedule.bakeMs)} bakes` : "";
  return end("completed", EXIT.ok, `shifted: ${encodeWeights(before)} -> ${encodeWeights(after)} in ${plan.length} step${plan.length === 1 ? "" : "s"}${baked}`, after, lock);
}
