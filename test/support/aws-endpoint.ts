/**
 * A local AWS endpoint for ecs-shift's tests and benchmark, on one port: the ELBv2 Query protocol
 * (form-encoded requests, XML answers and errors), CloudWatch's AWS JSON 1.0 DescribeAlarms,
 * S3's REST GetObject (path-style, XML errors: the Terraform lock file) and DynamoDB's JSON 1.0
 * GetItem (the Terraform lock item). It holds rule / listener / target group / tag / health /
 * alarm / object / item state, lets a test change that state at any call (a concurrent operator,
 * an alarm going off mid-bake), and injects faults: throttling (in all, or per action), 5xx, an
 * outage window (503 on every call), a call held in flight until the test releases it (or never
 * answered), latency on every call, lost writes. It validates tags as AWS does (key and value
 * characters and lengths, at most 50 per resource) and pages DescribeAlarms (NextToken) and
 * DescribeTargetGroups (NextMarker). Each call records which client made it (the access key id),
 * so two CLI processes racing on one rule can be told apart. Listens on 127.0.0.1 only.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export interface TargetGroupState {
  arn: string;
  name: string;
  tags: Record<string, string>;
  targets: Array<{ id: string; state: "healthy" | "unhealthy" | "initial" | "draining" | "unused" }>;
}
export interface RuleState {
  arn: string;
  listenerArn: string;
  priority: string;
  conditions: Obj[];
  actions: Obj[];
  tags: Record<string, string>;
}
export interface ListenerState {
  arn: string;
  port: number;
  defaultActions: Obj[];
  tags: Record<string, string>;
}
export interface State {
  rules: Record<string, RuleState>;
  listeners: Record<string, ListenerState>;
  targetGroups: Record<string, TargetGroupState>;
  alarms: Record<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">;
  /** S3 buckets by name, each holding objects by key (bodies as text). */
  s3: Record<string, Record<string, string>>;
  /** DynamoDB tables by name, each holding items by their `LockID` string hash key. */
  dynamodb: Record<string, Record<string, Record<string, { S: string }>>>;
}
export interface Faults {
  /** Answer the next N requests with a Throttling error. */
  throttle?: number;
  /** Answer the next N requests with HTTP 500. */
  serverErrors?: number;
  /** Acknowledge the next Modify* without applying it. */
  loseNextWrite?: boolean;
  /** Called on every DescribeRules/DescribeListeners with its 1-based count; may edit state (a concurrent operator). */
  onRead?: (count: number, state: State) => void;
  /**
   * Called before every request is answered, with its action and every action served so far
   * (this one included); may edit state, so this very answer already sees the change.
   */
  onCall?: (action: string, state: State, calls: readonly string[], caller: string) => void;
  /** Actions answered with AccessDenied (e.g. "GetObject", "GetItem", "ModifyRule"). */
  deny?: string[];
  /** Answer the next N calls of each action named with HTTP 500 (a count per action, decremented). */
  serverErrorsByAction?: Record<string, number>;
  /** Throttle the next N calls of each action named (a count per action, decremented). */
  throttleByAction?: Record<string, number>;
  /** While true, every call is answered 503 (an outage window). */
  outage?: boolean;
  /** Answer the next N calls with 503 (an outage window that closes after N calls). */
  outageFor?: number;
  /** Actions never answered (held in flight forever: a hung endpoint). */
  hang?: string[];
  /** Added before every answer (network latency), in milliseconds. */
  latencyMs?: number;
}

/** A call held in flight by `AwsEndpoint.hold`. */
export interface Held {
  /** Resolves when the matching call arrives (its caller's access key id). */
  readonly arrived: Promise<string>;
  /** Lets the call go on: it is applied and answered now. */
  release(): void;
  /** Whether the call has arrived. */
  readonly isHeld: () => boolean;
}

const NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function toXml(v: Json | undefined): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map((m) => `<member>${toXml(m)}</member>`).join("");
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => (x === undefined ? "" : `<${k}>${toXml(x)}</${k}>`)).join("");
  return esc(String(v));
}

/** `A.member.1.B=x` form fields into nested objects and arrays; numbers and booleans typed. */
export function parseForm(body: string): Obj {
  const root: Obj = {};
  for (const [key, raw] of new URLSearchParams(body)) {
    const value: Json = /^-?\d+$/.test(raw) ? Number(raw) : raw === "true" ? true : raw === "false" ? false : raw;
    const parts = key.split(".");
    let node: any = root;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      if (parts[i] === "member") continue;
      const isIndex = /^\d+$/.test(parts[i]);
      const k: string | number = isIndex ? Number(parts[i]) - 1 : parts[i];
      const nextIsMember = parts[i + 1] === "member";
      if (last) node[k] = value;
      else {
        node[k] ??= nextIsMember ? [] : {};
        node = node[k];
      }
    }
  }
  return root;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class AwsEndpoint {
  readonly state: State;
  faults: Faults = {};
  /** Every action served, in order (faulted ones included). */
  readonly calls: string[] = [];
  /** The weights of every ModifyRule applied, in order, by target group ARN. */
  readonly ruleWrites: Array<Record<string, number>> = [];
  /** The access key id of every call, in the order of `calls`. */
  readonly callers: string[] = [];
  /** Calls that arrived for a hung action and were never answered. */
  readonly hung: string[] = [];
  /** Page sizes: DescribeAlarms and DescribeTargetGroups answer at most this many per page. */
  pageSize = 50;
  private holds: Array<{ action: string; caller?: string; skip: number; arrive: (k: string) => void; go?: () => void; released: boolean; arrivedFlag: boolean }> = [];
  private server?: http.Server;
  private reads = 0;
  url = "";

  constructor(state: State) {
    this.state = state;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => this.handle(req, body, res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const h of this.holds) h.released = true;
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /**
   * Holds the next call of `action` (after `skip` others; only from `caller`, an access key id,
   * when given) in flight: it is neither applied nor answered until `release()`. Never released,
   * it is an endpoint that never answers that call.
   */
  hold(action: string, opts: { caller?: string; skip?: number } = {}): Held {
    let arrive!: (k: string) => void;
    const arrived = new Promise<string>((r) => (arrive = r));
    const h = { action, caller: opts.caller, skip: opts.skip ?? 0, arrive, released: false, arrivedFlag: false } as (typeof this.holds)[number];
    this.holds.push(h);
    return {
      arrived,
      release: () => {
        h.released = true;
        h.go?.();
      },
      isHeld: () => h.arrivedFlag && !h.released,
    };
  }

  /** How many calls of `action` were served (faulted ones included). */
  count(action: string): number {
    return this.calls.filter((c) => c === action).length;
  }

  /** How many Modify* calls were applied. */
  writes(): number {
    return this.calls.filter((c) => c === "ModifyRule" || c === "ModifyListener").length;
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const target = req.headers["x-amz-target"];
    const url = new URL(req.url ?? "/", "http://local");
    // S3 is REST (GET /<bucket>/<key>); CloudWatch and DynamoDB are JSON with X-Amz-Target; ELBv2 is a Query POST.
    const protocol: "s3" | "json" | "query" = typeof target === "string" ? "json" : req.method === "GET" && url.pathname !== "/" ? "s3" : "query";
    const action = protocol === "json" ? String(target).split(".")[1] : protocol === "s3" ? "GetObject" : String(parseForm(body).Action ?? "");
    const caller = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
    const hold = this.holds.find((h) => !h.arrivedFlag && h.action === action && (!h.caller || h.caller === caller) && h.skip-- <= 0);
    const go = () => {
      if (res.destroyed) return;
      const later = this.faults.latencyMs;
      if (later && later > 0) setTimeout(() => this.answer(req, body, res, protocol, action, caller, target, url), later);
      else this.answer(req, body, res, protocol, action, caller, target, url);
    };
    if (this.faults.hang?.includes(action)) {
      this.hung.push(action);
      return;
    }
    if (hold) {
      hold.arrivedFlag = true;
      hold.go = go;
      hold.arrive(caller);
      if (hold.released) go();
      return;
    }
    go();
  }

  private answer(_req: http.IncomingMessage, body: string, res: http.ServerResponse, protocol: "s3" | "json" | "query", action: string, caller: string, target: string | string[] | undefined, url: URL): void {
    this.calls.push(action);
    this.callers.push(caller);
    const send = (status: number, text: string, type?: string) => {
      res.writeHead(status, { "content-type": type ?? (protocol === "json" ? "application/x-amz-json-1.0" : "text/xml"), "x-amzn-requestid": "local", "x-amz-request-id": "local" });
      res.end(text);
    };
    const fail = (e: ApiError) => {
      if (protocol === "json") {
        const prefix = String(target).startsWith("DynamoDB_") ? "com.amazonaws.dynamodb.v20120810#" : "";
        return send(e.status, JSON.stringify({ __type: `${prefix}${e.code}`, message: e.message }));
      }
      if (protocol === "s3") return send(e.status, `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${esc(e.message)}</Message><RequestId>local</RequestId></Error>`, "application/xml");
      return send(e.status, `<ErrorResponse xmlns="${NS}"><Error><Type>${e.status >= 500 ? "Receiver" : "Sender"}</Type><Code>${e.code}</Code><Message>${esc(e.message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`);
    };
    try {
      if (this.faults.outageFor && this.faults.outageFor > 0) {
        this.faults.outageFor--;
        throw new ApiError(503, protocol === "s3" ? "SlowDown" : "ServiceUnavailable", "injected outage: the service is unavailable");
      }
      if (this.faults.outage) throw new ApiError(503, protocol === "s3" ? "SlowDown" : "ServiceUnavailable", "injected outage: the service is unavailable");
      const perAction = this.faults.throttleByAction?.[action];
      if (perAction && perAction > 0) {
        this.faults.throttleByAction![action] = perAction - 1;
        throw new ApiError(protocol === "s3" ? 503 : 400, protocol === "json" ? "ThrottlingException" : protocol === "s3" ? "SlowDown" : "Throttling", "Rate exceeded");
      }
      const errs = this.faults.serverErrorsByAction?.[action];
      if (errs && errs > 0) {
        this.faults.serverErrorsByAction![action] = errs - 1;
        throw new ApiError(500, "InternalFailure", "injected server error");
      }
      if (this.faults.throttle && this.faults.throttle > 0) {
        this.faults.throttle--;
        throw new ApiError(protocol === "s3" ? 503 : 400, protocol === "json" ? "ThrottlingException" : protocol === "s3" ? "SlowDown" : "Throttling", "Rate exceeded");
      }
      if (this.faults.serverErrors && this.faults.serverErrors > 0) {
        this.faults.serverErrors--;
        throw new ApiError(500, "InternalFailure", "injected server error");
      }
      this.faults.onCall?.(action, this.state, this.calls, caller);
      if (this.faults.deny?.includes(action)) {
        const dynamo = protocol === "json" && String(target).startsWith("DynamoDB_");
        throw new ApiError(dynamo ? 400 : 403, dynamo ? "AccessDeniedException" : "AccessDenied", `User: arn:aws:sts::${ACCOUNT}:assumed-role/operator/jest is not authorized to perform: ${action}`);
      }
      if (protocol === "s3") {
        const [bucket, ...rest] = url.pathname.slice(1).split("/").map(decodeURIComponent);
        const key = rest.join("/");
        const objects = this.state.s3[bucket];
        if (!objects) throw new ApiError(404, "NoSuchBucket", "The specified bucket does not exist");
        if (!(key in objects)) throw new ApiError(404, "NoSuchKey", "The specified key does not exist.");
        return send(200, objects[key], "application/octet-stream");
      }
      if (protocol === "json") {
        const input = JSON.parse(body || "{}");
        if (action === "DescribeAlarms") {
          const names = (input.AlarmNames ?? []) as string[];
          if (names.length > 100) throw new ApiError(400, "ValidationError", "AlarmNames: at most 100 names per call");
          const all = names.filter((n) => n in this.state.alarms);
          const start = input.NextToken ? Number(input.NextToken) : 0;
          const size = Math.min(Number(input.MaxRecords ?? this.pageSize), this.pageSize);
          const MetricAlarms = all.slice(start, start + size).map((n) => ({ AlarmName: n, StateValue: this.state.alarms[n] }));
          const next = start + size < all.length ? { NextToken: String(start + size) } : {};
          return send(200, JSON.stringify({ MetricAlarms, CompositeAlarms: [], ...next }));
        }
        if (action === "GetItem") {
          const table = this.state.dynamodb[input.TableName as string];
          if (!table) throw new ApiError(400, "ResourceNotFoundException", "Requested resource not found");
          const id = input.Key?.LockID?.S as string | undefined;
          if (!id || Object.keys(input.Key).length !== 1) throw new ApiError(400, "ValidationException", "The provided key element does not match the schema");
          const item = table[id];
          return send(200, JSON.stringify(item ? { Item: item } : {}));
        }
        throw new ApiError(400, "UnknownOperationException", action);
      }
      const result = this.elbv2(action, parseForm(body));
      send(200, `<${action}Response xmlns="${NS}"><${action}Result>${toXml(result)}</${action}Result><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></${action}Response>`);
    } catch (e) {
      if (e instanceof ApiError) fail(e);
      else fail(new ApiError(500, "InternalFailure", String(e)));
    }
  }

  private rule(arn: string): RuleState {
    const r = this.state.rules[arn];
    if (!r) throw new ApiError(400, "RuleNotFound", `One or more rules not found`);
    return r;
  }

  private listener(arn: string): ListenerState {
    const l = this.state.listeners[arn];
    if (!l) throw new ApiError(400, "ListenerNotFound", `One or more listeners not found`);
    return l;
  }

  private taggable(arn: string): { tags: Record<string, string> } {
    const t = this.state.rules[arn] ?? this.state.listeners[arn] ?? this.state.targetGroups[arn];
    if (!t) throw new ApiError(400, arn.includes(":targetgroup/") ? "TargetGroupNotFound" : arn.includes(":listener-rule/") ? "RuleNotFound" : "ListenerNotFound", `${arn} not found`);
    return t;
  }

  private checkActions(actions: Obj[]): void {
    for (const a of actions) {
      const groups = ((a.ForwardConfig as Obj | undefined)?.TargetGroups as Obj[] | undefined) ?? [];
      for (const g of groups) if (!this.state.targetGroups[g.TargetGroupArn as string]) throw new ApiError(400, "TargetGroupNotFound", `Target group '${g.TargetGroupArn}' not found`);
      if (groups.length > 1 && a.TargetGroupArn) throw new ApiError(400, "ValidationError", "TargetGroupArn cannot be specified with more than one target group in ForwardConfig");
    }
  }

  private ruleXml(r: RuleState): Obj {
    return { RuleArn: r.arn, Priority: r.priority, IsDefault: false, Conditions: r.conditions, Actions: r.actions };
  }

  private elbv2(action: string, p: Obj): Json {
    switch (action) {
      case "DescribeRules": {
        this.faults.onRead?.(++this.reads, this.state);
        return { Rules: ((p.RuleArns as string[]) ?? []).map((arn) => this.ruleXml(this.rule(arn))) };
      }
      case "DescribeListeners": {
        this.faults.onRead?.(++this.reads, this.state);
        return {
          Listeners: ((p.ListenerArns as string[]) ?? []).map((arn) => {
            const l = this.listener(arn);
            return { ListenerArn: l.arn, Port: l.port, Protocol: "HTTP", DefaultActions: l.defaultActions };
          }),
        };
      }
      case "ModifyRule": {
        const r = this.rule(p.RuleArn as string);
        const conditions = (p.Conditions as Obj[] | undefined) ?? [];
        for (const c of conditions) {
          if (c.Values && (c.PathPatternConfig || c.HostHeaderConfig)) throw new ApiError(400, "ValidationError", "A condition cannot have both Values and a config");
        }
        const actions = (p.Actions as Obj[]) ?? [];
        this.checkActions(actions);
        if (this.faults.loseNextWrite) this.faults.loseNextWrite = false;
        else {
          r.actions = actions;
          const groups = ((actions[0]?.ForwardConfig as Obj | undefined)?.TargetGroups as Obj[] | undefined) ?? [];
          this.ruleWrites.push(Object.fromEntries(groups.map((g) => [String(g.TargetGroupArn), Number(g.Weight ?? 1)])));
        }
        return { Rules: [this.ruleXml(r)] };
      }
      case "ModifyListener": {
        const l = this.listener(p.ListenerArn as string);
        const actions = (p.DefaultActions as Obj[]) ?? [];
        this.checkActions(actions);
        if (this.faults.loseNextWrite) this.faults.loseNextWrite = false;
        else l.defaultActions = actions;
        return { Listeners: [{ ListenerArn: l.arn, Port: l.port, DefaultActions: l.defaultActions }] };
      }
      case "DescribeTargetGroups": {
        const arns = (p.TargetGroupArns as string[]) ?? [];
        const missing = arns.filter((a) => !this.state.targetGroups[a]);
        if (missing.length) throw new ApiError(400, "TargetGroupNotFound", `One or more target groups not found: ${missing.join(", ")}`);
        const start = p.Marker ? Number(p.Marker) : 0;
        const page = arns.slice(start, start + this.pageSize);
        const result: Obj = { TargetGroups: page.map((a) => ({ TargetGroupArn: a, TargetGroupName: this.state.targetGroups[a].name, TargetType: "ip", Protocol: "HTTP", Port: 8080 })) };
        if (start + this.pageSize < arns.length) result.NextMarker = String(start + this.pageSize);
        return result;
      }
      case "DescribeTargetHealth": {
        const tg = this.state.targetGroups[p.TargetGroupArn as string];
        if (!tg) throw new ApiError(400, "TargetGroupNotFound", `Target group '${p.TargetGroupArn}' not found`);
        return { TargetHealthDescriptions: tg.targets.map((t) => ({ Target: { Id: t.id, Port: 8080 }, TargetHealth: { State: t.state } })) };
      }
      case "DescribeTags": {
        if (((p.ResourceArns as string[]) ?? []).length > 20) throw new ApiError(400, "ValidationError", "ResourceArns: at most 20 per call");
        return {
          TagDescriptions: ((p.ResourceArns as string[]) ?? []).map((arn) => ({
            ResourceArn: arn,
            Tags: Object.entries(this.taggable(arn).tags).map(([Key, Value]) => ({ Key, Value })),
          })),
        };
      }
      case "AddTags": {
        const tags = (p.Tags as Obj[]) ?? [];
        for (const tag of tags) {
          const key = String(tag.Key ?? "");
          const value = String(tag.Value ?? "");
          if (!key || key.length > 128 || !TAG_CHARS.test(key) || key.startsWith("aws:")) throw new ApiError(400, "ValidationError", `Tag key ${JSON.stringify(key)} is not valid`);
          if (value.length > 256 || !TAG_CHARS.test(value)) throw new ApiError(400, "ValidationError", `Tag value ${JSON.stringify(value)} of key ${key} is not valid: at most 256 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]`);
        }
        for (const arn of (p.ResourceArns as string[]) ?? []) {
          const t = this.taggable(arn);
          const merged = { ...t.tags, ...Object.fromEntries(tags.map((tag) => [String(tag.Key), String(tag.Value ?? "")])) };
          if (Object.keys(merged).length > 50) throw new ApiError(400, "TooManyTags", `${arn} would have ${Object.keys(merged).length} tags; at most 50`);
          t.tags = merged;
        }
        return {};
      }
      case "RemoveTags": {
        for (const arn of (p.ResourceArns as string[]) ?? []) {
          const t = this.taggable(arn);
          for (const k of (p.TagKeys as string[]) ?? []) delete t.tags[k];
        }
        return {};
      }
      default:
        throw new ApiError(400, "InvalidAction", `Could not find operation ${action}`);
    }
  }
}

/** The characters AWS allows in ELBv2 tag keys and values. */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export const ACCOUNT = "123456789012";
const base = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}`;
export const ARNS = {
  lb: `${base}:loadbalancer/app/webapp-dev/50dc6c495c0c9188`,
  listener: `${base}:listener/app/webapp-dev/50dc6c495c0c9188/f2f7dc8efc522ab2`,
  testListener: `${base}:listener/app/webapp-dev/50dc6c495c0c9188/0467ef3c8400ae65`,
  rule: `${base}:listener-rule/app/webapp-dev/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
  blue: `${base}:targetgroup/webapp-dev-blue/73e2d6bc24d8a067`,
  green: `${base}:targetgroup/webapp-dev-green/943f017f100becff`,
  third: `${base}:targetgroup/webapp-dev-canary/1b2c3d4e5f6a7b8c`,
};

/** A deployed dev stack as the stacks create it: blue live, green idle and healthy, stickiness on. */
export function deployedState(): State {
  const forward = (blue: number, green: number): Obj => ({
    Type: "forward",
    Order: 1,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: ARNS.blue, Weight: blue },
        { TargetGroupArn: ARNS.green, Weight: green },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
    },
  });
  return {
    rules: {
      [ARNS.rule]: {
        arn: ARNS.rule,
        listenerArn: ARNS.listener,
        priority: "100",
        // As DescribeRules returns them: both the old Values and the new config form.
        conditions: [{ Field: "path-pattern", Values: ["/*"], PathPatternConfig: { Values: ["/*"] } }],
        actions: [forward(100, 0)],
        tags: { Name: "webapp-dev-weighted" },
      },
    },
    listeners: {
      [ARNS.listener]: { arn: ARNS.listener, port: 80, defaultActions: [forward(100, 0)], tags: {} },
      [ARNS.testListener]: { arn: ARNS.testListener, port: 8443, defaultActions: [{ Type: "forward", Order: 1, TargetGroupArn: ARNS.green }], tags: {} },
    },
    targetGroups: {
      [ARNS.blue]: { arn: ARNS.blue, name: "webapp-dev-blue", tags: { Color: "blue" }, targets: [{ id: "10.10.10.5", state: "healthy" }, { id: "10.10.11.6", state: "healthy" }] },
      [ARNS.green]: { arn: ARNS.green, name: "webapp-dev-green", tags: { Color: "green" }, targets: [{ id: "10.10.10.7", state: "healthy" }] },
      [ARNS.third]: { arn: ARNS.third, name: "webapp-dev-canary", tags: {}, targets: [] },
    },
    alarms: { "webapp-dev-blue-target-5xx": "OK", "webapp-dev-green-target-5xx": "OK", "webapp-dev-green-p99-latency": "OK" },
    // The state bucket exists; no Terraform run holds the lock (no <key>.tflock object).
    s3: { [STATE.bucket]: { [STATE.key]: '{"version":4}' } },
    dynamodb: {},
  };
}

/** Where the dev stack's Terraform state lives (config/backend-dev.hcl). */
export const STATE = { bucket: "acme-webapp-terraform-state", key: "webapp/dev/terraform.tfstate", region: "eu-west-1", table: "acme-webapp-terraform-locks" } as const;

/** Terraform's LockInfo JSON, as `terraform apply` writes it into the lock. */
export function lockInfo(over: Partial<Record<"ID" | "Operation" | "Info" | "Who" | "Version" | "Created" | "Path", string>> = {}): string {
  return JSON.stringify({
    ID: "8a1b3c5d-7e9f-4a2b-8c4d-6e8f0a2b4c6d",
    Operation: "OperationTypeApply",
    Info: "",
    Who: "alice@build-7",
    Version: "1.11.4",
    Created: "2026-11-30T09:15:02.123456789Z",
    Path: `${STATE.bucket}/${STATE.key}`,
    ...over,
  });
}

/** The stack outputs of that deployment, as `cdktf deploy --outputs-file` writes them. */
export function deployedOutputs(): Record<string, Record<string, unknown>> {
  return {
    dev: {
      region: "eu-west-1",
      weighted_rule_arn: ARNS.rule,
      production_listener_arn: ARNS.listener,
      test_listener_arn: ARNS.testListener,
      blue_target_group_arn: ARNS.blue,
      green_target_group_arn: ARNS.green,
      blue_alarm_names: ["webapp-dev-blue-target-5xx"],
      green_alarm_names: ["webapp-dev-green-target-5xx", "webapp-dev-green-p99-latency"],
      load_balancer_dns_name: "webapp-dev-1234567890.eu-west-1.elb.amazonaws.com",
      state_backend: { type: "s3", bucket: STATE.bucket, key: STATE.key, region: STATE.region, use_lockfile: true, dynamodb_table: "" },
    },
  };
}
