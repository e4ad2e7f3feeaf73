/**
 * The shift journal and the lease, as pure functions: no AWS, no clock, no I/O.
 *
 * Every write of `ecs-shift` (shift, progressive shift, revert) first records a journal entry in
 * the weighted rule's tags and reads it back; only then is a weight written. The entry names the
 * shift, the pre-shift weights and test listener target, the steps, who and when, and a state:
 *
 *   in-progress  written before the first weight write; stays so if the process dies
 *   done         every step written and verified (and the test listener moved)
 *   restored     stopped and the pre-shift weights verified live again (automatic restore)
 *   reverted     `ecs-shift revert` restored the pre-shift weights
 *   abandoned    stopped before any weight was written (nothing to revert)
 *
 * The lease is separate tags (`ecs-shift:lease`, `ecs-shift:heartbeat`) so that taking it never
 * overwrites another run's journal entry. A lease whose heartbeat is younger than LEASE_STALE_MS
 * makes every other ecs-shift refuse to write (exit 5); an older one may be taken over with --force.
 *
 * Every tag key and value is valid for AWS: values at most 256 characters of letters, digits,
 * spaces and `_.:/=+-@` (no commas).
 */
import type { Colour, Weights } from "./weights";

export const TAG = {
  id: "ecs-shift:id",
  state: "ecs-shift:state",
  previous: "ecs-shift:previous",
  previousTest: "ecs-shift:previous-test",
  steps: "ecs-shift:steps",
  step: "ecs-shift:step",
  by: "ecs-shift:by",
  at: "ecs-shift:at",
  updated: "ecs-shift:updated",
  lease: "ecs-shift:lease",
  leaseBy: "ecs-shift:lease-by",
  heartbeat: "ecs-shift:heartbeat",
} as const;

/** How often a lease holder refreshes its heartbeat (during bakes and restores). */
export const HEARTBEAT_MS = 10_000;
/** A lease without a heartbeat for this long is stale: its holder is taken to be dead. */
export const LEASE_STALE_MS = 60_000;

export const JOURNAL_STATES = ["in-progress", "done", "restored", "reverted", "abandoned"] as const;
export type JournalState = (typeof JOURNAL_STATES)[number];

export interface Journal {
  readonly id: string;
  readonly state: JournalState;
  readonly previous: Weights;
  /** The colour the test listener forwarded to before the shift; undefined when none or unknown. */
  readonly previousTest?: Colour;
  /** The weights of each step, in order; empty for a record written by an older ecs-shift. */
  readonly steps: readonly Weights[];
  /** Steps written so far (0 before the first weight write). */
  readonly step: number;
  readonly by: string;
  /** When the shift started (ISO 8601). */
  readonly at: string;
  /** When the state last changed (ISO 8601). */
  readonly updated?: string;
}

export interface Lease {
  /** The shift id holding it. */
  readonly id: string;
  readonly by: string;
  /** Last heartbeat (ISO 8601). */
  readonly heartbeat: string;
}

/** A tag value AWS accepts: at most 256 characters of letters, digits, spaces and `_.:/=+-@`. */
export function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, "_").slice(0, 256);
}

/** `blue=100 green=0` (a tag value may not hold a comma). */
export function encodeWeights(w: Weights): string {
  return `blue=${w.blue} green=${w.green}`;
}

/** Reads `blue=100 green=0`, and the `blue=100,green=0` of older records. */
export function decodeWeights(text: string | undefined): Weights | undefined {
  const m = /^blue=(\d{1,3})[ ,]green=(\d{1,3})$/.exec(text ?? "");
  return m ? { blue: Number(m[1]), green: Number(m[2]) } : undefined;
}

/** Steps as `90:10/0:100` (blue:green each). 10 steps fit well within 256 characters. */
export function encodeSteps(steps: readonly Weights[]): string {
  return steps.map((w) => `${w.blue}:${w.green}`).join("/");
}

export function decodeSteps(text: string | undefined): Weights[] {
  if (!text) return [];
  const out: Weights[] = [];
  for (const part of text.split("/")) {
    const m = /^(\d{1,3}):(\d{1,3})$/.exec(part);
    if (!m) return [];
    out.push({ blue: Number(m[1]), green: Number(m[2]) });
  }
  return out;
}

/** A new shift id: time and a random suffix, e.g. `20261206T031300Z-4f9a2c`. */
export function newShiftId(now: Date, random: string): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${random}`;
}

/** The tags that record `j`. */
export function journalTags(j: Journal): Record<string, string> {
  return {
    [TAG.id]: j.id,
    [TAG.state]: j.state,
    [TAG.previous]: encodeWeights(j.previous),
    [TAG.previousTest]: j.previousTest ?? "none",
    [TAG.steps]: encodeSteps(j.steps),
    [TAG.step]: String(j.step),
    [TAG.by]: tagValue(j.by),
    [TAG.at]: j.at,
    [TAG.updated]: j.updated ?? j.at,
  };
}

/**
 * The journal recorded in `tags`, or undefined. A record from an older ecs-shift (only
 * `ecs-shift:previous`) reads as a done shift with an unknown id and steps.
 */
export function readJournal(tags: Readonly<Record<string, string>>): Journal | undefined {
  const previous = decodeWeights(tags[TAG.previous]);
  if (!previous) return undefined;
  const test = tags[TAG.previousTest];
  const state = (JOURNAL_STATES as readonly string[]).includes(tags[TAG.state]) ? (tags[TAG.state] as JournalState) : "done";
  const step = /^\d+$/.test(tags[TAG.step] ?? "") ? Number(tags[TAG.step]) : 0;
  return {
    id: tags[TAG.id] || "unrecorded",
    state,
    previous,
    previousTest: test === "blue" || test === "green" ? test : undefined,
    steps: decodeSteps(tags[TAG.steps]),
    step,
    by: tags[TAG.by] || "unknown",
    at: tags[TAG.at] || "an unknown time",
    updated: tags[TAG.updated],
  };
}

export function leaseTags(l: Lease | undefined): Record<string, string> {
  return l ? { [TAG.lease]: l.id, [TAG.leaseBy]: tagValue(l.by), [TAG.heartbeat]: l.heartbeat } : { [TAG.lease]: "none", [TAG.leaseBy]: "none", [TAG.heartbeat]: "none" };
}

export function readLease(tags: Readonly<Record<string, string>>): Lease | undefined {
  const id = tags[TAG.lease];
  if (!id || id === "none") return undefined;
  return { id, by: tags[TAG.leaseBy] || "unknown", heartbeat: tags[TAG.heartbeat] || "" };
}

/** Milliseconds since the lease's last heartbeat (Infinity when unreadable: a broken lease is stale). */
export function leaseAgeMs(l: Lease, nowMs: number): number {
  const t = Date.parse(l.heartbeat);
  return Number.isNaN(t) ? Infinity : Math.max(0, nowMs - t);
}

export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return "an unknown time";
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export type LeaseDecision =
  /** Nobody holds it (or we do): take it. */
  | { readonly action: "take" }
  /** Stale and --force: take it over, with a warning. */
  | { readonly action: "take-over"; readonly warning: string }
  /** Someone else holds it: refuse (exit 5), writing nothing. */
  | { readonly action: "refuse"; readonly reason: string };

/** May this run (`myId`) take the lease, given the rule's tags? */
export function leaseDecision(tags: Readonly<Record<string, string>>, nowMs: number, force: boolean, myId?: string): LeaseDecision {
  const l = readLease(tags);
  if (!l || l.id === myId) return { action: "take" };
  const age = leaseAgeMs(l, nowMs);
  const who = `ecs-shift run ${l.id} by ${l.by} holds the lease on this rule (last heartbeat ${formatAge(age)} ago)`;
  if (age < LEASE_STALE_MS) {
    return {
      action: "refuse",
      reason: `${who}; it is writing now. Nothing was written. Wait for it to finish (\`ecs-shift status\` shows it); if that process is dead, its lease goes stale ${formatAge(LEASE_STALE_MS - age)} from now and may then be taken over with --force.`,
    };
  }
  if (!force) return { action: "refuse", reason: `${who}; the lease is stale (no heartbeat for ${formatAge(LEASE_STALE_MS)} or more), so that run is probably dead. Nothing was written. Check \`ecs-shift status\`, then take it over with --force.` };
  return { action: "take-over", warning: `WARNING: --force takes over a stale lease: ${who}` };
}

export type RevertDecision =
  | { readonly action: "write"; readonly weights: Weights; readonly test?: Colour; readonly note?: string }
  /** Nothing to write; exit 0. */
  | { readonly action: "noop"; readonly reason: string }
  /** Refuse; exit with `exitCode`, nothing written. */
  | { readonly action: "refuse"; readonly reason: string; readonly exitCode: 2 | 5 };

const same = (a: Weights, b: Weights) => a.blue === b.blue && a.green === b.green;
const fmt = (w: Weights) => `blue=${w.blue},green=${w.green}`;

/**
 * What `revert` does, given the journal and the live weights. An in-progress or done shift goes
 * back to its own pre-shift weights; a shift already reverted (or restored, or abandoned before
 * it wrote) is a no-op that says so. Live weights that this shift never wrote mean someone else
 * changed the rule afterwards: refused (exit 5) unless --force.
 */
export function revertDecision(j: Journal | undefined, live: Weights, force: boolean): RevertDecision {
  if (!j) return { action: "refuse", reason: "nothing to revert: the rule carries no ecs-shift journal (no shift was recorded)", exitCode: 2 };
  const what = `shift ${j.id} by ${j.by} at ${j.at}`;
  if (j.state === "reverted") return { action: "noop", reason: `already reverted: ${what} was reverted${j.updated ? ` at ${j.updated}` : ""}; the pre-shift weights ${fmt(j.previous)} were restored then. Nothing changed.` };
  if (j.state === "restored") return { action: "noop", reason: `nothing to revert: ${what} was stopped and restored to ${fmt(j.previous)} automatically${j.updated ? ` at ${j.updated}` : ""}. Nothing changed.` };
  if (j.state === "abandoned") return { action: "noop", reason: `nothing to revert: ${what} stopped before it wrote any weight. Nothing changed.` };
  const ours = same(live, j.previous) || j.steps.length === 0 || j.steps.some((s) => same(s, live));
  if (!ours && !force) {
    return {
      action: "refuse",
      reason: `the live weights ${fmt(live)} are not ones ${what} wrote (${[j.previous, ...j.steps].map(fmt).join(", ")}): someone else changed the rule since. Nothing was written. Check \`ecs-shift status\`; to put ${fmt(j.previous)} back anyway, run revert with --force.`,
      exitCode: 5,
    };
  }
  return { action: "write", weights: j.previous, test: j.previousTest, note: ours ? undefined : `WARNING: --force: reverting over weights ${fmt(live)} that ${what} did not write` };
}

export interface JournalStatus {
  /** One line per fact, for `status`. */
  readonly summary: string;
  /** In progress, its lease stale or gone: the process died or was killed mid-shift. */
  readonly interrupted: boolean;
  /** The command that finishes the job, when one is needed. */
  readonly next?: string;
}

/**
 * What `status` says about the journal: the last shift, and when it was interrupted, which step,
 * by whom, since when, and the command that restores it. `revertCmd` is the revert command line
 * for this load balancer (with its selection flags).
 */
export function journalStatus(j: Journal | undefined, lease: Lease | undefined, nowMs: number, revertCmd: string): JournalStatus {
  if (!j) return { summary: "none recorded", interrupted: false };
  const steps = j.steps.length ? ` through ${j.steps.map(fmt).join(" -> ")}` : "";
  const base = `shift ${j.id} by ${j.by} at ${j.at}: from ${fmt(j.previous)}${steps}`;
  if (j.state !== "in-progress") {
    const next = j.state === "done" ? `undo with: ${revertCmd}` : undefined;
    return { summary: `${base}; ${j.state}${j.updated && j.updated !== j.at ? ` at ${j.updated}` : ""}`, interrupted: false, next };
  }
  const stepText = j.steps.length ? `step ${j.step} of ${j.steps.length}` : `step ${j.step}`;
  if (lease && lease.id === j.id) {
    const age = leaseAgeMs(lease, nowMs);
    if (age < LEASE_STALE_MS) return { summary: `${base}; in progress at ${stepText} (heartbeat ${formatAge(age)} ago)`, interrupted: false };
    return {
      summary: `${base}; INTERRUPTED at ${stepText}: no heartbeat for ${formatAge(age)} (the process died or was killed)`,
      interrupted: true,
      next: `${revertCmd} --force`,
    };
  }
  return { summary: `${base}; INTERRUPTED at ${stepText}, last updated ${j.updated ?? j.at}`, interrupted: true, next: revertCmd };
}
