/**
 * The AWS side of `ecs-shift`: ELBv2 (and CloudWatch, loaded only when alarms are checked)
 * through the AWS SDK v3 with its standard retries. Every error becomes a one-line ShiftError
 * with the exit code the CLI documents.
 */
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
  type Action,
} from "@aws-sdk/client-elastic-load-balancing-v2";

/** Exit codes; README.md and `--help` document each. */
export const EXIT = { ok: 0, gate: 1, input: 2, aws: 3, restored: 4, concurrent: 5 } as const;

export class ShiftError extends Error {
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
}

/** Retries: throttling and 5xx are retried by the SDK's standard mode, this many attempts in all. */
export const MAX_ATTEMPTS = 4;

/** Turns an SDK error into a one-line message that says what to do. */
export function describeAwsError(e: unknown, what: string): ShiftError {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? "Error";
  const msg = (err.message ?? String(e)).split("\n")[0];
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
    this.client = new ElasticLoadBalancingV2Client({ region: opts.region, endpoint: opts.endpointUrl, maxAttempts: MAX_ATTEMPTS });
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
      const r = await this.call(`reading rule ${target.arn}`, () => this.client.send(new DescribeRulesCommand({ RuleArns: [target.arn] })));
      const rule = r.Rules?.[0];
      if (!rule) throw new ShiftError(`rule ${target.arn} was not found. Check the ARN and --region.`, EXIT.aws);
      return rule.Actions ?? [];
    }
    return this.readListenerActions(target.arn);
  }

  async readListenerActions(arn: string): Promise<Action[]> {
    const r = await this.call(`reading listener ${arn}`, () => this.client.send(new DescribeListenersCommand({ ListenerArns: [arn] })));
    const listener = r.Listeners?.[0];
    if (!listener) throw new ShiftError(`listener ${arn} was not found. Check the ARN and --region.`, EXIT.aws);
    return listener.DefaultActions ?? [];
  }

  /** A listener's port and protocol: where the test listener answers. */
  async listenerEndpoint(arn: string): Promise<{ port: number; protocol: string }> {
    const r = await this.call(`reading listener ${arn}`, () => this.client.send(new DescribeListenersCommand({ ListenerArns: [arn] })));
    const l = r.Listeners?.[0];
    if (!l?.Port) throw new ShiftError(`listener ${arn} was not found. Check the ARN and --region.`, EXIT.aws);
    return { port: l.Port, protocol: (l.Protocol ?? "HTTP").toLowerCase() };
  }

  async writeActions(target: Target, actions: Action[]): Promise<void> {
    if (target.kind === "rule") {
      // Only Actions: conditions read back carry both the old and the new form, which ModifyRule refuses.
      await this.call(`modifying rule ${target.arn}`, () => this.client.send(new ModifyRuleCommand({ RuleArn: target.arn, Actions: actions })));
    } else {
      await this.writeListenerActions(target.arn, actions);
    }
  }

  async writeListenerActions(arn: string, actions: Action[]): Promise<void> {
    await this.call(`modifying listener ${arn}`, () => this.client.send(new ModifyListenerCommand({ ListenerArn: arn, DefaultActions: actions })));
  }

  /** Target groups by ARN with their colour: the `Color` tag, else a -blue/-green name suffix. */
  async colours(arns: readonly string[]): Promise<Map<string, "blue" | "green">> {
    const unique = [...new Set(arns)];
    if (unique.length === 0) return new Map();
    const groups = await this.call("reading target groups", () => this.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: unique })));
    const tags = await this.call("reading target group tags", () => this.client.send(new DescribeTagsCommand({ ResourceArns: unique })));
    const result = new Map<string, "blue" | "green">();
    for (const g of groups.TargetGroups ?? []) {
      const tag = tags.TagDescriptions?.find((t) => t.ResourceArn === g.TargetGroupArn)?.Tags?.find((t) => t.Key === "Color")?.Value?.toLowerCase();
      const suffix = /-(blue|green)$/.exec(g.TargetGroupName ?? "")?.[1];
      const colour = tag === "blue" || tag === "green" ? tag : (suffix as "blue" | "green" | undefined);
      if (colour) result.set(g.TargetGroupArn!, colour);
    }
    return result;
  }

  async health(targetGroupArn: string): Promise<{ registered: number; healthy: number; states: string[] }> {
    const r = await this.call(`reading target health of ${targetGroupArn}`, () =>
      this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    const states = (r.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? "unknown");
    return { registered: states.length, healthy: states.filter((s) => s === "healthy").length, states };
  }

  async tags(arn: string): Promise<Record<string, string>> {
    const r = await this.call(`reading tags of ${arn}`, () => this.client.send(new DescribeTagsCommand({ ResourceArns: [arn] })));
    return Object.fromEntries((r.TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
  }

  async addTags(arn: string, tags: Record<string, string>): Promise<void> {
    await this.call(`tagging ${arn}`, () =>
      this.client.send(new AddTagsCommand({ ResourceArns: [arn], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })),
    );
  }

  private cw?: { client: import("@aws-sdk/client-cloudwatch").CloudWatchClient; mod: typeof import("@aws-sdk/client-cloudwatch") };

  /** The state of each alarm among `names` that exists (ALARM, OK, INSUFFICIENT_DATA). CloudWatch's client is loaded only here. */
  async alarmStates(names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    if (!this.cw) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require("@aws-sdk/client-cloudwatch") as typeof import("@aws-sdk/client-cloudwatch");
      this.cw = { mod, client: new mod.CloudWatchClient({ region: this.opts.region, endpoint: this.opts.endpointUrl, maxAttempts: MAX_ATTEMPTS }) };
    }
    const { mod, client } = this.cw;
    const r = await this.call("reading alarms", () => client.send(new mod.DescribeAlarmsCommand({ AlarmNames: [...names] })));
    const found = new Map<string, string>((r.MetricAlarms ?? []).map((a) => [a.AlarmName!, a.StateValue ?? "INSUFFICIENT_DATA"]));
    for (const a of r.CompositeAlarms ?? []) found.set(a.AlarmName!, a.StateValue ?? "INSUFFICIENT_DATA");
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
