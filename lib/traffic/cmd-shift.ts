/**
 * `ecs-shift shift` (at once, or step by step) and `ecs-shift revert`: check the input, build the
 * plan, run it through the engine (journal, lease, gates, writes, restore), report.
 */
import { Elbv2, EXIT, ShiftError } from "./aws";
import { boundsOf, colourArg, DEFAULT_RESTORE_TIMEOUT, durationArg, inputErr, percentWeights, selection, type Resolved, type ShiftArgs, type Writes } from "./args";
import type { Outcome, WritePlan } from "./engine";
import { failureDoc, type Reporter } from "./report";
import { processRuntime } from "./runtime";
import { WeightError, type Colour } from "./weights";
import { io, loadSpec, testListenerUrl } from "./cmd-common";

export async function runShift(o: ShiftArgs): Promise<number> {
  const progressive = o.steps !== undefined || o.strategy !== undefined || o.bake !== undefined || o.smoke !== undefined || o.finalBake !== undefined;
  return runWriteCommand("shift", o, progressive, async (r, aws) => {
    const to = colourArg(o.to, "--to");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sched = require("./schedule") as typeof import("./schedule");
    const schedule = inputErr(() => {
      if (o.percent !== undefined && (o.steps !== undefined || o.strategy !== undefined)) throw new WeightError("--percent goes without --steps/--strategy (the last step is always 100)");
      if (o.steps !== undefined || o.strategy !== undefined || o.bake !== undefined) return sched.resolveSchedule(o);
      // A plain shift, or --smoke / --final-bake on a one-step shift to --percent (default 100).
      return { steps: [percentWeights(to, o.percent ?? "100")[to]], bakeMs: 0 };
    });
    const finalBakeMs = o.finalBake === undefined ? 0 : durationArg(o.finalBake, "--final-bake");
    const pollMs = durationArg(o.poll, "--poll", 100);
    const spec = o.smoke !== undefined ? loadSpec(o.smoke) : undefined;
    const baseUrl = spec && aws ? await testListenerUrl(aws, r, o.baseUrl) : undefined;
    return {
      kind: "shift",
      to,
      schedule,
      finalBakeMs,
      pollMs,
      smoke: spec && baseUrl ? (colour: Colour | undefined) => spec.run(spec.spec, baseUrl, colour) : undefined,
    };
  });
}

export function runRevert(o: Writes): Promise<number> {
  return runWriteCommand("revert", o, false, async () => ({ kind: "revert" }));
}

/**
 * The frame of every write command: input checks before any call (exit 2), bounded AWS calls, a
 * signal runtime, one report. `progressive` picks the event stream (one JSON event per line)
 * over the single document of a plain shift or revert.
 */
async function runWriteCommand(command: "shift" | "revert", o: Writes, progressive: boolean, planOf: (r: Resolved, aws: Elbv2 | undefined) => Promise<WritePlan>): Promise<number> {
  const { out, err, warn } = io;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rep = require("./report") as typeof import("./report");
  const reporter: Reporter | undefined = progressive ? (o.json ? rep.jsonReporter(out) : rep.textReporter(out, err, !!process.stdout.isTTY, () => process.stdout.columns ?? 80)) : undefined;
  const fail = (e: unknown, liveWeights: { blue: number; green: number } | null | undefined): number => {
    const code = e instanceof ShiftError ? e.exitCode : EXIT.aws;
    const message = e instanceof Error ? e.message : String(e);
    const live = e instanceof ShiftError && e.liveWeights !== undefined ? e.liveWeights : (liveWeights ?? null);
    if (reporter) {
      if (o.json) reporter.end({ outcome: code === EXIT.gate ? "refused" : "error", exitCode: code, message, error: message, liveWeights: live });
    } else if (o.json) out(`${failureDoc(command, message, code, live)}\n`);
    err(`ecs-shift: ${message}\n`);
    return code;
  };

  let r: Resolved;
  let plan: WritePlan;
  let bounds;
  let restoreTimeoutMs: number;
  try {
    r = selection(o, o);
    bounds = boundsOf(o);
    restoreTimeoutMs = durationArg(o.restoreTimeout ?? DEFAULT_RESTORE_TIMEOUT, "--restore-timeout", 1000);
    // Input that needs no AWS call is checked first; the smoke URL may need one (the listener's port).
    plan = await planOf(r, undefined);
  } catch (e) {
    return fail(e, null);
  }
  const rt = processRuntime((e) => reporter?.event(e), warn, bounds.timeoutMs);
  const aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl, requestTimeoutMs: bounds.requestTimeoutMs, signal: rt.signal });
  try {
    if (plan.kind === "shift" && (o as ShiftArgs).smoke !== undefined) plan = await planOf(r, aws);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runWrite } = require("./engine") as typeof import("./engine");
    const outcome: Outcome = await runWrite(aws, r.sel, { dryRun: !!o.dryRun, force: !!o.force, warn, restoreTimeoutMs, selectionArgs: r.args }, plan, rt);
    if (reporter) {
      reporter.end(outcome);
      if (o.json && outcome.exitCode !== 0) err(`ecs-shift: ${outcome.message}\n`);
    } else if (outcome.exitCode === 0) {
      out(o.json ? `${JSON.stringify({ command, ...outcome })}\n` : `${rep.shiftLines(outcome, command).join("\n")}\n`);
    } else {
      if (o.json) out(`${failureDoc(command, outcome.message, outcome.exitCode, outcome.live, { outcome: outcome.outcome, trafficMoved: outcome.trafficMoved, journal: outcome.journal ?? null })}\n`);
      err(`ecs-shift: ${outcome.message}\n`);
    }
    return outcome.exitCode;
  } catch (e) {
    const why = rt.aborted();
    if (why) {
      const sig = rt.interrupted();
      const wrapped = new ShiftError(
        sig
          ? `interrupted by ${sig} before anything was written; nothing changed`
          : `${why}: ${e instanceof Error ? e.message : String(e)}. Nothing was written; the live weights are ${e instanceof ShiftError && e.liveWeights ? `blue=${e.liveWeights.blue},green=${e.liveWeights.green}` : "unknown (they could not be read)"}. When the endpoint answers again, run the same command again; \`ecs-shift status ${r.args}\` shows the state.`,
        sig ? EXIT.restored : EXIT.aws,
      );
      wrapped.liveWeights = e instanceof ShiftError ? e.liveWeights : undefined;
      return fail(wrapped, null);
    }
    return fail(e, null);
  } finally {
    rt.dispose();
    aws.destroy();
  }
}
