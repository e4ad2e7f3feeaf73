/**
 * Every write of ecs-shift goes through here: a plain shift (one step), a progressive shift
 * (steps with bakes) and a revert. In order:
 *
 *  1. read the rule, its target groups, the test listener and the rule's tags (abortable: a
 *     signal or the command's deadline ends it, nothing written);
 *  2. decide what to write (pure: schedule.ts, journal.ts), refuse when another run holds the
 *     lease, pass the gates (health, alarms, Terraform lock, smoke);
 *  3. take the lease (a tag), read it back together with the rule; write the journal entry
 *     (in-progress, pre-shift weights and test listener, steps, who, when) and read it back;
 *  4. each step: check the lease and the rule right before the write, write only the weights,
 *     read back; during bakes poll alarms, health, the rule and the lease, refresh the heartbeat;
 *  5. move the test listener; mark the journal done (or reverted) and release the lease.
 *
 * SIGINT/SIGTERM at any point after the first write, a failed poll, an alarm or unhealthy
 * targets: restore the pre-shift weights (and test listener), retrying through throttling, 5xx
 * and timeouts until --restore-timeout, verified by reading back. Someone else's change is
 * never overwritten: stop (exit 5) and say what is live.
 */
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import { randomBytes } from "node:crypto";
import { EXIT, ShiftError, type Elbv2 } from "./aws";
import {
  HEARTBEAT_MS,
  journalTags,
  leaseDecision,
  leaseTags,
  newShiftId,
  readJournal,
  readLease,
  revertDecision,
  TAG,
  type Journal,
} from "./journal";
import { decide, formatDuration, planSteps, shareOf, type Decision, type Schedule } from "./schedule";
import { callerIdentity, describeWeights, gates, inputError, lockGate, readLive, same, testColourOf, where, type Live, type LockSummary, type Options, type Selection } from "./shift";
import type { SmokeReport } from "./smoke";
import { encodeWeights, gainingColours, other, readWeights, sameWeights, withWeights, type Colour, type Weights } from "./weights";

export interface ShiftPlan {
  readonly kind: "shift";
  readonly to: Colour;
  readonly schedule: Schedule;
  /** Keep watching this long after the last step, with automatic restore. */
  readonly finalBakeMs: number;
  readonly pollMs: number;
  /** Runs the smoke test through the test listener; called once, before any weight moves. */
  readonly smoke?: (testColour: Colour | undefined) => Promise<SmokeReport>;
}

export type WritePlan = ShiftPlan | { readonly kind: "revert" };

export interface EngineOptions extends Options {
  /** A restore keeps trying (throttling, 5xx, timeouts) this long before ROLLBACK FAILED. */
  readonly restoreTimeoutMs: number;
  /** The selection flags as typed, for the commands printed in messages (`--env prod`). */
  readonly selectionArgs: string;
}

export interface Health {
  readonly healthy: number;
  readonly registered: number;
  readonly states: readonly string[];
}

/** One line of `--json` output per event (progressive shifts). */
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
  | { readonly event: "journal"; readonly id: string; readonly state: string }
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
  | { readonly event: "restore-retry"; readonly attempt: number; readonly error: string; readonly secondsLeft: number }
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
  /** Waits `ms`; signals do not cut it short (a restore's backoff). */
  pause(ms: number): Promise<void>;
  /** A monotonic clock in milliseconds. */
  now(): number;
  /** The first write is about to go out: from now on a signal must not abort calls in flight. */
  writing(): void;
}

export type OutcomeKind = "completed" | "nothing-to-change" | "dry-run" | "restored" | "stopped" | "restore-failed" | "error";

export interface Outcome {
  readonly outcome: OutcomeKind;
  readonly exitCode: number;
  readonly message: string;
  readonly target: string;
  readonly before: Weights;
  /** What the shift (or revert) was to end at. */
  readonly after: Weights;
  /** The live weights at the end, as last read; null when they could not be read. */
  readonly live: Weights | null;
  /** Whether any weight this run wrote is (or may be) live now. */
  readonly trafficMoved: boolean;
  readonly testListener?: { readonly before?: Colour; readonly after?: Colour };
  readonly gates: readonly string[];
  readonly forced: readonly string[];
  readonly lock?: LockSummary;
  readonly journal?: { readonly id: string; readonly state: string };
  readonly dryRun: boolean;
  readonly changed: boolean;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Errors that retrying cannot cure: a restore stops at once on them (access, validation, a resource gone). */
const permanent = (e: unknown) => /access denied|ValidationError|NotFound|not found|no AWS credentials/i.test(errorText(e));

/** Like Promise.all, but waits for every call and throws the first failure in argument order (stable messages). */
export async function allInOrder<T extends readonly unknown[]>(ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(ps as readonly Promise<unknown>[]);
  for (const r of settled) if (r.status === "rejected") throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

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

/** Points the test listener at `to`, keeping its action's other fields, and verifies. */
async function moveTestListener(aws: Elbv2, sel: Selection, live: Live, to: Colour): Promise<void> {
  if (!sel.testListenerArn) return;
  const current = live.testActions?.length === 1 && live.testActions[0].Type === "forward" ? live.testActions[0] : { Type: "forward" as const };
  const actions: Action[] = [{ ...structuredClone(current), TargetGroupArn: live.arnOf[to], ForwardConfig: undefined }];
  await aws.writeListenerActions(sel.testListenerArn, actions);
  const check = await aws.readListenerActions(sel.testListenerArn);
  const now = testColourOf(check, live.colourOf);
  if (now !== to) throw new ShiftError(`the test listener ${sel.testListenerArn} did not move to ${to} (it forwards to ${now ?? "something else"})`, EXIT.aws);
}

/** Runs a write; an error thrown once the rule was read carries the live weights read. */
export async function runWrite(aws: Elbv2, sel: Selection, opts: EngineOptions, plan: WritePlan, rt: Runtime): Promise<Outcome> {
  const seen: { weights?: Weights } = {};
  try {
    return await write(aws, sel, opts, plan, rt, seen);
  } catch (e) {
    if (e instanceof ShiftError && e.liveWeights === undefined && seen.weights) e.liveWeights = seen.weights;
    throw e;
  }
}

async function write(aws: Elbv2, sel: Selection, opts: EngineOptions, plan: WritePlan, rt: Runtime, seen0: { weights?: Weights }): Promise<Outcome> {
  const label = where(sel.target);
  const ruleArn = sel.target.arn;
  const revertCmd = `ecs-shift revert ${opts.selectionArgs}`;
  const statusCmd = `ecs-shift status ${opts.selectionArgs}`;

  // 1. Read everything that does not depend on each other at once. A shift reads the Terraform
  // lock meanwhile too (its warnings are held back until it is needed).
  const lockWarnings: string[] = [];
  const early =
    plan.kind === "shift" && !opts.dryRun
      ? lockGate(aws, sel, { ...opts, warn: (l) => lockWarnings.push(l) }).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        )
      : undefined;
  const [live, tags] = await allInOrder<[Live, Record<string, string>]>([readLive(aws, sel), aws.tags(ruleArn)]);
  const readLock = async (): Promise<LockSummary> => {
    if (!early) return lockGate(aws, sel, opts);
    const r = await early;
    for (const l of lockWarnings) opts.warn(l);
    if (!r.ok) throw r.e;
    return r.v;
  };
  const before = live.weights;
  seen0.weights = before;
  const oldJournal = readJournal(tags);
  const runId = newShiftId(new Date(), randomBytes(3).toString("hex"));
  let journalNow: { id: string; state: string } | undefined = oldJournal ? { id: oldJournal.id, state: oldJournal.state } : undefined;
  let lock: LockSummary | undefined;
  let passed: string[] = [];
  let forced: string[] = [];
  const actor = callerIdentity();

  // 2. What to write.
  let steps: Weights[];
  let testTo: Colour | undefined;
  let journal: Journal | undefined;
  if (plan.kind === "revert") {
    const d = revertDecision(oldJournal, before, opts.force);
    if (d.action === "refuse") throw new ShiftError(`${d.reason} (${label})`, d.exitCode);
    if (d.action === "noop") return endOf("nothing-to-change", EXIT.ok, d.reason, before, before, before, false);
    if (d.note) opts.warn(d.note);
    journal = oldJournal;
    steps = sameWeights(before, d.weights) ? [] : [d.weights];
    testTo = d.test;
  } else {
    try {
      steps = planSteps(before, plan.to, plan.schedule.steps);
    } catch (e) {
      inputError(e);
    }
    const final = steps[steps.length - 1];
    // After a full shift the test listener points at the now idle colour, where the next release goes.
    testTo = final && final[plan.to] > 0 && final[other(plan.to)] === 0 ? other(plan.to) : undefined;
  }
  try {
    for (const w of steps) withWeights(live.actions, live.colourOf, w, label);
  } catch (e) {
    inputError(e);
  }
  const after = steps.length ? steps[steps.length - 1] : before;
  const testChanges = sel.testListenerArn !== undefined && testTo !== undefined && testTo !== live.testColour;
  const progressive = plan.kind === "shift" && (plan.schedule.steps.length > 1 || plan.schedule.bakeMs > 0 || plan.finalBakeMs > 0 || plan.smoke !== undefined);

  if (plan.kind === "shift") {
    rt.emit({
      event: "start",
      target: ruleArn,
      to: plan.to,
      before,
      steps,
      bakeSeconds: plan.schedule.bakeMs / 1000,
      finalBakeSeconds: plan.finalBakeMs / 1000,
      pollSeconds: plan.pollMs / 1000,
      dryRun: opts.dryRun,
    });
  }
  function endOf(kind: OutcomeKind, exitCode: number, message: string, b: Weights, a: Weights, liveNow: Weights | null, moved: boolean, changed = false, testAfter?: Colour): Outcome {
    return {
      outcome: kind,
      exitCode,
      message,
      target: ruleArn,
      before: b,
      after: a,
      live: liveNow,
      trafficMoved: moved,
      testListener: sel.testListenerArn ? { before: live?.testColour, after: testAfter ?? live?.testColour } : undefined,
      gates: passed,
      forced,
      lock,
      journal: journalNow,
      dryRun: opts.dryRun,
      changed,
    };
  }
  if (steps.length === 0 && !testChanges && !(plan.kind === "revert" && journal)) {
    const msg = plan.kind === "shift" ? `nothing to change: ${plan.to} already has ${Math.round(shareOf(before, plan.to))}% of the traffic (${encodeWeights(before)})` : "nothing to change";
    return endOf("nothing-to-change", EXIT.ok, msg, before, before, before, false);
  }

  const ld = leaseDecision(tags, Date.now(), opts.force);
  if (ld.action === "refuse") throw new ShiftError(`refused: ${ld.reason} (${label})`, EXIT.concurrent);
  if (ld.action === "take-over") opts.warn(ld.warning);

  // Gates: only for colours that gain weight, and the Terraform lock (already being read), together.
  const [g, lockRead] = await allInOrder<[Awaited<ReturnType<typeof gates>>, LockSummary]>([gates(aws, sel, live, gainingColours(before, after)), readLock()]);
  if (g.failed.length > 0) {
    if (!opts.force) throw new ShiftError(`refused, nothing changed: ${g.failed.join("; ")}. Fix it, or override with --force.`, EXIT.gate);
    for (const f of g.failed) opts.warn(`WARNING: --force overrides a failed gate: ${f}`);
  }
  passed = g.passed;
  forced = opts.force ? g.failed : [];
  lock = lockRead;
  if (progressive) {
    rt.emit({ event: "lock", ...lock });
    rt.emit({ event: "gates", passed, forced });
  }
  if (plan.kind === "shift" && plan.smoke) {
    if (sel.testListenerArn && live.testColour !== plan.to) {
      throw new ShiftError(
        `refused, nothing changed: the test listener ${sel.testListenerArn} forwards to ${live.testColour ?? "a target group that is neither blue nor green"}, not ${plan.to}, so the smoke test would not exercise ${plan.to}. ` +
          `Point it at ${plan.to} (a full shift away from ${plan.to} does), or shift to the colour it serves.`,
        EXIT.gate,
      );
    }
    if (!sel.testListenerArn) opts.warn("warning: no test listener given (--test-listener-arn): cannot verify which colour the smoke test reaches");
    const report = await plan.smoke(live.testColour);
    rt.emit({ event: "smoke", ...report });
    if (!report.ok) {
      const first = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.failures.join("; ")}`);
      throw new ShiftError(`refused, nothing changed: the smoke test failed (${report.failed} of ${report.results.length} requests via ${report.baseUrl}): ${first.join(" | ")}`, EXIT.gate);
    }
  }
  if (opts.dryRun) {
    const msg = `dry run: would move ${label} through ${steps.map(encodeWeights).join(" -> ") || "no weight change"}; nothing changed`;
    return endOf("dry-run", EXIT.ok, msg, before, after, before, false, false, testChanges ? testTo : undefined);
  }
  const sigEarly = rt.interrupted();
  if (sigEarly) {
    return endOf("restored", EXIT.restored, `interrupted by ${sigEarly} before anything was written; nothing changed`, before, after, before, false);
  }

  // 3. The lease, then the journal, each read back. From here on calls are not aborted.
  rt.writing();
  let lastHeartbeat = rt.now();
  const heartbeatIso = () => new Date().toISOString();
  await aws.addTags(ruleArn, leaseTags({ id: runId, by: actor, heartbeat: heartbeatIso() }));
  let leaseHeld = true;
  /** This run wrote its own journal entry (over the previous one). */
  let journalWritten = false;
  /** Gives the lease back; on the way out of a run that wrote nothing, the previous journal is put back as it was. */
  const release = async (extra: Record<string, string> = {}) => {
    await aws.addTags(ruleArn, { ...extra, ...leaseTags(undefined) });
    leaseHeld = false;
  };
  const [tags2, actions2] = await Promise.all([aws.tags(ruleArn), aws.readActions(sel.target)]);
  const lease2 = readLease(tags2);
  if (lease2?.id !== runId) {
    throw new ShiftError(`refused: another ecs-shift run (${lease2?.id ?? "unknown"} by ${lease2?.by ?? "unknown"}) took the lease on ${label} at the same moment; nothing was written. Check \`${statusCmd}\`.`, EXIT.concurrent);
  }
  const abandon = async (message: string, exitCode: number, liveNow: Weights | null): Promise<Outcome> => {
    // Nothing was written: put the previous journal entry back as it was (or none), and give the lease back.
    try {
      let back: Record<string, string> = journalWritten && oldJournal ? journalTags(oldJournal) : {};
      if (journalWritten && !oldJournal) {
        try {
          await aws.removeTags(ruleArn, Object.keys(journalTags(journal!)));
        } catch {
          // Without elasticloadbalancing:RemoveTags the entry stays, marked as never written.
          back = { [TAG.state]: "abandoned", [TAG.updated]: new Date().toISOString() };
        }
      }
      await release(back);
    } catch (e) {
      opts.warn(`warning: could not release the lease on ${label}: ${errorText(e)}; it goes stale on its own`);
    }
    return endOf(exitCode === EXIT.concurrent ? "stopped" : "restored", exitCode, message, before, after, liveNow, false);
  };
  if (!same(actions2, live.actions)) {
    return abandon(`${label} changed since it was read (someone else edited it); nothing was written. Live weights: ${describeWeights(actions2, live.colourOf)}. Run again.`, EXIT.concurrent, weightsOf(actions2, live) ?? null);
  }
  let checked: { tags: Record<string, string>; actions: Action[] } | undefined = { tags: tags2, actions: actions2 };
  if (plan.kind === "shift") {
    journal = { id: runId, state: "in-progress", previous: before, previousTest: live.testColour, steps, step: 0, by: actor, at: new Date().toISOString() };
    journalWritten = true;
    await aws.addTags(ruleArn, journalTags(journal));
    // Read back the journal, and the rule with it: this is also the check right before step 1's write.
    const [t3, a3] = await Promise.all([aws.tags(ruleArn), aws.readActions(sel.target)]);
    checked = { tags: t3, actions: a3 };
    const back = readJournal(t3);
    if (!back || back.id !== runId || back.state !== "in-progress" || !sameWeights(back.previous, before)) {
      return abandon(`the journal entry on ${label} did not read back as written (another writer?); nothing was written. Check \`${statusCmd}\`.`, EXIT.concurrent, before);
    }
    journalNow = { id: runId, state: "in-progress" };
  }
  const sig0 = rt.interrupted();
  if (sig0) {
    opts.warn(`ecs-shift: ${sig0} received: stopping; no weight had moved, nothing to restore`);
    return abandon(`interrupted by ${sig0} before any weight moved; nothing changed`, EXIT.restored, before);
  }

  /** What this run wrote last, as read back; the rule must still equal it. */
  let expected: Action[] = live.actions;
  let expectedWeights: Weights = before;
  let written = false;
  /** The test listener may have moved (a move was sent). */
  let testMoved = false;
  const finalState = plan.kind === "revert" ? "reverted" : "done";

  const heartbeat = async () => {
    if (rt.now() - lastHeartbeat < HEARTBEAT_MS) return;
    lastHeartbeat = rt.now();
    try {
      await aws.addTags(ruleArn, { [TAG.heartbeat]: heartbeatIso() });
    } catch (e) {
      opts.warn(`warning: could not refresh the lease heartbeat: ${errorText(e)}`);
    }
  };

  /** Live weights read again for a failure message; null when they cannot be read. */
  const readAgain = async (): Promise<Weights | null> => {
    try {
      return weightsOf(await aws.readActions(sel.target), live) ?? null;
    } catch {
      return null;
    }
  };
  const w = (x: Weights | null | undefined) => (x ? encodeWeights(x) : "unknown (the rule could not be read)");

  /** After a weight moved, a failure that is not restored: say that traffic moved, what is live, the journal state and the next command. */
  const movedFailure = async (what: string): Promise<Outcome> => {
    const liveNow = await readAgain();
    let journalState = journalNow?.state ?? "unknown";
    if (leaseHeld) {
      try {
        await release();
      } catch {
        journalState += " (and this run's lease is still held: it goes stale 60s after the last heartbeat; then add --force)";
      }
    }
    const message =
      `${what}. TRAFFIC MOVED: the live weights are ${w(liveNow)} (read again just now; before this run: ${encodeWeights(before)}). ` +
      `The journal on ${label} says ${journalState} for run ${journalNow?.id ?? runId}. Next: \`${revertCmd}\` puts ${encodeWeights(plan.kind === "revert" ? after : before)} back` +
      (plan.kind === "shift" ? `, or run the same shift again to finish it` : "") +
      `; \`${statusCmd}\` shows the state.`;
    return endOf("error", EXIT.aws, message, before, after, liveNow, true, true);
  };

  const stop = async (reason: string, seen: Weights | undefined): Promise<Outcome> => {
    rt.emit({ event: "stopped", reason, weights: seen });
    if (leaseHeld) {
      try {
        await release();
      } catch (e) {
        opts.warn(`warning: could not release the lease on ${label}: ${errorText(e)}`);
      }
    }
    const message =
      `stopped: ${reason}. ecs-shift did not overwrite it; live weights: ${seen ? encodeWeights(seen) : "unreadable"}. ` +
      `${written ? `TRAFFIC MOVED before the stop (this run wrote ${encodeWeights(expectedWeights)}). ` : ""}The journal entry ${journalNow?.id ?? runId} stays ${journalNow?.state ?? "as it was"}. Check \`${statusCmd}\`, then shift or revert by hand.`;
    return endOf("stopped", EXIT.concurrent, message, before, after, seen ?? null, written);
  };

  /**
   * Puts the pre-shift weights (and test listener) back, unless someone else changed the rule:
   * then it stops and leaves their change alone. Retries through any error until the restore
   * deadline. `pending` is a write whose outcome is unknown (it may have landed).
   */
  const restore = async (reason: string, step: number, exitCode: number = EXIT.restored, pending?: Weights): Promise<Outcome> => {
    rt.emit({ event: "rollback", step, reason });
    const sig = rt.interrupted();
    opts.warn(
      sig
        ? `ecs-shift: ${sig} received: stopping and restoring the pre-shift weights (${encodeWeights(before)}); further signals are ignored until that is done`
        : `ecs-shift: restoring the pre-shift weights (${encodeWeights(before)}): ${reason}`,
    );
    const deadline = rt.now() + opts.restoreTimeoutMs;
    let lastError = "";
    let seen: Weights | undefined;
    let weightsBack = false;
    let testBack = !testMoved || !sel.testListenerArn || !live.testColour;
    let delay = 250;
    let permanentError = false;
    for (let attempt = 1; ; attempt++) {
      // Keep the lease fresh through a long restore (never waited for: an outage must not slow the attempts).
      if (leaseHeld) void heartbeat();
      try {
        if (!weightsBack) {
          const now = await aws.readActions(sel.target);
          seen = weightsOf(now, live);
          const ours = seen !== undefined && shape(now) === shape(expected) && [expectedWeights, before, ...(pending ? [pending] : [])].some((x) => sameWeights(x, seen!));
          if (!ours) return stop(`someone else changed ${label} while rolling back (${reason})`, seen);
          if (!sameWeights(seen!, before)) {
            await aws.writeActions(sel.target, withWeights(now, live.colourOf, before, label));
            const check = await aws.readActions(sel.target);
            seen = weightsOf(check, live);
            if (!seen || !sameWeights(seen, before)) throw new Error(`the restore did not take effect as sent: live weights ${seen ? encodeWeights(seen) : "unreadable"}`);
          }
          weightsBack = true;
          rt.emit({ event: "restored", weights: before });
        }
        if (!testBack) {
          await moveTestListener(aws, sel, live, live.testColour!);
          testBack = true;
        }
        if (journalNow && plan.kind === "shift") {
          await release({ [TAG.state]: "restored", [TAG.updated]: new Date().toISOString() });
          journalNow = { id: journalNow.id, state: "restored" };
        } else if (leaseHeld) await release();
        const message = `${written ? "rolled back" : "stopped"}: ${reason}. The pre-shift weights ${encodeWeights(before)} are live${written ? " again" : ""} (verified).`;
        return endOf("restored", exitCode, message, before, after, before, false, written);
      } catch (e) {
        lastError = errorText(e);
        if (permanent(e)) {
          permanentError = true;
          break;
        }
      }
      const left = deadline - rt.now();
      if (left <= 0) break;
      const wait = Math.min(delay, left);
      rt.emit({ event: "restore-retry", attempt, error: lastError, secondsLeft: Math.round(left / 100) / 10 });
      opts.warn(`ecs-shift: restore attempt ${attempt} failed: ${lastError}; retrying in ${formatDuration(wait)} (gives up in ${formatDuration(left)})`);
      await rt.pause(wait);
      delay = Math.min(delay * 2, 5000);
    }
    if (weightsBack) {
      const message = `${written ? "rolled back" : "stopped"}: ${reason}. The pre-shift weights ${encodeWeights(before)} are live again (verified), but ${testBack ? "the journal could not be marked restored" : `the test listener could not be moved back to ${live.testColour}`}: ${lastError}. Check \`${statusCmd}\`.`;
      return endOf("restored", exitCode, message, before, after, before, false, written);
    }
    const liveNow = (await readAgain()) ?? seen ?? null;
    let leaseNote = "";
    try {
      await release();
    } catch {
      leaseNote = ` If it names this run's lease (${runId}), it is stale 60s after its last heartbeat: then add --force.`;
    }
    const total = before.blue + before.green;
    const major: Colour = before.blue >= before.green ? "blue" : "green";
    const byHand = total > 0 ? `ecs-shift shift --to ${major} --percent ${Math.round((before[major] * 100) / total)} ${opts.selectionArgs}, or ` : "";
    const message =
      `ROLLBACK FAILED after ${reason}: ${lastError} (${permanentError ? "not retried: retrying cannot fix this" : `kept trying for ${formatDuration(opts.restoreTimeoutMs)}`}). Live weights: ${w(liveNow)}; the pre-shift weights were ${encodeWeights(before)}. ` +
      `Restore them by hand now: ${byHand}\`${revertCmd}\` (the journal entry ${journalNow?.id ?? runId} is still in-progress and records them).${leaseNote}`;
    return endOf("restore-failed", EXIT.aws, message, before, after, liveNow, true, written);
  };

  const observe = async (expectedNow: Action[], to: Colour) => {
    let seen: Weights | undefined;
    let unchanged = false;
    let health: Health = { healthy: 0, registered: 0, states: [] };
    const alarms: Record<string, string> = {};
    const missing: string[] = [];
    let error: string | undefined;
    let leaseLost: string | undefined;
    try {
      const names = sel.alarms[to];
      const [now, h, states, t] = await Promise.all([aws.readActions(sel.target), aws.health(live.arnOf[to]), aws.alarmStates(names), aws.tags(ruleArn), heartbeat()]);
      seen = weightsOf(now, live);
      unchanged = same(now, expectedNow);
      health = h;
      for (const n of names) {
        const s = states.get(n);
        if (s === undefined) missing.push(n);
        else alarms[n] = s;
      }
      const l = readLease(t);
      if (l?.id !== runId) leaseLost = l ? `run ${l.id} by ${l.by}` : "the lease was released by someone else";
    } catch (e) {
      error = errorText(e);
    }
    return { seen, unchanged, health, alarms, missing, error, leaseLost };
  };

  const bake = async (step: number, ms: number, to: Colour): Promise<Outcome | undefined> => {
    const deadline = rt.now() + ms;
    for (;;) {
      const o = await observe(expected, to);
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
        leaseLost: o.leaseLost,
        // With --force the gate let missing alarms through: the bake does too (they were never seen).
        missingAlarms: opts.force ? [] : o.missing,
        remainingMs,
      });
      rt.emit({
        event: "poll",
        step,
        of: steps.length,
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
      await rt.sleep(Math.min(plan.kind === "shift" ? plan.pollMs : 1000, Math.max(0, deadline - rt.now())));
    }
  };

  // 4. The steps.
  for (let i = 0; i < steps.length; i++) {
    const step = i + 1;
    const target = steps[i];
    const sig = rt.interrupted();
    if (sig) return written ? restore(`interrupted by ${sig}`, step) : abandonOrRestore(sig);
    // Right before the write: the lease is still ours, the rule is as this run left it.
    let now: Action[];
    try {
      if (!checked) {
        const [t, a] = await Promise.all([aws.tags(ruleArn), aws.readActions(sel.target)]);
        checked = { tags: t, actions: a };
      }
      now = checked.actions;
    } catch (e) {
      return restore(`could not re-read the rule before step ${step}: ${errorText(e)}`, step, EXIT.aws);
    }
    const l = readLease(checked.tags);
    checked = undefined;
    if (l?.id !== runId) {
      leaseHeld = false;
      return stop(`another ecs-shift run took over the lease before step ${step} (${l ? `run ${l.id} by ${l.by}` : "released"})`, weightsOf(now, live));
    }
    if (!same(now, expected)) return stop(`someone else changed ${label} ${written ? `during step ${i}` : "since it was read"}`, weightsOf(now, live));
    try {
      written = true;
      await aws.writeActions(sel.target, withWeights(now, live.colourOf, target, label));
    } catch (e) {
      return restore(`writing step ${step} (${encodeWeights(target)}) failed: ${errorText(e)}`, step, EXIT.aws, target);
    }
    if (rt.interrupted()) return restore(`interrupted by ${rt.interrupted()}`, step, EXIT.restored, target);
    let check: Action[];
    try {
      check = await aws.readActions(sel.target);
    } catch (e) {
      return restore(`reading back step ${step} failed: ${errorText(e)}`, step, EXIT.aws, target);
    }
    const seen = weightsOf(check, live);
    if (!seen || !sameWeights(seen, target)) {
      if (seen && sameWeights(seen, expectedWeights) && shape(check) === shape(expected)) {
        // A lost write: nothing moved.
        if (i === 0) {
          written = false;
          return abandon(`the write did not take effect as sent (lost write): asked ${encodeWeights(target)}, live weights now ${encodeWeights(seen)}; nothing changed.`, EXIT.aws, seen);
        }
        return restore(`step ${step} did not take effect as sent (lost write)`, step, EXIT.aws);
      }
      return stop(`someone else changed ${label} right after step ${step} was written`, seen);
    }
    expected = check;
    expectedWeights = target;
    const bakeMs = plan.kind === "shift" ? (i < steps.length - 1 ? plan.schedule.bakeMs : plan.finalBakeMs) : 0;
    if (progressive) rt.emit({ event: "step", step, of: steps.length, weights: target, bakeSeconds: bakeMs / 1000 });
    if (rt.interrupted()) return restore(`interrupted by ${rt.interrupted()}`, step);
    if (plan.kind === "shift" && step < steps.length) {
      try {
        await aws.addTags(ruleArn, { [TAG.step]: String(step), [TAG.updated]: new Date().toISOString(), [TAG.heartbeat]: heartbeatIso() });
        lastHeartbeat = rt.now();
      } catch (e) {
        opts.warn(`warning: could not record step ${step} in the journal: ${errorText(e)}`);
      }
    }
    if (bakeMs > 0 && plan.kind === "shift") {
      const stopped = await bake(step, bakeMs, plan.to);
      if (stopped) return stopped;
    }
  }

  // 5. The test listener, then the journal's final state and the lease (written while the test
  // listener is read back: one round trip less).
  const markDone = async () => {
    // A revert marks the shift's entry reverted and leaves its step count as it was.
    const done: Record<string, string> = journal ? { [TAG.state]: finalState, [TAG.updated]: new Date().toISOString(), ...(plan.kind === "shift" ? { [TAG.step]: String(steps.length) } : {}) } : {};
    await release(done);
    if (journal) journalNow = { id: journal.id, state: finalState };
  };
  const markFailed = (e: unknown) =>
    movedFailure(`the ${plan.kind === "revert" ? "revert" : "shift"} is complete (weights ${encodeWeights(after)} verified${testMoved ? `, test listener on ${testTo}` : ""}), but marking the journal ${finalState} failed: ${errorText(e)}`);
  if (testChanges && testTo) {
    const testFailed = (e: unknown) =>
      written
        ? movedFailure(`the weights are ${encodeWeights(after)} as asked (verified), but moving the test listener to ${testTo} failed: ${errorText(e)}`)
        : movedFailure(`moving the test listener to ${testTo} failed: ${errorText(e)}`);
    const current = live.testActions?.length === 1 && live.testActions[0].Type === "forward" ? live.testActions[0] : { Type: "forward" as const };
    try {
      testMoved = true;
      await aws.writeListenerActions(sel.testListenerArn!, [{ ...structuredClone(current), TargetGroupArn: live.arnOf[testTo], ForwardConfig: undefined }]);
    } catch (e) {
      if (rt.interrupted()) return restore(`interrupted by ${rt.interrupted()}`, steps.length);
      return testFailed(e);
    }
    if (rt.interrupted()) return restore(`interrupted by ${rt.interrupted()}`, steps.length);
    const [check, mark] = await Promise.allSettled([aws.readListenerActions(sel.testListenerArn!), markDone()]);
    if (rt.interrupted()) return restore(`interrupted by ${rt.interrupted()}`, steps.length);
    if (check.status === "rejected") return testFailed(check.reason);
    const now = testColourOf(check.value, live.colourOf);
    if (now !== testTo) return testFailed(new Error(`the test listener ${sel.testListenerArn} did not move to ${testTo} (it forwards to ${now ?? "something else"})`));
    if (mark.status === "rejected") return markFailed(mark.reason);
    if (progressive) rt.emit({ event: "test-listener", before: live.testColour, after: testTo });
  } else {
    if (rt.interrupted()) return restore(`interrupted by ${rt.interrupted()}`, steps.length);
    try {
      await markDone();
    } catch (e) {
      if (rt.interrupted()) return restore(`interrupted by ${rt.interrupted()}`, steps.length);
      return markFailed(e);
    }
  }
  if (rt.interrupted()) return restore(`interrupted by ${rt.interrupted()}`, steps.length);
  const baked = plan.kind === "shift" && plan.schedule.bakeMs > 0 && steps.length > 1 ? ` with ${formatDuration(plan.schedule.bakeMs)} bakes` : "";
  const message =
    plan.kind === "revert"
      ? `reverted: ${encodeWeights(before)} -> ${encodeWeights(after)} (shift ${journal?.id ?? "unrecorded"} by ${journal?.by ?? "unknown"})`
      : `shifted: ${encodeWeights(before)} -> ${encodeWeights(after)} in ${steps.length} step${steps.length === 1 ? "" : "s"}${baked}`;
  return endOf("completed", EXIT.ok, message, before, after, after, written, written || testMoved, testMoved ? testTo : undefined);

  function abandonOrRestore(sig: string): Promise<Outcome> {
    opts.warn(`ecs-shift: ${sig} received: stopping; no weight had moved, nothing to restore`);
    return abandon(`interrupted by ${sig} before any weight moved; nothing changed`, EXIT.restored, before);
  }
}
