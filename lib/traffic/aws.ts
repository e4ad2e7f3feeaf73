/**
 * The AWS side of `ecs-shift`: ELBv2 (and CloudWatch, loaded only when alarms are checked)
 * through the AWS SDK v3 with its standard retries. Every call is bounded: a connect timeout and
 * a request timeout per attempt (the request handler throws, it does not only warn), a fixed
 * number of attempts, and an abort signal that the command's deadline and SIGINT/SIGTERM
 * trigger. Every paginated describe is followed to the end. Every error becomes a one-line
 * ShiftError with the exit code the CLI documents.
 */
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  AddTagsCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RemoveTagsCommand,
  type Action,
} from "@aws-sdk/client-elastic-load-balancing-v2";

/** Exit codes; README.md and `--help` document each. */
export const EXIT = { ok: 0, gate: 1, input: 2, aws: 3, restored: 4, concurrent: 5 } as const;

export class ShiftError extends Error {
  /** The live weights when the error happened, if they were read; null when they could not be. */
  liveWeights?: { readonly blue: number; readonly green: number } | null;
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "ShiftError";
  }
}

export interface AwsOptions {
  readonly region?: string;
  readonly endpointUrl?: string;
  /** Per attempt: no answer within this is a timeout. @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Aborts every call in flight (the command's deadline, or a signal while only reading). */
  readonly signal?: AbortSignal;
}

/** Retries: throttling, 5xx and timeouts are retried by the SDK's standard mode, this many attempts in all. */
export const MAX_ATTEMPTS = 4;
/** Connecting to an endpoint takes at most this. */
export const CONNECT_TIMEOUT_MS = 3000;
/** An attempt without an answer within this fails (and is retried). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** The client options every AWS client of ecs-shift gets: bounded connect, request and attempts. */
export function clientOptions(opts: AwsOptions, region = opts.region) {
  return {
    region,
    endpoint: opts.endpointUrl,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  };
}

/** Turns an SDK error into a one-line message that says what to do. */
export function describeAwsError(e: unknown, what: string): ShiftError {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? "Error";
  const msg = (err.message ?? String(e)).split("\n")[0];
  if (name === "AbortError" || /aborted/i.test(msg)) return new ShiftError(`${what}: aborted (${msg})`, EXIT.aws);
  if (name === "TimeoutError" || /timed? ?out/i.test(msg)) return new ShiftError(`${what}: no answer from the endpoint within the request timeout, after ${MAX_ATTEMPTS} attempts (${name}: ${msg})`, EXIT.aws);
  if (name === "CredentialsProviderError" || /Could not load credentials|credential/i.test(msg)) {
    return new ShiftError(`${what}: no AWS credentials found (${msg}). Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run in a role.`, EXIT.aws);
  }
  if (/AccessDenied|UnauthorizedOperation/.test(name)) {
    const needs = /alarm/.test(what) ? "cloudwatch:DescribeAlarms" : "elasticloadbalancing:Describe*, ModifyRule/ModifyListener and AddTags on this load balancer";
    return new ShiftError(`${what}: access denied (${msg}). The caller needs ${needs}.`, EXIT.aws);
  }
  if (/RuleNotFound|ListenerNotFound|TargetGroupNotFound|LoadBalancerNotFound/.test(name)) {
    return new ShiftError(`${what}: ${name.replace(/Exception$/, "")}: ${msg}. Check the ARN and --region.`, EXIT.aws);
  }
  if (/ValidationError/.test(name)) return new ShiftError(`${what}: ${msg}`, EXIT.input);
  return new ShiftError(`${what}: ${name}: ${msg}`, EXIT.aws);
}

/** Where the weighted forward lives: a listener rule, or a listener's default action. */
export type Target = { readonly kind: "rule"; readonly arn: string } | { readonly kind: "listener"; readonly arn: string };

export class Elbv2 {
  readonly client: ElasticLoadBalancingV2Client;

  constructor(readonly opts: AwsOptions) {
    this.client = new ElasticLoadBalancingV2Client(clientOptions(opts));
  }

  /** Options for every send: the abort signal. */
  private get o() {
    return { abortSignal: this.opts.signal as never };
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw describeAwsError(e, what);
    }
  }

  /** The live actions of the rule or the listener's default actions. */
  async readActions(target: Target): Promise<Action[]> {
    if (target.kind === "rule") {
      const r = await this.call(`reading rule ${target.arn}`, () => this.client.send(new DescribeRulesCommand({ RuleArns: [target.arn] }), this.o));
      const rule = r.Rules?.[0];
      if (!rule) throw new ShiftError(`rule ${target.arn} was not found. Check the ARN and --region.`, EXIT.aws);
      return rule.Actions ?? [];
    }
    return this.readListenerActions(target.arn);
  }

  async readListenerActions(arn: string): Promise<Action[]> {
    const r = await this.call(`reading listener ${arn}`, () => this.client.send(new DescribeListenersCommand({ ListenerArns: [arn] }), this.o));
    const listener = r.Listeners?.[0];
    if (!listener) throw new ShiftError(`listener ${arn} was not found. Check the ARN and --region.`, EXIT.aws);
    return listener.DefaultActions ?? [];
  }

  /** A listener's port and protocol: where the test listener answers. */
  async listenerEndpoint(arn: string): Promise<{ port: number; protocol: string }> {
    const r = await this.call(`reading listener ${arn}`, () => this.client.send(new DescribeListenersCommand({ ListenerArns: [arn] }), this.o));
    const l = r.Listeners?.[0];
    if (!l?.Port) throw new ShiftError(`listener ${arn} was not found. Check the ARN and --region.`, EXIT.aws);
    return { port: l.Port, protocol: (l.Protocol ?? "HTTP").toLowerCase() };
  }

  async writeActions(target: Target, actions: Action[]): Promise<void> {
    if (target.kind === "rule") {
      // Only Actions: conditions read back carry both the old and the new form, which ModifyRule refuses.
      await this.call(`modifying rule ${target.arn}`, () => this.client.send(new ModifyRuleCommand({ RuleArn: target.arn, Actions: actions }), this.o));
    } else {
      await this.writeListenerActions(target.arn, actions);
    }
  }

  async writeListenerActions(arn: string, actions: Action[]): Promise<void> {
    await this.call(`modifying listener ${arn}`, () => this.client.send(new ModifyListenerCommand({ ListenerArn: arn, DefaultActions: actions }), this.o));
  }

  /** Target groups by ARN with their colour: the `Color` tag, else a -blue/-green name suffix. */
  async colours(arns: readonly string[]): Promise<Map<string, "blue" | "green">> {
    const unique = [...new Set(arns)];
    if (unique.length === 0) return new Map();
    // Both in parallel; every page of target groups; tags in batches of 20 (the API's limit).
    const [groups, tags] = await Promise.all([this.targetGroups(unique), this.tagsOf(unique)]);
    const result = new Map<string, "blue" | "green">();
    for (const g of groups) {
      const tag = tags.get(g.TargetGroupArn!)?.Color?.toLowerCase();
      const suffix = /-(blue|green)$/.exec(g.TargetGroupName ?? "")?.[1];
      const colour = tag === "blue" || tag === "green" ? tag : (suffix as "blue" | "green" | undefined);
      if (colour) result.set(g.TargetGroupArn!, colour);
    }
    return result;
  }

  async health(targetGroupArn: string): Promise<{ registered: number; healthy: number; states: string[] }> {
    const r = await this.call(`reading target health of ${targetGroupArn}`, () =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), this.o),
    );
    const states = (r.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? "unknown");
    return { registered: states.length, healthy: states.filter((s) => s === "healthy").length, states };
  }

  /** Target groups by ARN, following NextMarker to the last page. */
  private async targetGroups(arns: readonly string[]) {
    const out: import("@aws-sdk/client-elastic-load-balancing-v2").TargetGroup[] = [];
    let marker: string | undefined;
    do {
      const r = await this.call("reading target groups", () => this.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [...arns], Marker: marker }), this.o));
      out.push(...(r.TargetGroups ?? []));
      marker = r.NextMarker;
    } while (marker);
    return out;
  }

  /** Tags of each resource, 20 ARNs per DescribeTags (the API's limit), batches in parallel. */
  async tagsOf(arns: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const batches: string[][] = [];
    for (let i = 0; i < arns.length; i += 20) batches.push(arns.slice(i, i + 20));
    const pages = await Promise.all(
      batches.map((b) => this.call(`reading tags of ${b.length === 1 ? b[0] : `${b.length} resources`}`, () => this.client.send(new DescribeTagsCommand({ ResourceArns: b }), this.o))),
    );
    const out = new Map<string, Record<string, string>>();
    for (const p of pages) for (const d of p.TagDescriptions ?? []) out.set(d.ResourceArn!, Object.fromEntries((d.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""])));
    return out;
  }

  async tags(arn: string): Promise<Record<string, string>> {
    return (await this.tagsOf([arn])).get(arn) ?? {};
  }

  async addTags(arn: string, tags: Record<string, string>): Promise<void> {
    await this.call(`tagging ${arn}`, () =>
      this.client.send(new AddTagsCommand({ ResourceArns: [arn], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }), this.o),
    );
  }

  async removeTags(arn: string, keys: readonly string[]): Promise<void> {
    await this.call(`untagging ${arn}`, () => this.client.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: [...keys] }), this.o));
  }

  private cw?: { client: import("@aws-sdk/client-cloudwatch").CloudWatchClient; mod: typeof import("@aws-sdk/client-cloudwatch") };

  /** The state of each alarm among `names` that exists (ALARM, OK, INSUFFICIENT_DATA). CloudWatch's client is loaded only here. */
  async alarmStates(names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    if (!this.cw) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require("@aws-sdk/client-cloudwatch") as typeof import("@aws-sdk/client-cloudwatch");
      this.cw = { mod, client: new mod.CloudWatchClient(clientOptions(this.opts)) };
    }
    const { mod, client } = this.cw;
    // By name, at most 100 names per call (the API's limit), every page (NextToken) of each batch.
    const unique = [...new Set(names)];
    const batches: string[][] = [];
    for (let i = 0; i < unique.length; i += 100) batches.push(unique.slice(i, i + 100));
    const found = new Map<string, string>();
    await Promise.all(
      batches.map(async (b) => {
        let token: string | undefined;
        do {
          const r = await this.call("reading alarms", () =>
            client.send(new mod.DescribeAlarmsCommand({ AlarmNames: b, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: 100, NextToken: token }), this.o),
          );
          for (const a of [...(r.MetricAlarms ?? []), ...(r.CompositeAlarms ?? [])]) found.set(a.AlarmName!, a.StateValue ?? "INSUFFICIENT_DATA");
          token = r.NextToken;
        } while (token);
      }),
    );
    return found;
  }

  /** Alarm names currently in ALARM among `names`, and the names that do not exist. */
  async alarmsFiring(names: readonly string[]): Promise<{ firing: string[]; missing: string[] }> {
    const found = await this.alarmStates(names);
    return { firing: names.filter((n) => found.get(n) === "ALARM"), missing: names.filter((n) => !found.has(n)) };
  }

  /** Closes the SDK clients' sockets, so a finished run exits at once. */
  destroy(): void {
    this.client.destroy();
    this.cw?.client.destroy();
  }
}
