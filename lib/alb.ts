import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { COLOURS, type Colour, type PerColour } from "./config/types";

/** Priority of the weighted rule: fixed, so no plan ever replaces it. */
export const WEIGHTED_RULE_PRIORITY = 100;

/** Tag keys the weight-flip CLI writes on the weighted rule (see lib/traffic). Terraform ignores them. */
export const SHIFT_TAG_PREFIX = "ecs-shift:";

/** AWS's limit on load balancer and target group names. */
const MAX_NAME_LENGTH = 32;

/**
 * Security policies whose minimum is TLS 1.2 or 1.3 (the same rule as the config's `tls_policy`).
 * Older ones (`ELBSecurityPolicy-2016-08`, `-TLS-1-1-2017-01`, `-TLS13-1-0-2021-06`, ...) still
 * accept TLS 1.0/1.1 and are refused.
 */
const MODERN_TLS_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS13-1-2-(Res-)?(Ext[12]-)?|FS-1-2-|TLS-1-2-)/;

export interface BlueGreenLoadBalancerProps {
  /**
   * Names the load balancer, and the target groups `<namePrefix>-blue|green`, e.g. `webapp-dev`.
   * Lowercase letters, digits and hyphens; at most 26 characters so `-green` still fits in 32.
   */
  readonly namePrefix: string;
  /** VPC of the target groups. */
  readonly vpcId: string;
  /** Public subnets of the internet-facing load balancer: at least two, in different AZs. */
  readonly publicSubnetIds: readonly string[];
  /** Security group of the load balancer (listener ports in, container port out). */
  readonly securityGroupId: string;
  /** Port the container listens on; the target groups send HTTP to it (1..65535). */
  readonly containerPort: number;
  /**
   * Path of the target groups' HTTP health check.
   * @default "/health"
   */
  readonly healthCheckPath?: string;
  /**
   * HTTP codes a healthy target answers, e.g. `"200"` or `"200-299"`.
   * @default "200-299"
   */
  readonly healthCheckMatcher?: string;
  /**
   * Seconds between health checks, 5..300.
   * @default 10
   */
  readonly healthCheckIntervalSeconds?: number;
  /**
   * Seconds before a health check counts as failed, 2..120 and below the interval.
   * @default 5
   */
  readonly healthCheckTimeoutSeconds?: number;
  /**
   * Consecutive successes before a target is healthy, 2..10.
   * @default 2
   */
  readonly healthyThreshold?: number;
  /**
   * Consecutive failures before a target is unhealthy, 2..10.
   * @default 3
   */
  readonly unhealthyThreshold?: number;
  /**
   * Seconds a deregistered target keeps draining in-flight requests, 0..3600.
   * @default 30
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * ACM certificate: production is HTTPS on 443, port 80 redirects to it, and the test listener
   * is HTTPS too. May be a token (e.g. `DnsCertificate.certificateArn`).
   * @default - no HTTPS; then `allowPlainHttp` must be set
   */
  readonly certificateArn?: string;
  /**
   * Security policy of the HTTPS listeners; its minimum must be TLS 1.2 or 1.3.
   * @default "ELBSecurityPolicy-TLS13-1-2-2021-06"
   */
  readonly tlsPolicy?: string;
  /**
   * Without a certificate, serve production as plain HTTP on port 80 (e.g. a dev environment).
   * Ignored when a certificate is given.
   * @default false
   */
  readonly allowPlainHttp?: boolean;
  /**
   * Port of the test listener that forwards to the idle colour; not 80 or 443.
   * @default 8443
   */
  readonly testListenerPort?: number;
  /**
   * Weights of the production rule at creation, each a whole number 0..999, not both 0 and not
   * equal (the lower one is the idle colour). Afterwards the weight-flip CLI owns them.
   * @default { blue: 100, green: 0 }
   */
  readonly initialWeights?: PerColour<number>;
  /**
   * Target group stickiness on the weighted forward, in seconds (1..604800); 0 turns it off.
   * @default 0
   */
  readonly stickinessSeconds?: number;
  /**
   * Refuse to delete the load balancer through the API (and so through Terraform).
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * Existing S3 bucket for access logs, written under the prefix `namePrefix`. Its bucket policy
   * must let the regional ELB account (or the log delivery service) write.
   * @default - access logs off
   */
  readonly accessLogsBucket?: string;
  /**
   * What must exist before access logs are switched on (ELB checks it may write to the bucket),
   * e.g. the bucket policy of a bucket created in the same stack.
   * @default - nothing
   */
  readonly accessLogsDependsOn?: readonly ITerraformDependable[];
  /**
   * Seconds a connection may stay idle, 1..4000.
   * @default 60
   */
  readonly idleTimeoutSeconds?: number;
}

/**
 * Internet-facing ALB with a blue and a green target group, a production listener whose one
 * rule forwards to both by weight, and a test listener forwarding to the idle colour.
 * Terraform owns the structure; the weight-flip CLI owns the rule's and the test listener's
 * actions, so both ignore changes to them.
 */
export class BlueGreenLoadBalancer extends Construct {
  public readonly loadBalancer: Lb;
  public readonly targetGroups: PerColour<LbTargetGroup>;
  /** 443 (HTTPS) with a certificate, else 80 (HTTP). Its default action is a 404. */
  public readonly productionListener: LbListener;
  /** Port 80 redirecting to HTTPS; only when there is a certificate. */
  public readonly redirectListener?: LbListener;
  /** `testListenerPort`, forwarding to the idle colour. */
  public readonly testListener: LbListener;
  /** The production rule forwarding to both target groups by weight. */
  public readonly weightedRule: LbListenerRule;
  /** The colour the test listener forwards to at creation (the lower initial weight). */
  public readonly idleColour: Colour;

  constructor(scope: Construct, id: string, props: BlueGreenLoadBalancerProps) {
    super(scope, id);
    const healthCheckPath = props.healthCheckPath ?? "/health";
    const healthCheckMatcher = props.healthCheckMatcher ?? "200-299";
    const interval = props.healthCheckIntervalSeconds ?? 10;
    const timeout = props.healthCheckTimeoutSeconds ?? 5;
    const healthyThreshold = props.healthyThreshold ?? 2;
    const unhealthyThreshold = props.unhealthyThreshold ?? 3;
    const deregistrationDelay = props.deregistrationDelaySeconds ?? 30;
    const tlsPolicy = props.tlsPolicy ?? "ELBSecurityPolicy-TLS13-1-2-2021-06";
    const allowPlainHttp = props.allowPlainHttp ?? false;
    const testPort = props.testListenerPort ?? 8443;
    const weights = props.initialWeights ?? { blue: 100, green: 0 };
    const stickiness = props.stickinessSeconds ?? 0;
    const deletionProtection = props.deletionProtection ?? false;
    const idleTimeout = props.idleTimeoutSeconds ?? 60;

    const fail = (msg: string): never => {
      throw new Error(`BlueGreenLoadBalancer: ${msg}`);
    };
    const wholeIn = (name: string, v: number, min: number, max: number) => {
      if (!Number.isInteger(v) || v < min || v > max) fail(`${name} must be a whole number ${min}..${max}, got ${v}`);
    };

    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(props.namePrefix) || props.namePrefix.startsWith("internal-")) {
      fail(`namePrefix must be lowercase letters, digits and inner hyphens, not starting with "internal-", got ${JSON.stringify(props.namePrefix)}`);
    }
    const longestName = `${props.namePrefix}-green`;
    if (longestName.length > MAX_NAME_LENGTH) {
      fail(`target group name "${longestName}" is ${longestName.length} characters, AWS allows ${MAX_NAME_LENGTH}; shorten namePrefix to at most ${MAX_NAME_LENGTH - "-green".length}`);
    }
    if (props.publicSubnetIds.length < 2) fail(`publicSubnetIds must list at least 2 subnets (an ALB spans two AZs or more), got ${props.publicSubnetIds.length}`);
    wholeIn("containerPort", props.containerPort, 1, 65535);
    if (!/^\/\S*$/.test(healthCheckPath) || healthCheckPath.length > 1024) fail(`healthCheckPath must start with / and have no spaces, got ${JSON.stringify(healthCheckPath)}`);
    if (!/^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/.test(healthCheckMatcher)) {
      fail(`healthCheckMatcher must be HTTP codes such as "200" or "200-299", got ${JSON.stringify(healthCheckMatcher)}`);
    }
    wholeIn("healthCheckIntervalSeconds", interval, 5, 300);
    wholeIn("healthCheckTimeoutSeconds", timeout, 2, 120);
    if (timeout >= interval) fail(`healthCheckTimeoutSeconds (${timeout}) must be below healthCheckIntervalSeconds (${interval})`);
    wholeIn("healthyThreshold", healthyThreshold, 2, 10);
    wholeIn("unhealthyThreshold", unhealthyThreshold, 2, 10);
    wholeIn("deregistrationDelaySeconds", deregistrationDelay, 0, 3600);
    for (const c of COLOURS) wholeIn(`initialWeights.${c}`, weights[c], 0, 999);
    if (weights.blue === 0 && weights.green === 0) fail("initialWeights are both 0: no colour would receive production traffic; give the live colour a weight above 0");
    if (weights.blue === weights.green) {
      fail(`initialWeights are equal (blue ${weights.blue}, green ${weights.green}): cannot tell the idle colour for the test listener; give the idle colour the lower weight`);
    }
    wholeIn("testListenerPort", testPort, 1, 65535);
    if (testPort === 80 || testPort === 443) fail(`testListenerPort must not be 80 or 443 (the production ports), got ${testPort}`);
    wholeIn("stickinessSeconds", stickiness, 0, 604800);
    wholeIn("idleTimeoutSeconds", idleTimeout, 1, 4000);
    if (!MODERN_TLS_POLICY.test(tlsPolicy)) {
      fail(`tlsPolicy must be an ELB security policy with TLS 1.2 or 1.3 as the minimum (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), got ${JSON.stringify(tlsPolicy)}`);
    }
    if (!props.certificateArn && !allowPlainHttp) {
      fail("no certificateArn: production traffic would be plain HTTP. Give a certificate, or set allowPlainHttp (e.g. for dev)");
    }
    this.idleColour = weights.blue < weights.green ? "blue" : "green";

    this.loadBalancer = new Lb(this, "lb", {
      name: props.namePrefix,
      // Deliberately public: this is the service's entry point. Who may connect is decided by
      // the security group (ingress CIDRs; the test port only from the test CIDRs).
      internal: false,
      loadBalancerType: "application",
      subnets: [...props.publicSubnetIds],
      securityGroups: [props.securityGroupId],
      // Headers with invalid characters never reach the application (request smuggling).
      dropInvalidHeaderFields: true,
      // "defensive" (AWS's default, set explicitly): blocks requests that are a known smuggling
      // risk and keeps serving merely unusual ones; "strictest" would also reject RFC-odd but
      // harmless requests from real clients.
      desyncMitigationMode: "defensive",
      enableDeletionProtection: deletionProtection,
      idleTimeout,
      accessLogs: props.accessLogsBucket ? { bucket: props.accessLogsBucket, prefix: props.namePrefix, enabled: true } : undefined,
      dependsOn: props.accessLogsDependsOn && props.accessLogsDependsOn.length > 0 ? [...props.accessLogsDependsOn] : undefined,
    });

    const targetGroup = (colour: Colour) =>
      new LbTargetGroup(this, `tg-${colour}`, {
        name: `${props.namePrefix}-${colour}`,
        vpcId: props.vpcId,
        // awsvpc tasks register by IP.
        targetType: "ip",
        // TLS ends at the load balancer; the hop to the task stays inside the VPC, where the
        // security groups admit only the load balancer on the container port.
        protocol: "HTTP",
        port: props.containerPort,
        // A string in the binding (see TOOLCHAIN.md).
        deregistrationDelay: String(deregistrationDelay),
        healthCheck: {
          enabled: true,
          protocol: "HTTP",
          port: "traffic-port",
          path: healthCheckPath,
          matcher: healthCheckMatcher,
          interval,
          timeout,
          healthyThreshold,
          unhealthyThreshold,
        },
        tags: { Color: colour },
      });
    this.targetGroups = { blue: targetGroup("blue"), green: targetGroup("green") };

    const https = Boolean(props.certificateArn);
    const tls = https ? { protocol: "HTTPS", sslPolicy: tlsPolicy, certificateArn: props.certificateArn } : { protocol: "HTTP" };
    this.productionListener = new LbListener(this, "production", {
      loadBalancerArn: this.loadBalancer.arn,
      port: https ? 443 : 80,
      ...tls,
      // Only the weighted rule serves traffic; anything it does not match gets a 404.
      defaultAction: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not found" } }],
    });
    if (https) {
      this.redirectListener = new LbListener(this, "http-redirect", {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        // Port 80 only ever answers with a permanent redirect to HTTPS (same host, path, query).
        defaultAction: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      });
    }

    this.weightedRule = new LbListenerRule(this, "weighted", {
      listenerArn: this.productionListener.arn,
      priority: WEIGHTED_RULE_PRIORITY,
      condition: [{ pathPattern: { values: ["/*"] } }],
      action: [
        {
          type: "forward",
          forward: {
            targetGroup: COLOURS.map((c) => ({ arn: this.targetGroups[c].arn, weight: weights[c] })),
            // Off = no block at all. For a forward without stickiness, AWS's DescribeRules
            // answers `TargetGroupStickinessConfig: { Enabled: false }` with no duration; the
            // CLI sends that back untouched, so ModifyRule accepts it and stickiness stays off.
            // An `{ enabled: false, duration: N }` block would only add a made-up duration (the
            // provider requires one >= 1 in the block, AWS does nothing with it while disabled),
            // and the provider already treats an absent block as equal to the disabled one it
            // reads back. The action is in ignore_changes anyway; this keeps creation exact.
            stickiness: stickiness > 0 ? { enabled: true, duration: stickiness } : undefined,
          },
        },
      ],
      // The weight-flip CLI owns the action (weights), so a deploy never moves traffic back.
      // It also records each shift (previous weights, who, when) in `ecs-shift:` tags that its
      // `revert` reads; ignoring tags keeps a deploy from erasing that record.
      lifecycle: { ignoreChanges: ["action", "tags", "tags_all"] },
      tags: { Name: `${props.namePrefix}-weighted` },
    });

    this.testListener = new LbListener(this, "test", {
      loadBalancerArn: this.loadBalancer.arn,
      port: testPort,
      ...tls,
      defaultAction: [{ type: "forward", targetGroupArn: this.targetGroups[this.idleColour].arn }],
      // After a cutover the CLI points the test listener at the new idle colour.
      lifecycle: { ignoreChanges: ["default_action"] },
    });
  }
}
