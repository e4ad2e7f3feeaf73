/**
 * The read side of ecs-shift and its gates: read the live rule, its target groups and the test
 * listener; `status`; the health, alarm and Terraform lock gates. The writes (shift, progressive
 * shift, revert) are in engine.ts.
 */
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import * as os from "node:os";
import { EXIT, ShiftError, type Elbv2, type Target } from "./aws";
import { journalStatus, leaseAgeMs, readJournal, readLease, type Journal, type Lease } from "./journal";
import { describeHeld, isReadOnlyLock, readLock, type LockLocation } from "./lock";
import { COLOURS, encodeWeights, liveColour, readWeights, WeightError, type Colour, type Weights } from "./weights";

export interface Selection {
  readonly target: Target;
  readonly testListenerArn?: string;
  /** Alarms that must not be in ALARM before traffic moves to a colour. */
  readonly alarms: Readonly<Record<Colour, readonly string[]>>;
  /** Where this environment's Terraform state lock lives. @default - unknown: not checked, with a warning */
  readonly lock?: LockLocation;
  /**
   * The blue and green target group ARNs as the stack outputs name them: their colours are read
   * in parallel with the rule (one round trip less), and read again if the rule names others.
   * @default - read after the rule
   */
  readonly targetGroupArns?: readonly string[];
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

/**
 * The rule (or listener default action), its target groups' colours and the test listener, read
 * in parallel where they do not depend on each other. A test listener that does not forward to
 * the blue or the green target group of this rule is refused (exit 2): it is not a test listener.
 */
export async function readLive(aws: Elbv2, sel: Selection): Promise<Live> {
  const hinted = sel.targetGroupArns?.length ? aws.colours(sel.targetGroupArns).catch(() => undefined) : undefined;
  const settled = await Promise.allSettled([aws.readActions(sel.target), sel.testListenerArn ? aws.readListenerActions(sel.testListenerArn) : Promise.resolve(undefined)]);
  for (const r of settled) if (r.status === "rejected") throw r.reason;
  const [actions, testActions] = settled.map((r) => (r as PromiseFulfilledResult<Action[] | undefined>).value) as [Action[], Action[] | undefined];
  const arns = actions.flatMap((a) => [a.TargetGroupArn, ...(a.ForwardConfig?.TargetGroups ?? []).map((g) => g.TargetGroupArn)]).filter((x): x is string => !!x);
  // A group that is neither blue nor green gets no colour: readWeights then refuses the rule.
  const prefetched = await hinted;
  const colourOf = prefetched && arns.every((a) => prefetched.has(a)) ? prefetched : await aws.colours(arns);
  let weights: Weights;
  try {
    weights = readWeights(actions, colourOf, where(sel.target));
  } catch (e) {
    inputError(e);
  }
  const arnOf = Object.fromEntries([...colourOf].map(([arn, c]) => [c, arn])) as Record<Colour, string>;
  let testColour: Colour | undefined;
  if (sel.testListenerArn && testActions) {
    testColour = testColourOf(testActions, colourOf);
    if (!testColour) {
      const desc = testActions.map((a) => (a.Type === "forward" ? `forward to ${a.TargetGroupArn ?? (a.ForwardConfig?.TargetGroups ?? []).map((g) => g.TargetGroupArn).join(" + ")}` : a.Type)).join(", ") || "no action";
      throw new ShiftError(
        `--test-listener-arn ${sel.testListenerArn} is not this rule's test listener: its default action is ${desc}, not a forward to the blue or the green target group of ${where(sel.target)}. ` +
          "Nothing was written. Give the listener that forwards to the idle colour (the test_listener_arn output).",
        EXIT.input,
      );
    }
  }
  return { actions, colourOf, arnOf, weights, testColour, testActions };
}

/** The colour a test listener's single forward goes to, if it is blue or green. */
export function testColourOf(actions: readonly Action[], colourOf: ReadonlyMap<string, Colour>): Colour | undefined {
  if (actions.length !== 1 || actions[0].Type !== "forward") return undefined;
  const groups = actions[0].ForwardConfig?.TargetGroups ?? [];
  const tg = actions[0].TargetGroupArn ?? (groups.length === 1 ? groups[0].TargetGroupArn : undefined);
  return tg ? colourOf.get(tg) : undefined;
}

export interface Status {
  readonly target: string;
  /** The colour taking all traffic, "split", or "none" for a rule at 0/0 (serving nothing). */
  readonly live: Colour | "split" | "none";
  readonly weights: Weights;
  readonly testListener?: Colour | "unknown";
  readonly health: Record<Colour, { healthy: number; registered: number }>;
  /** The last shift's pre-shift weights and test listener target (from the journal). */
  readonly previous?: { weights: Weights; testListener: string; at: string; by: string };
  /** The last shift recorded on the rule. */
  readonly journal?: Journal;
  /** Who holds the lease now, if anyone. */
  readonly lease?: Lease & { ageSeconds: number | null };
  /** One line on the last shift: done, in progress, or INTERRUPTED at which step, by whom, since when. */
  readonly lastShift: string;
  readonly interrupted: boolean;
  /** The command that finishes an interrupted shift (or undoes the last one). */
  readonly next?: string;
}

export async function status(aws: Elbv2, sel: Selection, revertCmd: string): Promise<Status> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { allInOrder } = require("./engine") as typeof import("./engine");
  const [live, tags] = await allInOrder<[Live, Record<string, string>]>([readLive(aws, sel), aws.tags(sel.target.arn)]);
  const health = {} as Record<Colour, { healthy: number; registered: number }>;
  await Promise.all(
    COLOURS.map(async (c) => {
      const h = await aws.health(live.arnOf[c]);
      health[c] = { healthy: h.healthy, registered: h.registered };
    }),
  );
  const journal = readJournal(tags);
  const lease = readLease(tags);
  const now = Date.now();
  const js = journalStatus(journal, lease, now, revertCmd);
  const age = lease ? leaseAgeMs(lease, now) : undefined;
  return {
    target: sel.target.arn,
    live: liveColour(live.weights),
    weights: live.weights,
    testListener: sel.testListenerArn ? (live.testColour ?? "unknown") : undefined,
    health,
    previous: journal ? { weights: journal.previous, testListener: journal.previousTest ?? "none", at: journal.at, by: journal.by } : undefined,
    journal,
    lease: lease && { ...lease, ageSeconds: age !== undefined && Number.isFinite(age) ? Math.round(age / 1000) : null },
    lastShift: js.summary,
    interrupted: js.interrupted,
    next: js.next,
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
  const reads = await Promise.all(gaining.map((c) => Promise.all([aws.health(live.arnOf[c]), sel.alarms[c].length > 0 ? aws.alarmsFiring(sel.alarms[c]) : undefined])));
  for (const [i, c] of gaining.entries()) {
    const [h, alarmResult] = reads[i];
    if (h.registered === 0) failed.push(`${c} has no registered targets (${live.arnOf[c]})`);
    else if (h.healthy < h.registered) failed.push(`${c} has ${h.healthy}/${h.registered} healthy targets (states: ${h.states.join(", ")})`);
    else passed.push(`${c}: ${h.healthy}/${h.registered} targets healthy`);
    const alarms = sel.alarms[c];
    if (alarmResult) {
      const { firing, missing } = alarmResult;
      if (firing.length > 0) failed.push(`${c} alarms in ALARM: ${firing.join(", ")}`);
      else if (missing.length < alarms.length) passed.push(`${c}: none of ${alarms.length - missing.length} alarms in ALARM`);
      // An alarm that does not exist checked nothing: that is a failed gate, not a pass.
      if (missing.length > 0) failed.push(`${c} alarms that do not exist (misspelt, or another region?): ${missing.join(", ")}`);
    }
  }
  return { passed, failed };
}

export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

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

