/**
 * The progressive part of `ecs-shift shift`, as pure functions: durations, the step schedule
 * (CodeDeploy-named presets or explicit steps), and the decision taken after every poll of a
 * bake. No AWS, no clock, no I/O: the engine (engine.ts) feeds observations in and acts on
 * the decision that comes out.
 */
import { sameWeights, weightsFor, WeightError, type Colour, type Weights } from "./weights";

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** The longest bake or poll interval accepted: a typo such as `500m` should not hold a release for days. */
export const MAX_DURATION_MS = 24 * UNIT_MS.h;

/**
 * `30s`, `5m`, `1h30m`, `1m30s`, `500ms`, or `0`, into milliseconds. A bare number other than 0
 * is refused: `5` could mean seconds or minutes.
 */
export function parseDuration(text: string, what = "duration"): number {
  const t = text.trim();
  if (t === "0") return 0;
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(t);
  if (!t || !m || m.slice(1).every((x) => x === undefined)) {
    throw new WeightError(`${what} must be a duration such as 30s, 5m, 1h30m or 500ms, got ${JSON.stringify(text)}`);
  }
  const [h, min, s, ms] = m.slice(1).map((x) => Number(x ?? 0));
  const total = h * UNIT_MS.h + min * UNIT_MS.m + s * UNIT_MS.s + ms;
  if (total > MAX_DURATION_MS) throw new WeightError(`${what} must be at most 24h, got ${JSON.stringify(text)}`);
  return total;
}

/** Milliseconds as `4m05s`, `12s`, `1h02m`, `0.5s`: for progress lines. */
export function formatDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 10_000 && v % 1000 !== 0) return `${(v / 1000).toFixed(1)}s`;
  const s = Math.ceil(v / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export interface Schedule {
  /** Percent of traffic on the target colour after each step; strictly increasing, the last is 100. */
  readonly steps: readonly number[];
  /** Bake after every step but the last. */
  readonly bakeMs: number;
}

/** CodeDeploy's predefined ECS configurations, by the same names. */
export const STRATEGIES: Readonly<Record<string, Schedule>> = {
  "canary10-5m": { steps: [10, 100], bakeMs: 5 * UNIT_MS.m },
  "canary10-15m": { steps: [10, 100], bakeMs: 15 * UNIT_MS.m },
  "linear10-1m": { steps: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], bakeMs: UNIT_MS.m },
  "linear10-3m": { steps: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], bakeMs: 3 * UNIT_MS.m },
  "all-at-once": { steps: [100], bakeMs: 0 },
};

/** `10,50,100` into [10, 50, 100]: whole percents 1..100, strictly increasing, ending at 100. */
export function parseSteps(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  const given = JSON.stringify(text);
  if (parts.some((p) => !/^\d{1,3}$/.test(p))) throw new WeightError(`--steps must be whole percents separated by commas, such as 10,50,100; got ${given}`);
  const steps = parts.map(Number);
  if (steps.some((s) => s < 1 || s > 100)) throw new WeightError(`--steps must each be from 1 to 100, got ${given}`);
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] <= steps[i - 1]) throw new WeightError(`--steps must increase strictly, got ${given} (${steps[i]} after ${steps[i - 1]})`);
  }
  if (steps[steps.length - 1] !== 100) {
    throw new WeightError(`--steps must end at 100, got ${given}; for a canary that stays partial use --percent N without --steps`);
  }
  return steps;
}

/** What `--strategy` or `--steps`/`--bake` ask for. The two forms exclude each other. */
export function resolveSchedule(o: { strategy?: string; steps?: string; bake?: string }): Schedule {
  if (o.strategy !== undefined) {
    if (o.steps !== undefined || o.bake !== undefined) throw new WeightError(`--strategy ${o.strategy} sets the steps and the bake; drop --steps/--bake, or drop --strategy`);
    const s = STRATEGIES[o.strategy];
    if (!s) throw new WeightError(`--strategy must be one of ${Object.keys(STRATEGIES).join(", ")}; got ${JSON.stringify(o.strategy)}`);
    return s;
  }
  if (o.steps === undefined) throw new WeightError("--bake needs --steps (or use --strategy)");
  const steps = parseSteps(o.steps);
  const bakeMs = o.bake === undefined ? 0 : parseDuration(o.bake, "--bake");
  if (steps.length > 1 && bakeMs === 0) throw new WeightError(`--steps ${o.steps} without --bake would move through every step at once; give --bake (e.g. 5m), or use --steps 100`);
  return { steps, bakeMs };
}

/** The target colour's share of traffic, in percent (weights need not add up to 100). */
export function shareOf(w: Weights, to: Colour): number {
  const total = w.blue + w.green;
  return total === 0 ? 0 : (w[to] * 100) / total;
}

/**
 * The weights to write, step by step, from the live weights. Steps that would not raise the
 * target colour's share (a canary already running) are dropped; an empty plan means nothing to do.
 */
export function planSteps(live: Weights, to: Colour, steps: readonly number[]): Weights[] {
  const share = shareOf(live, to);
  return steps.filter((s) => s > share).map((s) => weightsFor(to, s));
}

/** Target health states that stop a bake at once. `initial` (a new task registering) and `draining` do not. */
export const UNHEALTHY_STATES: readonly string[] = ["unhealthy", "unavailable", "unhealthy.draining"];

export interface Observation {
  /** The weights read from the rule, or undefined when the rule no longer reads as a blue/green forward. */
  readonly seen?: Weights;
  /** The weights this run wrote last. */
  readonly expected: Weights;
  /** Whether the whole action list still equals what was read back after this run's last write. */
  readonly actionsUnchanged: boolean;
  /** Alarm states of the target colour, by name (ALARM, OK, INSUFFICIENT_DATA). */
  readonly alarms: Readonly<Record<string, string>>;
  /** Target health states of the target colour's target group. */
  readonly targets: readonly string[];
  /** The signal received, if any (SIGINT, SIGTERM). */
  readonly interrupted?: string;
  /** The poll itself failed (AWS error after the SDK's retries): the state is unknown. */
  readonly pollError?: string;
  /** Another ecs-shift run took over this run's lease (named here): it is writing now. */
  readonly leaseLost?: string;
  /** Alarms of the target colour that no longer exist (deleted, renamed): the bake cannot see them. */
  readonly missingAlarms?: readonly string[];
  readonly remainingMs: number;
}

export type Decision =
  /** Someone else changed the rule: stop, do not overwrite their change, report it. */
  | { readonly action: "stop"; readonly reason: string }
  /** Restore the pre-shift weights (alarm, unhealthy targets, interrupt, blind poll). */
  | { readonly action: "restore"; readonly reason: string }
  | { readonly action: "next" }
  | { readonly action: "wait" };

const describe = (w: Weights) => `blue=${w.blue},green=${w.green}`;

/**
 * What to do after one poll of a bake. Order matters: another writer's change wins over
 * everything (restoring would trample it), then an interrupt, then what the poll could not see,
 * then alarms and health; only a clean poll at the end of the bake moves on.
 */
export function decide(o: Observation): Decision {
  if (!o.pollError) {
    if (o.leaseLost) return { action: "stop", reason: `another ecs-shift run took over the lease: ${o.leaseLost}` };
    if (!o.seen) return { action: "stop", reason: "someone else changed the rule: it is no longer a blue/green weighted forward" };
    if (!sameWeights(o.seen, o.expected)) return { action: "stop", reason: `someone else changed the weights: expected ${describe(o.expected)}, found ${describe(o.seen)}` };
    if (!o.actionsUnchanged) return { action: "stop", reason: `someone else changed the rule's action (weights still ${describe(o.seen)})` };
  }
  if (o.interrupted) return { action: "restore", reason: `interrupted by ${o.interrupted}` };
  if (o.pollError) return { action: "restore", reason: `could not check the bake: ${o.pollError}` };
  if (o.missingAlarms && o.missingAlarms.length > 0) return { action: "restore", reason: `alarms not found (a bake that cannot see an alarm is not clean): ${o.missingAlarms.join(", ")}` };
  const firing = Object.entries(o.alarms)
    .filter(([, state]) => state === "ALARM")
    .map(([name]) => name);
  if (firing.length > 0) return { action: "restore", reason: `alarm in ALARM: ${firing.join(", ")}` };
  const bad = o.targets.filter((s) => UNHEALTHY_STATES.includes(s));
  const healthy = o.targets.filter((s) => s === "healthy").length;
  if (bad.length > 0 || healthy === 0) {
    return { action: "restore", reason: `unhealthy targets: ${healthy}/${o.targets.length} healthy (states: ${o.targets.join(", ") || "none registered"})` };
  }
  return o.remainingMs <= 0 ? { action: "next" } : { action: "wait" };
}
