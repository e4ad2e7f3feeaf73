/**
 * Reading synthesized Terraform JSON (what `cdk.tf.json` and `Testing.synth` hold): resources by
 * type, references between them (`${type.name.attr}` strings), blocks that are an object or a
 * list of objects, booleans the bindings type as strings, and user data in its encodings.
 */
import type { StackView, TfResource } from "./types";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** Arguments that name other resources without being a dependency of the configuration itself. */
const NOT_REFERENCES = new Set(["//", "depends_on", "lifecycle", "provider", "provisioner", "connection"]);

/** `type.name` of every resource or data source a value references (`${aws_x.name.attr}`), however deep. */
export function referencesIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") {
    if (value.includes("${")) {
      for (const m of value.matchAll(/(?<![\w.-])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z0-9_-]+)(?=[.[])/g)) into.add(m[1]);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) referencesIn(v, into);
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) if (!NOT_REFERENCES.has(k)) referencesIn(v, into);
  }
  return into;
}

/** True when `value` references the resource at `address`. */
export function refersTo(value: unknown, address: string): boolean {
  return referencesIn(value).has(address);
}

/** A value that is a Terraform expression, not a literal (so the pack cannot tell what it will be). */
export function isExpression(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

/** A nested block as a list: cdktf writes single blocks as an object, repeatable ones as a list. */
export function blocks(value: unknown): Json[] {
  if (Array.isArray(value)) return value.filter(isObject);
  return isObject(value) ? [value] : [];
}

/** The first block of a nested block, or an empty object. */
export function block(value: unknown): Json {
  return blocks(value)[0] ?? {};
}

/** A boolean argument (some bindings type them as "true"/"false" strings); undefined when absent or an expression. */
export function bool(value: unknown): boolean | undefined {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return undefined;
}

/** A number argument (literal or numeric string); undefined when absent or an expression. */
export function num(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** A string list argument (a single string counts as a list of one). */
export function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** CIDRs that mean "anywhere". */
export function isOpenCidr(cidr: string): boolean {
  return cidr === "0.0.0.0/0" || cidr === "::/0";
}

/**
 * User data as the instance sees it, as far as it can be known from the JSON: the string inside
 * `${base64encode("...")}`, a literal base64 blob decoded, or the literal text. Undefined when
 * it comes from an expression the pack cannot read (`${file(...)}`, a variable).
 */
export function userDataText(body: Readonly<Json>): string | undefined {
  const raw = body.user_data ?? body.user_data_base64;
  if (typeof raw !== "string") return undefined;
  const wrapped = /^\$\{base64encode\("([\s\S]*)"\)\}$/.exec(raw);
  if (wrapped) {
    try {
      return JSON.parse(`"${wrapped[1]}"`) as string;
    } catch {
      return wrapped[1];
    }
  }
  if (raw.includes("${")) {
    // Interpolations inside literal text leave the text readable; a whole-value expression does not.
    return /^\$\{[^}]*\}$/.test(raw) ? undefined : raw;
  }
  const compact = raw.replace(/\s+/g, "");
  if (compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && body.user_data_base64 !== undefined) {
    return Buffer.from(compact, "base64").toString("utf8");
  }
  if (compact.length >= 16 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    const decoded = Buffer.from(compact, "base64").toString("utf8");
    // Printable text: it was base64; otherwise it was a plain token that happened to look like it.
    if (/^[\x09\x0a\x0d\x20-\x7e]*$/.test(decoded)) return decoded;
  }
  return raw;
}

/** The view the rules read: resources by type and by address, references, data sources. */
export function stackView(terraformJson: unknown): StackView {
  const root = isObject(terraformJson) ? terraformJson : {};
  const resources: TfResource[] = [];
  for (const [type, byName] of Object.entries(isObject(root.resource) ? root.resource : {})) {
    if (!isObject(byName)) continue;
    for (const [name, body] of Object.entries(byName)) {
      if (isObject(body)) resources.push({ type, name, address: `${type}.${name}`, body });
    }
  }
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const byType = new Map<string, TfResource[]>();
  for (const r of resources) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  const refs = new Map<string, Set<string>>();
  const refsOf = (r: TfResource) => {
    let s = refs.get(r.address);
    if (!s) refs.set(r.address, (s = referencesIn(r.body)));
    return s;
  };
  const data = isObject(root.data) ? root.data : {};
  return {
    resources: (...types) => (types.length === 0 ? [...resources] : types.flatMap((t) => byType.get(t) ?? [])),
    resource: (address) => byAddress.get(address),
    referrers: (address, ...types) => (types.length === 0 ? resources : types.flatMap((t) => byType.get(t) ?? [])).filter((r) => r.address !== address && refsOf(r).has(address)),
    data: (type, name) => {
      const byName = data[type];
      const body = isObject(byName) ? byName[name] : undefined;
      return isObject(body) ? body : undefined;
    },
  };
}
