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
    super(problems.map((p) => `${p.file ?? file}${p.line ? `:${p.line}` : ""}: ${p.key ? `${shorten(p.key)}: ` : ""}${p.message}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** Longest value or key shown in a message; longer ones are cut, saying how long they were. */
export const MAX_SHOWN = 120;

/** `s` cut to {@link MAX_SHOWN} characters, with its full length. */
export function shorten(s: string): string {
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 3)}... (${s.length} characters)` : s;
}

/** Shows a value the way the user wrote it (JSON is close enough to HCL for scalars and lists). */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return shorten(JSON.stringify(v) ?? String(v));
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

/**
 * The known key the user most likely meant: one that starts with the typo or that the typo
 * starts with (`health_check_interval` -> `health_check_interval_seconds`), then the one sharing
 * the most words (split at _ and -), then the closest by edit distance.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  if (key.length > 200) return undefined;
  const lower = key.toLowerCase();
  const words = new Set(lower.split(/[_-]/).filter((w) => w.length > 1));
  const score = (k: string) => {
    const kl = k.toLowerCase();
    const prefix = kl.startsWith(lower) || lower.startsWith(kl) ? 1 : 0;
    const shared = kl.split(/[_-]/).filter((w) => words.has(w)).length;
    return { prefix, shared, distance: levenshtein(lower, kl) };
  };
  let best: string | undefined;
  let bestScore: ReturnType<typeof score> | undefined;
  for (const k of known) {
    const sc = score(k);
    const better =
      !bestScore ||
      sc.prefix > bestScore.prefix ||
      (sc.prefix === bestScore.prefix && (sc.shared > bestScore.shared || (sc.shared === bestScore.shared && sc.distance < bestScore.distance)));
    if (better) [best, bestScore] = [k, sc];
  }
  if (!best || !bestScore) return undefined;
  const close = bestScore.distance <= Math.max(3, Math.floor(key.length / 3));
  const wordy = bestScore.shared >= 2 || (bestScore.shared >= 1 && words.size === 1);
  return bestScore.prefix || close || wordy ? best : undefined;
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

/** Largest config file read (bytes): far above any real tfvars, far below what strains the parser. */
export const MAX_FILE_BYTES = 256 * 1024;
/** Deepest nesting of [ { ( accepted: real config needs 4. */
export const MAX_NESTING = 32;

interface Scan {
  /** 1-based line where nesting first exceeds {@link MAX_NESTING}. */
  readonly tooDeepAt?: number;
  /** Number literals (outside strings and comments) too large for a double, by 1-based line. */
  readonly overflows: ReadonlyMap<number, string>;
}

/**
 * One pass over HCL text outside strings and comments: how deep brackets nest, and number
 * literals that overflow (hcl2json turns them into null). Heredocs count as text.
 */
export function scanHcl(text: string): Scan {
  let depth = 0;
  let line = 1;
  let tooDeepAt: number | undefined;
  const overflows = new Map<number, string>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === "\n") {
      line++;
      i++;
    } else if (ch === "#" || (ch === "/" && text[i + 1] === "/")) {
      while (i < n && text[i] !== "\n") i++;
    } else if (ch === "/" && text[i + 1] === "*") {
      i += 2;
      while (i < n && !(text[i] === "*" && text[i + 1] === "/")) {
        if (text[i] === "\n") line++;
        i++;
      }
      i += 2;
    } else if (ch === '"') {
      i++;
      while (i < n && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      i++;
    } else if (ch === "<" && text[i + 1] === "<") {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(text.slice(i, i + 200));
      if (!m) {
        i += 2;
        continue;
      }
      const end = new RegExp(`^\\s*${m[1]}\\s*$`, "m");
      const rest = text.slice(i + m[0].length);
      const found = end.exec(rest);
      const skipped = found ? rest.slice(0, found.index + found[0].length) : rest;
      line += 1 + (skipped.match(/\n/g)?.length ?? 0);
      i += m[0].length + skipped.length;
    } else if (ch === "[" || ch === "{" || ch === "(") {
      depth++;
      if (depth > MAX_NESTING && tooDeepAt === undefined) tooDeepAt = line;
      i++;
    } else if (ch === "]" || ch === "}" || ch === ")") {
      depth--;
      i++;
    } else if (/[0-9]/.test(ch) && !/[A-Za-z0-9_.]/.test(text[i - 1] ?? " ")) {
      const number = /\d+(\.\d+)?([eE][+-]?\d+)?/y;
      number.lastIndex = i;
      const m = number.exec(text)!;
      if (!Number.isFinite(Number(m[0]))) overflows.set(line, `${text[i - 1] === "-" ? "-" : ""}${m[0]}`);
      i += m[0].length;
    } else {
      i++;
    }
  }
  return { tooDeepAt, overflows };
}

/** Parses HCL text (tfvars or a backend file) into JSON; a syntax error is a ConfigError with its line. */
export async function parseHcl(file: string, text: string): Promise<Record<string, unknown>> {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_FILE_BYTES) {
    throw new ConfigError(file, [{ key: "", message: `is ${bytes} bytes; config files may be at most ${MAX_FILE_BYTES} bytes (${MAX_FILE_BYTES / 1024} KiB)` }]);
  }
  const { tooDeepAt } = scanHcl(text);
  if (tooDeepAt !== undefined) {
    throw new ConfigError(file, [{ key: "", line: tooDeepAt, message: `nests [ { ( deeper than ${MAX_NESTING} levels; config values need a handful at most` }]);
  }
  try {
    const parsed = (await parse(path.basename(file), text)) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ConfigError(file, [{ key: "", message: "holds no HCL attributes (key = value lines)" }]);
    }
    return parsed as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
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
  text?: string,
): void {
  const overflows = text === undefined ? new Map<number, string>() : scanHcl(text).overflows;
  for (const issue of issues) {
    const key = keyOf(issue.path);
    const given = valueAt(raw, issue.path);
    if (text !== undefined && (given === null || (typeof given === "number" && !Number.isFinite(given)))) {
      // hcl2json turns a number too large for a double into Infinity: report it as written.
      const line = lineOf(text, key);
      const literal = line === undefined ? undefined : overflows.get(line);
      if (literal !== undefined) {
        problem(key, `given ${shorten(literal)}, a number too large to represent (above about 1.8e308); ${describeIssue(issue, 0).replace(/^given 0;? ?/, "")}`);
        continue;
      }
    }
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


/**
 * The values of `raw` that pass their own field's check; reading a key that failed it (or a
 * missing required one) throws `skip`, so a rule reading it is skipped.
 */
export function partialValues(schema: z.ZodObject, raw: Record<string, unknown>, skip: unknown): Record<string, unknown> {
  const shape = schema.shape as Record<string, z.ZodType>;
  const valid: Record<string, unknown> = {};
  for (const [k, field] of Object.entries(shape)) {
    const r = field.safeParse(raw[k]);
    if (r.success) valid[k] = r.data;
  }
  return new Proxy(valid, {
    get: (target, k: string) => {
      if (k in target || !(k in shape)) return target[k];
      if (k in raw || !shape[k].safeParse(undefined).success) throw skip;
      return undefined;
    },
  });
}
