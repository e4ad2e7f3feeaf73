/**
 * `ecs-shift status` and `ecs-shift idle`: read only. Status shows the live colour (or `none` for
 * a rule at 0/0), weights, test listener, health, and the journal: the last shift, and an
 * interrupted one with its step, holder, age and the command that restores it.
 */
import { Elbv2, EXIT, ShiftError } from "./aws";
import { boundsOf, selection, type Common } from "./args";
import { io } from "./cmd-common";
import { failureDoc, statusLines } from "./report";
import { processRuntime } from "./runtime";
import { readLive, status } from "./shift";
import { liveColour, type Colour, type Weights } from "./weights";

/** Runs a read-only command with bounded calls; failures print one line (and one JSON document with --json). */
async function readOnly(command: string, o: Common, fn: (aws: Elbv2, r: ReturnType<typeof selection>) => Promise<number>): Promise<number> {
  let r;
  let bounds;
  try {
    r = selection(o);
    bounds = boundsOf(o);
  } catch (e) {
    return failed(command, o, e);
  }
  const rt = processRuntime(() => undefined, io.warn, bounds.timeoutMs);
  const aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl, requestTimeoutMs: bounds.requestTimeoutMs, signal: rt.signal });
  try {
    return await fn(aws, r);
  } catch (e) {
    const why = rt.aborted();
    if (why) return failed(command, o, new ShiftError(`${why}: ${e instanceof Error ? e.message : String(e)}. The live weights are unknown (they could not be read); run \`ecs-shift ${command} ${r.args}\` again when the endpoint answers.`, EXIT.aws));
    return failed(command, o, e);
  } finally {
    rt.dispose();
    aws.destroy();
  }
}

export function failed(command: string, o: { json?: boolean }, e: unknown): number {
  const code = e instanceof ShiftError ? e.exitCode : EXIT.aws;
  const message = e instanceof Error ? e.message : String(e);
  if (o.json) io.out(`${failureDoc(command, message, code, e instanceof ShiftError ? e.liveWeights : null)}\n`);
  io.err(`ecs-shift: ${message}\n`);
  return code;
}

export function runStatus(o: Common): Promise<number> {
  return readOnly("status", o, async (aws, r) => {
    const doc = await status(aws, r.sel, `ecs-shift revert ${r.args}`);
    io.out(o.json ? `${JSON.stringify({ command: "status", ...doc })}\n` : `${statusLines(doc).join("\n")}\n`);
    return EXIT.ok;
  });
}

/** The idle colour: the one with weight 0 while the other serves. None while traffic is split, or at 0/0. */
export async function idleColour(aws: Elbv2, r: ReturnType<typeof selection>): Promise<{ idle: Colour; doc: Record<string, unknown> }> {
  const live = await readLive(aws, r.sel);
  const liveC = liveColour(live.weights);
  const w = (x: Weights) => `blue ${x.blue} / green ${x.green}`;
  if (liveC === "split") {
    const e = new ShiftError(`no colour is idle: traffic is split (${w(live.weights)}), a shift is in progress. Finish it (ecs-shift shift --to ...) or revert it first.`, EXIT.gate);
    e.liveWeights = live.weights;
    throw e;
  }
  if (liveC === "none") {
    const e = new ShiftError(`no colour is idle: both weights are 0 (${w(live.weights)}), the rule serves nothing. Put traffic back first: ecs-shift shift --to blue|green ${r.args}`, EXIT.gate);
    e.liveWeights = live.weights;
    throw e;
  }
  const idle: Colour = liveC === "blue" ? "green" : "blue";
  if (live.testColour && live.testColour !== idle) io.warn(`warning: the test listener forwards to ${live.testColour}, the live colour, not to the idle ${idle}; a smoke test would not exercise ${idle}`);
  return { idle, doc: { idle, live: liveC, weights: live.weights, testListener: live.testColour ?? null } };
}

export function runIdle(o: Common): Promise<number> {
  return readOnly("idle", o, async (aws, r) => {
    const { idle, doc } = await idleColour(aws, r);
    io.out(o.json ? `${JSON.stringify({ command: "idle", ...doc })}\n` : `${idle}\n`);
    return EXIT.ok;
  });
}

export { readOnly };
