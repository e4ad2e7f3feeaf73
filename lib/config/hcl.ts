/**
 * What every config file shares: HCL parsing (@cdktf/hcl2json), and problems that name the
 * file, the line, the key, the value given and what is allowed.
 */
import { parse } from "@cdktf/hcl2json";
import * as path from "node:path";
import type { z } from "zod";

export interface ConfigProblem {
  /** The tfvars key (dotted for nested values, e.g. `image_tags.blue`); "" for the file as a whole. */
  readonly key: string;
  readonly line?: number;
  readonly message: string;
  /** The file, when it is not the error's own (errors gathered from several files). */
  readonly file?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(problems.map((p) => `${p.file ?? file}${p.line ? `:${p.line}` : ""}: ${p.key ? `${p.key}: ` : ""}${p.message}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** Shows a value the way the user wrote it (JSON is close enough to HCL for scalars and lists). */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = levenshtein(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(3, Math.floor(key.length / 3)) ? best : undefined;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * 1-based line of `key` in `text`: a top-level attribute (`vpc_cidr`), or a key nested in an
 * object value (`policy_exceptions.LB-WAF.reason`, `image_tags.blue`), looked up inside that
 * attribute's lines (quoted or not) and falling back to the deepest enclosing key found.
 * List indices (`ingress_cidrs[0]`) count as their list's line.
 */
export function lineOf(text: string, key: string): number | undefined {
  const [top, ...nested] = key.replace(/\[\d+\]/g, "").split(".");
  const lines = text.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^\\s*${escapeRe(top)}\\s*=`).test(l));
  if (start < 0) return undefined;
  // The attribute runs until the next top-level attribute (one that starts in column 0).
  let end = lines.findIndex((l, i) => i > start && /^[A-Za-z_"][^=]*=/.test(l));
  if (end < 0) end = lines.length;
  let at = start;
  for (const segment of nested) {
    if (segment === "") continue;
    const re = new RegExp(`(^|[{,\\s])"?${escapeRe(segment)}"?\\s*=(?!=)`);
    const found = lines.findIndex((l, i) => i >= at && i < end && re.test(i === start ? l.slice(l.indexOf("=") + 1) : l));
    if (found < 0) break;
    at = found;
    // What follows is looked up inside this key's value only: up to the next line indented no deeper.
    const indent = (l: string) => /^\s*/.exec(l)![0].length;
    const next = lines.findIndex((l, i) => i > found && i < end && /=/.test(l) && indent(l) <= indent(lines[found]));
    if (next >= 0) end = next;
  }
  return at + 1;
}

/** `a.b[0].c` from a zod issue path. */
function keyOf(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("");
}

/** The keys the schema allows in the object at `p` (e.g. `image_tags`: blue, green). */
function knownKeysAt(schema: z.ZodType, p: readonly PropertyKey[]): string[] {
  type Node = { def?: { innerType?: Node; shape?: Record<PropertyKey, Node>; valueType?: Node } };
  // Through `.default()` / `.optional()` wrappers to the object itself.
  const bare = (n: Node | undefined) => {
    while (n?.def?.innerType) n = n.def.innerType;
    return n;
  };
  let node = bare(schema as unknown as Node);
  // A record (e.g. policy_exceptions) has the same value schema under every key.
  for (const k of p) node = bare(node?.def?.shape?.[k] ?? node?.def?.valueType);
  return Object.keys(node?.def?.shape ?? {});
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  return p.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined), raw);
}

function describeIssue(issue: z.core.$ZodIssue, given: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (given === undefined) return `is required (expected ${issue.expected})`;
      return `given ${show(given)}; expected ${issue.expected === "int" ? "a whole number" : issue.expected}`;
    case "too_small":
      return issue.origin === "array"
        ? `given ${show(given)}; needs at least ${issue.minimum} entries`
        : `given ${show(given)}; must be ${issue.inclusive ? ">=" : ">"} ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array"
        ? `given ${show(given)}; allows at most ${issue.maximum} entries`
        : `given ${show(given)}; must be ${issue.inclusive ? "<=" : "<"} ${issue.maximum}`;
    case "invalid_value":
      return `given ${show(given)}; allowed: ${issue.values.map((v) => show(v)).join(", ")}`;
    case "invalid_format":
      return `given ${show(given)}; expected ${issue.message}`;
    default:
      return `given ${show(given)}; ${issue.message}`;
  }
}

/** Parses HCL text (tfvars or a backend file) into JSON; a syntax error is a ConfigError with its line. */
export async function parseHcl(file: string, text: string): Promise<Record<string, unknown>> {
  try {
    return (await parse(path.basename(file), text)) as Record<string, unknown>;
  } catch (e) {
    const msg = String(e instanceof Error ? e.message : e);
    const m = /:(\d+),(\d+)[^:]*: ([^\]]+)/.exec(msg);
    throw new ConfigError(file, [{ key: "", line: m ? Number(m[1]) : undefined, message: `HCL syntax error${m ? ` at column ${m[2]}` : ""}: ${m ? m[3].trim() : msg}` }]);
  }
}

/** A `problem(key, message)` that records the line of the key (nested keys inside their attribute) in `text`. */
export function problemCollector(text: string, into: ConfigProblem[]): (key: string, message: string) => void {
  return (key, message) => into.push({ key, line: lineOf(text, key), message });
}

/**
 * One problem per zod issue: the key path, the value given, what is allowed; an unknown key
 * gets the nearest known one (`reference` says where the keys are documented).
 */
export function reportSchemaIssues(
  schema: z.ZodObject,
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  problem: (key: string, message: string) => void,
  reference: string,
): void {
  for (const issue of issues) {
    const key = keyOf(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        if (key) {
          // Inside an object value (e.g. image_tags): its known keys are the schema's.
          problem(`${key}.${k}`, `unknown key; allowed: ${knownKeysAt(schema, issue.path).join(", ")}`);
          continue;
        }
        const near = nearestKey(k, Object.keys(schema.shape));
        problem(k, `unknown key${near ? `; did you mean \`${near}\`?` : ""} (see ${reference})`);
      }
      continue;
    }
    problem(key, describeIssue(issue, valueAt(raw, issue.path)));
  }
}

