/**
 * Smoke tests through the test listener (which forwards to the idle colour): a YAML spec of
 * requests and what each must answer. Parsing and checking are pure; running is plain
 * node:http/https, one request after the other, in the spec's order.
 *
 * The spec format is documented in README.md ("Smoke test spec") with examples/smoke.yaml.
 */
import type { IncomingHttpHeaders } from "node:http";
import { parseDuration } from "./schedule";
import { WeightError } from "./weights";

export interface SmokeRequest {
  readonly name: string;
  readonly method: string;
  /** Starts with `/`, query string included. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly expect: {
    /** Accepted status codes; undefined accepts any 2xx. */
    readonly status?: readonly number[];
    /** JSON body fields by dotted path (`items.0.id`), each deep-equal to the value. */
    readonly body?: Readonly<Record<string, unknown>>;
    readonly bodyContains?: string;
    /** Response headers (names case-insensitive), each equal to the value. */
    readonly headers?: Readonly<Record<string, string>>;
    readonly maxLatencyMs?: number;
  };
}

export interface SmokeSpec {
  readonly file: string;
  readonly requests: readonly SmokeRequest[];
}

export interface SmokeResult {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly ok: boolean;
  readonly status?: number;
  readonly latencyMs?: number;
  readonly failures: readonly string[];
}

export interface SmokeReport {
  readonly ok: boolean;
  readonly baseUrl: string;
  /** The colour the test listener forwarded to, when known. */
  readonly colour?: string;
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly SmokeResult[];
}

/** A spec problem: file, line, key, what is wrong. Exit 2. */
export class SmokeSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SmokeSpecError";
  }
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const REQUEST_KEYS = ["name", "method", "path", "headers", "body", "timeout", "expect"];
const EXPECT_KEYS = ["status", "body", "body_contains", "headers", "max_latency"];
const DEFAULT_KEYS = ["headers", "timeout", "max_latency"];
const DEFAULT_TIMEOUT_MS = 10_000;

type Path = ReadonlyArray<string | number>;
const keyOf = (p: Path) => p.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Replaces `${NAME}` in a string with the environment variable NAME (`$${` is a literal `${`;
 * an unset or empty NAME is an error),
 * so one spec can assert that the idle colour runs the release's tag: `version: "${IMAGE_TAG}"`.
 */
export function substitute(text: string, env: Readonly<Record<string, string | undefined>>, where: () => string): string {
  return text.replace(/\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string | undefined) => {
    if (m === "$${") return "${";
    const v = env[name!];
    // Empty counts as unset: an unset GitHub secret arrives as "", and an empty token or tag is a mistake.
    if (v === undefined || v === "") throw new SmokeSpecError(`${where()}: uses \${${name}}, but the environment variable ${name} is not set (or empty). Set it, or write $\${ for a literal \${`);
    return v;
  });
}

/** Parses and validates a spec; every problem names the file, the line and the key. */
export function parseSmokeSpec(file: string, text: string, env: Readonly<Record<string, string | undefined>> = process.env): SmokeSpec {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require("yaml") as typeof import("yaml");
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new SmokeSpecError(`${file}${line ? `:${line}` : ""}: not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const root = doc.toJS() as unknown;
  const lineAt = (p: Path): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const node = p.length === 0 || n === 0 ? doc.contents : (doc.getIn(p.slice(0, n), true) as { range?: [number, number, number] } | undefined);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    return undefined;
  };
  const at = (p: Path) => {
    const line = lineAt(p);
    return `${file}${line ? `:${line}` : ""}${p.length ? `: ${keyOf(p)}` : ""}`;
  };
  const fail = (p: Path, message: string): never => {
    throw new SmokeSpecError(`${at(p)}: ${message}`);
  };
  const sub = (v: string, p: Path) => substitute(v, env, () => at(p));
  const subDeep = (v: unknown, p: Path): unknown => {
    if (typeof v === "string") return sub(v, p);
    if (Array.isArray(v)) return v.map((x, i) => subDeep(x, [...p, i]));
    if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, subDeep(x, [...p, k])]));
    return v;
  };
  const onlyKeys = (v: Record<string, unknown>, allowed: readonly string[], p: Path) => {
    for (const k of Object.keys(v)) if (!allowed.includes(k)) fail([...p, k], `unknown key; allowed here: ${allowed.join(", ")}`);
  };
  const duration = (v: unknown, p: Path): number => {
    if (typeof v !== "string" && v !== 0) fail(p, `given ${JSON.stringify(v)}; a duration such as 500ms, 2s or 1m`);
    try {
      return parseDuration(String(v), keyOf(p));
    } catch (e) {
      return fail(p, (e as WeightError).message);
    }
  };
  const stringMap = (v: unknown, p: Path): Record<string, string> => {
    if (!isMap(v)) return fail(p, `given ${JSON.stringify(v)}; a mapping of header names to strings`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) fail([...p, k], "not a valid HTTP header name");
      if (typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean") fail([...p, k], `given ${JSON.stringify(x)}; a header value is a string`);
      out[k.toLowerCase()] = sub(String(x), [...p, k]);
    }
    return out;
  };

  if (!isMap(root)) return fail([], "must be a mapping with a `requests` list (see examples/smoke.yaml)");
  onlyKeys(root, ["version", "defaults", "requests"], []);
  if (root.version !== undefined && root.version !== 1) fail(["version"], `given ${JSON.stringify(root.version)}; only version 1 exists`);
  let defaults: { headers: Record<string, string>; timeoutMs: number; maxLatencyMs?: number } = { headers: {}, timeoutMs: DEFAULT_TIMEOUT_MS };
  if (root.defaults !== undefined) {
    const d = root.defaults;
    if (!isMap(d)) fail(["defaults"], "must be a mapping");
    const dm = d as Record<string, unknown>;
    onlyKeys(dm, DEFAULT_KEYS, ["defaults"]);
    defaults = {
      headers: dm.headers === undefined ? {} : stringMap(dm.headers, ["defaults", "headers"]),
      timeoutMs: dm.timeout === undefined ? DEFAULT_TIMEOUT_MS : duration(dm.timeout, ["defaults", "timeout"]),
      maxLatencyMs: dm.max_latency === undefined ? undefined : duration(dm.max_latency, ["defaults", "max_latency"]),
    };
  }
  if (!Array.isArray(root.requests) || root.requests.length === 0) fail(["requests"], "must be a non-empty list of requests");
  const requests = (root.requests as unknown[]).map((r, i): SmokeRequest => {
    const p: Path = ["requests", i];
    if (!isMap(r)) return fail(p, "must be a mapping with at least `path`");
    onlyKeys(r, REQUEST_KEYS, p);
    const method = r.method === undefined ? "GET" : String(r.method).toUpperCase();
    if (!METHODS.includes(method)) fail([...p, "method"], `given ${JSON.stringify(r.method)}; one of ${METHODS.join(", ")}`);
    if (typeof r.path !== "string" || !r.path.startsWith("/")) fail([...p, "path"], `given ${JSON.stringify(r.path)}; a path starting with /, e.g. /health`);
    const path = sub(r.path as string, [...p, "path"]);
    const headers = { ...defaults.headers, ...(r.headers === undefined ? {} : stringMap(r.headers, [...p, "headers"])) };
    let body: string | undefined;
    if (r.body !== undefined && r.body !== null) {
      if (method === "GET" || method === "HEAD") fail([...p, "body"], `a ${method} request has no body`);
      if (typeof r.body === "string") body = sub(r.body, [...p, "body"]);
      else {
        body = JSON.stringify(subDeep(r.body, [...p, "body"]));
        headers["content-type"] ??= "application/json";
      }
    }
    const e = r.expect ?? {};
    if (!isMap(e)) return fail([...p, "expect"], "must be a mapping (status, body, body_contains, headers, max_latency)");
    onlyKeys(e, EXPECT_KEYS, [...p, "expect"]);
    let status: number[] | undefined;
    if (e.status !== undefined) {
      const list = Array.isArray(e.status) ? e.status : [e.status];
      if (list.length === 0 || list.some((s) => !Number.isInteger(s) || (s as number) < 100 || (s as number) > 599)) {
        fail([...p, "expect", "status"], `given ${JSON.stringify(e.status)}; an HTTP status code (100-599) or a list of them`);
      }
      status = list as number[];
    }
    if (e.body !== undefined && !isMap(e.body)) fail([...p, "expect", "body"], "must map JSON field paths (such as status or items.0.id) to the values expected");
    if (e.body_contains !== undefined && typeof e.body_contains !== "string") fail([...p, "expect", "body_contains"], "must be a string");
    const name = r.name === undefined ? `${method} ${path}` : String(r.name);
    return {
      name,
      method,
      path,
      headers,
      body,
      timeoutMs: r.timeout === undefined ? defaults.timeoutMs : duration(r.timeout, [...p, "timeout"]),
      expect: {
        status,
        body: e.body === undefined ? undefined : (subDeep(e.body, [...p, "expect", "body"]) as Record<string, unknown>),
        bodyContains: e.body_contains === undefined ? undefined : sub(e.body_contains as string, [...p, "expect", "body_contains"]),
        headers: e.headers === undefined ? undefined : stringMap(e.headers, [...p, "expect", "headers"]),
        maxLatencyMs: e.max_latency === undefined ? defaults.maxLatencyMs : duration(e.max_latency, [...p, "expect", "max_latency"]),
      },
    };
  });
  return { file, requests };
}

/** The value at a dotted path (`a.b.0.c`) of parsed JSON; `found` false when a segment is missing. */
export function fieldAt(json: unknown, dotted: string): { found: boolean; value?: unknown } {
  let v: unknown = json;
  for (const seg of dotted.split(".")) {
    if (Array.isArray(v) && /^\d+$/.test(seg) && Number(seg) < v.length) v = v[Number(seg)];
    else if (isMap(v) && Object.prototype.hasOwnProperty.call(v, seg)) v = v[seg];
    else return { found: false };
  }
  return { found: true, value: v };
}

const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** What is wrong with one answer (empty when it passes). Pure. */
export function checkResponse(req: SmokeRequest, res: { status: number; headers: Readonly<Record<string, string | string[] | undefined>>; body: string; latencyMs: number }): string[] {
  const failures: string[] = [];
  const e = req.expect;
  if (e.status ? !e.status.includes(res.status) : res.status < 200 || res.status > 299) {
    failures.push(`status ${res.status}, expected ${e.status ? e.status.join(" or ") : "2xx"}`);
  }
  if (e.maxLatencyMs !== undefined && res.latencyMs > e.maxLatencyMs) failures.push(`took ${Math.round(res.latencyMs)} ms, more than the ${e.maxLatencyMs} ms allowed`);
  for (const [name, want] of Object.entries(e.headers ?? {})) {
    const got = res.headers[name.toLowerCase()];
    const text = Array.isArray(got) ? got.join(", ") : got;
    if (text !== want) failures.push(`header ${name} ${text === undefined ? "missing" : short(text)}, expected ${short(want)}`);
  }
  if (e.bodyContains !== undefined && !res.body.includes(e.bodyContains)) failures.push(`body does not contain ${short(e.bodyContains)}`);
  if (e.body) {
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      failures.push(`body is not JSON (${short(res.body.slice(0, 60))}), expected fields ${Object.keys(e.body).join(", ")}`);
      return failures;
    }
    for (const [field, want] of Object.entries(e.body)) {
      const got = fieldAt(json, field);
      if (!got.found) failures.push(`body.${field} missing, expected ${short(want)}`);
      else if (!deepEqual(got.value, want)) failures.push(`body.${field} ${short(got.value)}, expected ${short(want)}`);
    }
  }
  return failures;
}

function send(url: URL, req: SmokeRequest): Promise<{ status: number; headers: IncomingHttpHeaders; body: string; latencyMs: number }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = (url.protocol === "https:" ? require("node:https") : require("node:http")) as typeof import("node:http");
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const headers: Record<string, string> = { "user-agent": "ecs-shift-smoke", ...req.headers };
    if (req.body !== undefined) headers["content-length"] = String(Buffer.byteLength(req.body));
    const r = mod.request(url, { method: req.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), latencyMs: performance.now() - t0 }));
      res.on("error", reject);
    });
    r.setTimeout(req.timeoutMs, () => r.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
    r.on("error", reject);
    r.end(req.body);
  });
}

/** Runs every request in order and checks its answer; never throws for a failing request. */
export async function runSmoke(spec: SmokeSpec, baseUrl: string, colour?: string): Promise<SmokeReport> {
  const results: SmokeResult[] = [];
  const base = baseUrl.replace(/\/+$/, "");
  for (const req of spec.requests) {
    const url = new URL(base + req.path);
    try {
      const res = await send(url, req);
      const failures = checkResponse(req, res);
      results.push({ name: req.name, method: req.method, path: req.path, ok: failures.length === 0, status: res.status, latencyMs: Math.round(res.latencyMs), failures });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const hint = err.code === "ECONNREFUSED" || err.code === "ETIMEDOUT" || /no answer/.test(err.message) ? " (the test listener only admits test_listener_cidrs: run from inside them)" : "";
      results.push({ name: req.name, method: req.method, path: req.path, ok: false, failures: [`${req.method} ${url.href} failed: ${err.code ?? err.message}${hint}`] });
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  return { ok: failed === 0, baseUrl: base, colour, passed: results.length - failed, failed, results };
}
