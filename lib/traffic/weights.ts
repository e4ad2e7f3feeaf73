/**
 * The weight logic of `ecs-shift`, as pure functions: no AWS, no I/O. A new action list is the
 * live one with only the two weights changed; everything else (stickiness, order, any other
 * field) is kept exactly.
 */
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";

export type Colour = "blue" | "green";
export const COLOURS: readonly Colour[] = ["blue", "green"];

export interface Weights {
  readonly blue: number;
  readonly green: number;
}

/** Bad input or a rule this tool must not touch: nothing is written. */
export class WeightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeightError";
  }
}

export const other = (c: Colour): Colour => (c === "blue" ? "green" : "blue");

/** The weights `shift --to <colour> --percent N` asks for. */
export function weightsFor(to: Colour, percent: number): Weights {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new WeightError(`--percent must be a whole number from 0 to 100, got ${String(percent)}`);
  }
  const w: Weights = to === "blue" ? { blue: percent, green: 100 - percent } : { blue: 100 - percent, green: percent };
  if (w.blue === 0 && w.green === 0) throw new WeightError("both weights would be 0: no traffic would be served");
  return w;
}

/**
 * The single forward action of a weighted rule, checked: exactly one action, of type forward,
 * over exactly the blue and the green target group.
 */
function theForward(actions: readonly Action[], colourOf: ReadonlyMap<string, Colour>, where: string): Action {
  if (actions.length !== 1) {
    throw new WeightError(`${where} has ${actions.length} actions (${actions.map((a) => a.Type).join(", ")}); ecs-shift only edits a single forward action`);
  }
  const [action] = actions;
  if (action.Type !== "forward") throw new WeightError(`${where}'s action is ${action.Type}, not forward; ecs-shift only edits weighted forwards`);
  const groups = action.ForwardConfig?.TargetGroups ?? (action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn }] : []);
  const colours = groups.map((g) => (g.TargetGroupArn ? colourOf.get(g.TargetGroupArn) : undefined));
  if (groups.length !== 2 || colours.includes(undefined) || colours[0] === colours[1]) {
    const names = groups.map((g, i) => `${g.TargetGroupArn} (${colours[i] ?? "not blue or green"})`).join(", ");
    throw new WeightError(`${where} must forward to exactly the blue and the green target group; it forwards to ${names || "none"}`);
  }
  return action;
}

/** The live weights of a weighted forward. */
export function readWeights(actions: readonly Action[], colourOf: ReadonlyMap<string, Colour>, where = "the rule"): Weights {
  const action = theForward(actions, colourOf, where);
  const w: Record<Colour, number> = { blue: 0, green: 0 };
  for (const g of action.ForwardConfig!.TargetGroups!) w[colourOf.get(g.TargetGroupArn!)!] = g.Weight ?? 1;
  return w;
}

/**
 * The complete action list to send back: the live list with only the two weights changed.
 * A top-level TargetGroupArn is dropped, as the API refuses it beside two target groups.
 */
export function withWeights(actions: readonly Action[], colourOf: ReadonlyMap<string, Colour>, weights: Weights, where = "the rule"): Action[] {
  for (const c of COLOURS) {
    if (!Number.isInteger(weights[c]) || weights[c] < 0 || weights[c] > 999) throw new WeightError(`weight for ${c} must be a whole number 0..999, got ${weights[c]}`);
  }
  if (weights.blue === 0 && weights.green === 0) throw new WeightError("both weights would be 0: no traffic would be served");
  const action = theForward(actions, colourOf, where);
  const copy: Action = structuredClone(action);
  delete copy.TargetGroupArn;
  copy.ForwardConfig!.TargetGroups = copy.ForwardConfig!.TargetGroups!.map((g) => ({ ...g, Weight: weights[colourOf.get(g.TargetGroupArn!)!] }));
  return [copy];
}

export function sameWeights(a: Weights, b: Weights): boolean {
  return a.blue === b.blue && a.green === b.green;
}

/** The colour taking all traffic, "split", or "none" when both weights are 0 (nothing is served). */
export function liveColour(w: Weights): Colour | "split" | "none" {
  if (w.blue === 0 && w.green === 0) return "none";
  if (w.green === 0) return "blue";
  if (w.blue === 0) return "green";
  return "split";
}

/** The colours whose weight grows: the ones the gates must check. */
export function gainingColours(before: Weights, after: Weights): Colour[] {
  return COLOURS.filter((c) => after[c] > before[c]);
}

/** `blue=90,green=10`: how messages name weights (journal.ts has the tag form, without the comma). */
export function encodeWeights(w: Weights): string {
  return `blue=${w.blue},green=${w.green}`;
}

export function decodeWeights(text: string | undefined): Weights | undefined {
  const m = /^blue=(\d{1,3}),green=(\d{1,3})$/.exec(text ?? "");
  return m ? { blue: Number(m[1]), green: Number(m[2]) } : undefined;
}

/** A tag value AWS accepts: at most 256 characters of letters, digits, spaces and `_.:/=+-@`. */
export function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, "_").slice(0, 256);
}
