import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Construct } from "constructs";
import { COLOURS, type Colour, type PerColour } from "./config/types";

/** Priority of the weighted rule: fixed, so no plan ever replaces it. */
export const WEIGHTED_RULE_PRIORITY = 100;

/** Tag keys the weight-flip CLI writes on the weighted rule (see lib/traffic). Terraform ignores them. */
export const SHIFT_TAG_PREFIX = "ecs-shift:";

export interface BlueGreenLoadBalancerProps {
  /** e.g. `webapp-dev`: the load balancer's name; target groups are `<namePrefix>-blue|green`. */
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly publicSubnetIds: readonly string[];
  readonly securityGroupId: string;
  readonly containerPort: number;
  /** @default "/health" */
  readonly healthCheckPath?: string;
  /** @default "200-299" */
  readonly healthCheckMatcher?: string;
  /** @default 10 */
  readonly healthCheckIntervalSeconds?: number;
  /** Below the interval. @default 5 */
  readonly healthCheckTimeoutSeconds?: number;
  /** @default 2 */
  readonly healthyThreshold?: number;
  /** @default 3 */
  readonly unhealthyThreshold?: number;
  /** How long a deregistered target drains. @default 30 */
  readonly deregistrationDelaySeconds?: number;
  /** ACM certificate: HTTPS on 443, and 80 redirects. @default - no HTTPS */
  readonly certificateArn?: string;
  /** TLS 1.2+/1.3 policy of the HTTPS listeners. @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
  readonly tlsPolicy?: string;
  /** Without a certificate, serve plain HTTP on 80 (for dev). @default false */
  readonly allowPlainHttp?: boolean;
  /** @default 8443 */
  readonly testListenerPort?: number;
  /** Weights of the production rule at creation; afterwards the weight-flip CLI owns them. @default { blue: 100, green: 0 } */
  readonly initialWeights?: PerColour<number>;
  /** Target group stickiness on the weighted forward; 0 turns it off. @default 0 */
  readonly stickinessSeconds?: number;
  /** @default false */
  readonly deletionProtection?: boolean;
  /** Existing S3 bucket for access logs (prefix = namePrefix). @default - access logs off */
  readonly accessLogsBucket?: string;
  /** @default 60 */
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
  /** 443 with a certificate, else 80. */
  public readonly productionListener: LbListener;
  /** Port 80 redirecting to HTTPS, when there is a certificate. */
  public readonly redirectListener?: LbListener;
  public readonly testListener: LbListener;
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

    const fail = (msg: string): never => {
      throw new Error(`BlueGreenLoadBalancer: ${msg}`);
    };
    if (`${props.namePrefix}-green`.length > 32) fail(`target group name "${props.namePrefix}-green" exceeds AWS's 32 characters; shorten the service name`);
    if (!Number.isInteger(interval) || interval < 5 || interval > 300) fail(`healthCheckIntervalSeconds must be 5..300, got ${interval}`);
    if (!Number.isInteger(timeout) || timeout < 2 || timeout > 120) fail(`healthCheckTimeoutSeconds must be 2..120, got ${timeout}`);
    if (timeout >= interval) fail(`healthCheckTimeoutSeconds (${timeout}) must be below healthCheckIntervalSeconds (${interval})`);
    for (const [n, v] of [["healthyThreshold", healthyThreshold], ["unhealthyThreshold", unhealthyThreshold]] as const) {
      if (!Number.isInteger(v) || v < 2 || v > 10) fail(`${n} must be 2..10, got ${v}`);
    }
    if (!Number.isInteger(deregistrationDelay) || deregistrationDelay < 0 || deregistrationDelay > 3600) fail(`deregistrationDelaySeconds must be 0..3600, got ${deregistrationDelay}`);
    for (const c of COLOURS) {
      if (!Number.isInteger(weights[c]) || weights[c] < 0 || weights[c] > 999) fail(`initialWeights.${c} must be a whole number 0..999, got ${weights[c]}`);
    }
    if (weights.blue === 0 && weights.green === 0) fail("initialWeights are both 0: no colour would receive traffic");
    if (weights.blue === weights.green) fail(`initialWeights are equal (${weights.blue}); cannot tell the idle colour for the test listener`);
    if (testPort === 80 || testPort === 443) fail(`testListenerPort must differ from 80 and 443, got ${testPort}`);
    if (!props.certificateArn && !allowPlainHttp) {
      fail("no certificateArn: production traffic would be plain HTTP. Give a certificate, or set allowPlainHttp (e.g. for dev)");
    }
    if (stickiness < 0 || stickiness > 604800) fail(`stickinessSeconds must be 0..604800, got ${stickiness}`);
    this.idleColour = weights.blue < weights.green ? "blue" : "green";

    this.loadBalancer = new Lb(this, "lb", {
      name: props.namePrefix,
      internal: false, // the point of the product: the public entry point
      loadBalancerType: "application",
      subnets: [...props.publicSubnetIds],
      securityGroups: [props.securityGroupId],
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "defensive",
      enableDeletionProtection: props.deletionProtection ?? false,
      idleTimeout: props.idleTimeoutSeconds ?? 60,
      accessLogs: props.accessLogsBucket ? { bucket: props.accessLogsBucket, prefix: props.namePrefix, enabled: true } : undefined,
    });

    const tg = (colour: Colour) =>
      new LbTargetGroup(this, `tg-${colour}`, {
        name: `${props.namePrefix}-${colour}`,
        vpcId: props.vpcId,
        targetType: "ip",
        protocol: "HTTP",
        port: props.containerPort,
        deregistrationDelay: String(deregistrationDelay),
        healthCheck: {
          enabled: true,
          path: healthCheckPath,
          matcher: healthCheckMatcher,
          protocol: "HTTP",
          port: "traffic-port",
          interval,
          timeout,
          healthyThreshold,
          unhealthyThreshold,
        },
        tags: { Color: colour },
      });
    this.targetGroups = { blue: tg("blue"), green: tg("green") };

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
            // Omitted when off: AWS then reports stickiness disabled, which the CLI keeps as is.
            stickiness: stickiness > 0 ? { enabled: true, duration: stickiness } : undefined,
          },
        },
      ],
      // The weight-flip CLI owns the weights (and records the last shift in tags): a deploy must
      // never put traffic back on the old colour.
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
