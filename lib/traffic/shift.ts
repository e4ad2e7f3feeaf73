/**
 * status / shift / revert: read the live rule, compute with the pure weight functions, pass the
 * gates, write, read back and verify, record. Nothing is written when a gate or a check refuses.
 */
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import * as os from "node:os";
import { EXIT, ShiftError, type Elbv2, type Target } from "./aws";
import { describeHeld, isReadOnlyLock, readLock, type LockLocation } from "./lock";
import {
  COLOURS,
  decodeWeights,
  encodeWeights,
  gainingColours,
  liveColour,
  other,
  readWeights,
  sameWeights,
  tagValue,
  TAG_AT,
  TAG_BY,
  TAG_PREVIOUS,
  TAG_PREVIOUS_TEST,
  WeightError,
  withWeights,
  type Colour,
  type Weights,
} from "./weights";

export interface Selection {
  readonly target: Target;
  readonly testListenerArn?: string;
  /** Alarms that must not be in ALARM before traffic moves to a colour. */
  readonly alarms: Readonly<Record<Colour, readonly string[]>>;
  /** Where this environment's Terraform state lock lives. @default - unknown: not checked, with a warning */
  readonly lock?: LockLocation;
}

export interface Options {
  readonly dryRun: boolean;
  readonly force: boolean;
  /** Warnings go here (stderr), never to stdout. */
  readonly warn: (line: string) => void;
}

export interface Live {
  readonly actions: Action[];
  readonly colourOf: Map<string, Colour>;
  readonly arnOf: Record<Colour, string>;
  readonly weights: Weights;
  readonly testColour?: Colour;
  readonly testActions?: Action[];
}

export const where = (t: Target) => (t.kind === "rule" ? `rule ${t.arn}` : `listener ${t.arn} (default action)`);

export function inputError(e: unknown): never {
  if (e instanceof WeightError) throw new ShiftError(e.message, EXIT.input);
  throw e;
}

export async function readLive(aws: Elbv2, sel: Selection): Promise<Live> {
  const actions = await aws.readActions(sel.target);
  const arns = actions.flatMap((a) => [a.TargetGroupArn, ...(a.ForwardConfig?.TargetGroups ?? []).map((g) => g.TargetGroupArn)]).filter((x): x is string => !!x);
  // A group that is neither blue nor green gets no colour: readWeights then refuses the rule.
  const colourOf = await aws.colours(arns);
  let weights: Weights;
  try {
    weights = readWeights(actions, colourOf, where(sel.target));
  } catch (e) {
    inputError(e);
  }
  const arnOf = Object.fromEntries([...colourOf].map(([arn, c]) => [c, arn])) as Record<Colour, string>;
  let testColour: Colour | undefined;
  let testActions: Action[] | undefined;
  if (sel.testListenerArn) {
    testActions = await aws.readListenerActions(sel.testListenerArn);
    const tg = testActions.length === 1 && testActions[0].Type === "forward" ? (testActions[0].TargetGroupArn ?? testActions[0].ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn) : undefined;
    testColour = tg ? colourOf.get(tg) : undefined;
  }
  return { actions, colourOf, arnOf, weights, testColour, testActions };
}

export interface Status {
  readonly target: string;
  readonly live: Colour | "split";
  readonly weights: Weights;
  readonly testListener?: Colour | "unknown";
  readonly health: Record<Colour, { healthy: number; registered: number }>;
  readonly previous?: { weights?: Weights; testListener?: string; at?: string; by?: string };
}

export async function status(aws: Elbv2, sel: Selection): Promise<Status> {
  const live = await readLive(aws, sel);
  const health = {} as Record<Colour, { healthy: number; registered: number }>;
  for (const c of COLOURS) {
    const h = await aws.health(live.arnOf[c]);
    health[c] = { healthy: h.healthy, registered: h.registered };
  }
  const tags = await aws.tags(sel.target.arn);
  const previous = tags[TAG_PREVIOUS] ? { weights: decodeWeights(tags[TAG_PREVIOUS]), testListener: tags[TAG_PREVIOUS_TEST], at: tags[TAG_AT], by: tags[TAG_BY] } : undefined;
  return {
    target: sel.target.arn,
    live: liveColour(live.weights),
    weights: live.weights,
    testListener: sel.testListenerArn ? (live.testColour ?? "unknown") : undefined,
    health,
    previous,
  };
}

/** What the Terraform lock check saw. */
export interface LockSummary {
  /** The locks read: `s3://bucket/key.tflock`, `dynamodb://table/LockID`. */
  readonly checked: readonly string[];
  /** Who holds them, one line each. */
  readonly held: readonly string[];
  /** Why nothing was checked (local backend, no state_backend output, --force over an unreadable lock). */
  readonly note?: string;
  /** A held (or unreadable) lock was overridden with --force. */
  readonly forced: boolean;
}

export interface ShiftResult {
  readonly target: string;
  readonly before: Weights;
  readonly after: Weights;
  readonly testListener?: { before?: Colour; after?: Colour };
  readonly gates: string[];
  readonly forced: string[];
  /** Undefined when nothing was going to change (no lock check needed). */
  readonly lock?: LockSummary;
  readonly dryRun: boolean;
  readonly changed: boolean;
}

/**
 * Refuses (exit 1) while a Terraform run other than a plan holds the environment's state lock; a
 * lock that cannot be read is an error (exit 3). With --force both become warnings on stderr.
 */
export async function lockGate(aws: Elbv2, sel: Selection, opts: Options): Promise<LockSummary> {
  const loc: LockLocation = sel.lock ?? { kind: "unknown", reason: "no state backend given; pass --state-bucket and --state-key to check the Terraform lock" };
  let report;
  try {
    report = await readLock(loc, aws.opts);
  } catch (e) {
    if (!opts.force) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    opts.warn(`WARNING: --force: the Terraform lock could not be read, moving traffic without the lock check: ${msg}`);
    return { checked: [], held: [], note: `not checked (--force): ${msg}`, forced: true };
  }
  if (loc.kind === "unknown") opts.warn(`warning: the Terraform lock is not checked: ${loc.reason}`);
  const now = Date.now();
  for (const h of report.held.filter(isReadOnlyLock)) opts.warn(`note: ${describeHeld(h, now)}; a plan only reads the state, so traffic may move`);
  const blocking = report.held.filter((h) => !isReadOnlyLock(h));
  const held = report.held.map((h) => describeHeld(h, now));
  if (blocking.length > 0) {
    const msg = blocking.map((h) => describeHeld(h, now)).join("; ");
    if (!opts.force) {
      throw new ShiftError(
        `refused, nothing changed: the Terraform state lock is held: ${msg}. Wait for that Terraform run to finish and run again; ` +
          "if it died, release the lock with `terraform force-unlock <lock ID>` in its stack directory; or override with --force.",
        EXIT.gate,
      );
    }
    opts.warn(`WARNING: --force overrides the Terraform state lock: ${msg}`);
  }
  return { checked: report.checked, held, note: report.note, forced: blocking.length > 0 };
}

/** Health and alarm gates for every colour that gains weight; returns the failures. */
export async function gates(aws: Elbv2, sel: Selection, live: Live, gaining: readonly Colour[]): Promise<{ passed: string[]; failed: string[] }> {
  const passed: string[] = [];
  const failed: string[] = [];
  for (const c of gaining) {
    const h = await aws.health(live.arnOf[c]);
    if (h.registered === 0) failed.push(`${c} has no registered targets (${live.arnOf[c]})`);
    else if (h.healthy < h.registered) failed.push(`${c} has ${h.healthy}/${h.registered} healthy targets (states: ${h.states.join(", ")})`);
    else passed.push(`${c}: ${h.healthy}/${h.registered} targets healthy`);
    const alarms = sel.alarms[c];
    if (alarms.length > 0) {
      const { firing, missing } = await aws.alarmsFiring(alarms);
      if (firing.length > 0) failed.push(`${c} alarms in ALARM: ${firing.join(", ")}`);
      else passed.push(`${c}: none of ${alarms.length} alarms in ALARM`);
      if (missing.length > 0) passed.push(`${c}: alarms not found (not checked): ${missing.join(", ")}`);
    }
  }
  return { passed, failed };
}

export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Moves the weights to `wanted`. With `moveTest`, points the test listener at `moveTest` after the
 * weights are verified.
 */
export async function applyWeights(aws: Elbv2, sel: Selection, opts: Options, wanted: (live: Live) => Weights, moveTest: (live: Live, after: Weights) => Colour | undefined): Promise<ShiftResult> {
  const live = await readLive(aws, sel);
  let after: Weights;
  let newActions: Action[];
  try {
    after = wanted(live);
    newActions = withWeights(live.actions, live.colourOf, after, where(sel.target));
  } catch (e) {
    inputError(e);
  }
  const testTo = moveTest(live, after);
  const testChanges = sel.testListenerArn !== undefined && testTo !== undefined && testTo !== live.testColour;
  const weightChanges = !sameWeights(live.weights, after);

  const g = await gates(aws, sel, live, gainingColours(live.weights, after));
  if (g.failed.length > 0) {
    if (!opts.force) throw new ShiftError(`refused, nothing changed: ${g.failed.join("; ")}. Fix it, or override with --force.`, EXIT.gate);
    for (const f of g.failed) opts.warn(`WARNING: --force overrides a failed gate: ${f}`);
  }
  const lock = weightChanges || testChanges ? await lockGate(aws, sel, opts) : undefined;
  const result = (changed: boolean): ShiftResult => ({
    target: sel.target.arn,
    before: live.weights,
    after,
    testListener: sel.testListenerArn ? { before: live.testColour, after: testChanges ? testTo : live.testColour } : undefined,
    gates: g.passed,
    forced: opts.force ? g.failed : [],
    lock,
    dryRun: opts.dryRun,
    changed,
  });
  if (opts.dryRun || (!weightChanges && !testChanges)) return result(false);

  if (weightChanges) {
    // Someone else may have changed the rule since we read it: then stop without writing.
    const now = await aws.readActions(sel.target);
    if (!same(now, live.actions)) {
      throw new ShiftError(`${where(sel.target)} changed since it was read (someone else edited it); nothing was written. Live weights: ${describeWeights(now, live.colourOf)}. Run again.`, EXIT.concurrent);
    }
    await aws.writeActions(sel.target, newActions);
    const check = await aws.readActions(sel.target);
    let seen: Weights | undefined;
    try {
      seen = readWeights(check, live.colourOf);
    } catch {
      seen = undefined;
    }
    if (!seen || !sameWeights(seen, after)) {
      throw new ShiftError(
        `the write did not take effect as sent (lost write or concurrent edit): asked ${encodeWeights(after)}, live weights now ${describeWeights(check, live.colourOf)}.`,
        EXIT.aws,
      );
    }
    await recordPrevious(aws, sel, live);
  }
  if (testChanges && testTo) await moveTestListener(aws, sel, live, testTo, after);
  return result(true);
}

/** Records the weights before a shift on the rule itself, so status and revert work from any machine. */
export async function recordPrevious(aws: Elbv2, sel: Selection, live: Live): Promise<void> {
  await aws.addTags(sel.target.arn, {
    [TAG_PREVIOUS]: encodeWeights(live.weights),
    [TAG_PREVIOUS_TEST]: live.testColour ?? "none",
    [TAG_AT]: new Date().toISOString(),
    [TAG_BY]: tagValue(callerIdentity()),
  });
}

/** Points the test listener at `testTo`, keeping its action's other fields, and verifies. */
export async function moveTestListener(aws: Elbv2, sel: Selection, live: Live, testTo: Colour, after: Weights): Promise<void> {
  if (!sel.testListenerArn) return;
  // The test listener forwards to one colour: keep its action's other fields, swap the group.
  const current = live.testActions?.length === 1 && live.testActions[0].Type === "forward" ? live.testActions[0] : { Type: "forward" as const };
  const actions: Action[] = [{ ...structuredClone(current), TargetGroupArn: live.arnOf[testTo], ForwardConfig: undefined }];
  await aws.writeListenerActions(sel.testListenerArn, actions);
  const check = await aws.readListenerActions(sel.testListenerArn);
  const tg = check[0]?.TargetGroupArn ?? check[0]?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
  if (tg !== live.arnOf[testTo]) {
    throw new ShiftError(`weights are ${encodeWeights(after)} as asked, but the test listener did not move to ${testTo} (it forwards to ${tg ?? "nothing"}).`, EXIT.aws);
  }
}

export function describeWeights(actions: Action[], colourOf: Map<string, Colour>): string {
  try {
    return encodeWeights(readWeights(actions, colourOf));
  } catch (e) {
    return `unreadable (${(e as Error).message})`;
  }
}

/** Who shifted: the assumed role's session name when set, else the local user and host. */
export function callerIdentity(): string {
  if (process.env.ECS_SHIFT_ACTOR) return process.env.ECS_SHIFT_ACTOR;
  if (process.env.GITHUB_ACTOR) return `github:${process.env.GITHUB_ACTOR}`;
  if (process.env.AWS_ROLE_SESSION_NAME) return process.env.AWS_ROLE_SESSION_NAME;
  let user = process.env.USER ?? "unknown";
  try {
    user = os.userInfo().username;
  } catch {
    /* keep the environment's */
  }
  return `${user}@${os.hostname()}`;
}

export function shift(aws: Elbv2, sel: Selection, opts: Options, to: Colour, wanted: Weights): Promise<ShiftResult> {
  return applyWeights(
    aws,
    sel,
    opts,
    () => wanted,
    // After a full shift the test listener points at the now idle colour, where the next release goes.
    (_live, after) => (after[to] === 100 && after[other(to)] === 0 ? other(to) : undefined),
  );
}

export async function revert(aws: Elbv2, sel: Selection, opts: Options): Promise<ShiftResult> {
  const tags = await aws.tags(sel.target.arn);
  const previous = decodeWeights(tags[TAG_PREVIOUS]);
  if (!previous) throw new ShiftError(`nothing to revert: ${where(sel.target)} carries no ${TAG_PREVIOUS} tag (no shift was recorded).`, EXIT.input);
  const test = tags[TAG_PREVIOUS_TEST];
  return applyWeights(
    aws,
    sel,
    opts,
    () => previous,
    () => (test === "blue" || test === "green" ? test : undefined),
  );
}
