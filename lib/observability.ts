import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { COLOURS, type Colour, type PerColour } from "./config/types";
import { policy, type Statement } from "./iam-policy";
import { StackKey } from "./kms-key";

/**
 * What CloudWatch needs of the alarm topic's key, and no more: data keys to encrypt a message
 * and Decrypt to use them, only on behalf of this account (SNS developer guide, key
 * management, "compatibility with AWS services"). Pure.
 */
export function alarmKeyUsage(accountId: string): Statement[] {
  return [
    {
      Sid: "CloudWatchAlarmsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    },
  ];
}

/** The alarm topic's policy: CloudWatch may publish for this stack's alarms of this account only. Pure. */
export function alarmTopicStatements(input: { topicArn: string; partition: string; region: string; accountId: string; namePrefix: string }): Statement[] {
  return [
    {
      Sid: "CloudWatchAlarmsOnly",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["sns:Publish"],
      Resource: input.topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": input.accountId },
        ArnLike: { "aws:SourceArn": `arn:${input.partition}:cloudwatch:${input.region}:${input.accountId}:alarm:${input.namePrefix}-*` },
      },
    },
  ];
}

export interface ObservabilityProps {
  /** e.g. `webapp-dev`: alarms are `<namePrefix>-<colour>-<what>`. */
  readonly namePrefix: string;
  readonly region: string;
  /** `aws_lb.arn_suffix`. */
  readonly loadBalancerArnSuffix: string;
  /** `aws_lb_target_group.arn_suffix` per colour. */
  readonly targetGroupArnSuffixes: PerColour<string>;
  readonly clusterName: string;
  readonly serviceNames: PerColour<string>;
  /** Target 5xx responses per period, per colour. @default 10 */
  readonly target5xxThreshold?: number;
  /** @default 1.5 */
  readonly p99LatencySeconds?: number;
  /** Service CPU. @default 85 */
  readonly cpuPercent?: number;
  /** @default 3 */
  readonly evaluationPeriods?: number;
  /** 10, 30 or a multiple of 60. @default 60 */
  readonly periodSeconds?: number;
  /** Subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /**
   * The stack's account (a token at synth: the ECR repository's `registry_id`): the topic's key
   * and policy accept CloudWatch only on behalf of this account's alarms.
   */
  readonly accountId: string;
  /** @default "aws" */
  readonly partition?: string;
}

/** The alarm kinds each colour gets, in a stable order (their names are stack outputs). */
export const COLOUR_ALARMS = ["target-5xx", "p99-latency", "unhealthy-hosts", "running-below-desired", "cpu-high"] as const;
export type ColourAlarm = (typeof COLOUR_ALARMS)[number];

/**
 * Alarms per colour, scoped to that colour's target group or service, a load-balancer-wide 5xx
 * alarm, an encrypted SNS topic for their actions, and one dashboard with blue and green side
 * by side.
 */
export class Observability extends Construct {
  public readonly topic: SnsTopic;
  /** The topic's customer-managed key. */
  public readonly key: StackKey;
  public readonly alarms: PerColour<Record<ColourAlarm, CloudwatchMetricAlarm>>;
  /** Plain names, known at synth time: the weight-flip CLI gates on these. */
  public readonly alarmNames: PerColour<string[]>;
  public readonly loadBalancerAlarm: CloudwatchMetricAlarm;
  public readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const threshold5xx = props.target5xxThreshold ?? 10;
    const p99 = props.p99LatencySeconds ?? 1.5;
    const cpu = props.cpuPercent ?? 85;
    const evaluationPeriods = props.evaluationPeriods ?? 3;
    const period = props.periodSeconds ?? 60;
    const fail = (msg: string): never => {
      throw new Error(`Observability: ${msg}`);
    };
    if (!(threshold5xx > 0)) fail(`target5xxThreshold must be > 0, got ${threshold5xx}`);
    if (!(p99 > 0)) fail(`p99LatencySeconds must be > 0, got ${p99}`);
    if (!(cpu > 0 && cpu <= 100)) fail(`cpuPercent must be 1..100, got ${cpu}`);
    if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1 || evaluationPeriods > 100) fail(`evaluationPeriods must be 1..100, got ${evaluationPeriods}`);
    if (!(period === 10 || period === 20 || period === 30 || (period >= 60 && period % 60 === 0))) fail(`periodSeconds must be 10, 20, 30 or a multiple of 60, got ${period}`);

    const partition = props.partition ?? "aws";
    // A customer-managed key: CloudWatch cannot publish to a topic under the AWS-managed
    // alias/aws/sns, whose policy cannot grant it kms:GenerateDataKey* / kms:Decrypt; the alarms
    // would fire and nobody would be told.
    this.key = new StackKey(this, "alarms-key", {
      aliasName: `${props.namePrefix}-alarms`,
      description: `SNS topic ${props.namePrefix}-alarms: CloudWatch alarms of this account publish to it`,
      accountId: props.accountId,
      partition,
      usage: alarmKeyUsage(props.accountId),
    });
    this.topic = new SnsTopic(this, "alarms", {
      name: `${props.namePrefix}-alarms`,
      kmsMasterKeyId: this.key.key.arn,
    });
    new SnsTopicPolicy(this, "alarms-policy", {
      arn: this.topic.arn,
      policy: policy(alarmTopicStatements({ topicArn: this.topic.arn, partition, region: props.region, accountId: props.accountId, namePrefix: props.namePrefix })),
    });
    if (props.alarmEmail) {
      new SnsTopicSubscription(this, "alarms-email", { topicArn: this.topic.arn, protocol: "email", endpoint: props.alarmEmail });
    }

    const actions = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };
    const common = { evaluationPeriods, datapointsToAlarm: evaluationPeriods, period, ...actions };
    const tgDims = (c: Colour) => ({ TargetGroup: props.targetGroupArnSuffixes[c], LoadBalancer: props.loadBalancerArnSuffix });
    const svcDims = (c: Colour) => ({ ClusterName: props.clusterName, ServiceName: props.serviceNames[c] });

    const alarm = (c: Colour, what: ColourAlarm, config: Omit<CloudwatchMetricAlarmConfig, "alarmName">) =>
      new CloudwatchMetricAlarm(this, `${c}-${what}`, { alarmName: `${props.namePrefix}-${c}-${what}`, tags: { Color: c }, ...config });

    const perColour = (c: Colour): Record<ColourAlarm, CloudwatchMetricAlarm> => ({
      // No traffic on the idle colour means no data: that is not an error.
      "target-5xx": alarm(c, "target-5xx", {
        alarmDescription: `${c}: target 5xx responses above ${threshold5xx} per ${period} s`,
        namespace: "AWS/ApplicationELB",
        metricName: "HTTPCode_Target_5XX_Count",
        dimensions: tgDims(c),
        statistic: "Sum",
        comparisonOperator: "GreaterThanThreshold",
        threshold: threshold5xx,
        treatMissingData: "notBreaching",
        ...common,
      }),
      "p99-latency": alarm(c, "p99-latency", {
        alarmDescription: `${c}: p99 target response time above ${p99} s`,
        namespace: "AWS/ApplicationELB",
        metricName: "TargetResponseTime",
        dimensions: tgDims(c),
        extendedStatistic: "p99",
        comparisonOperator: "GreaterThanThreshold",
        threshold: p99,
        treatMissingData: "notBreaching",
        ...common,
      }),
      // Health checks run whether or not the colour takes traffic: missing data is not healthy.
      "unhealthy-hosts": alarm(c, "unhealthy-hosts", {
        alarmDescription: `${c}: at least one unhealthy target`,
        namespace: "AWS/ApplicationELB",
        metricName: "UnHealthyHostCount",
        dimensions: tgDims(c),
        statistic: "Maximum",
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        treatMissingData: "notBreaching",
        ...common,
      }),
      "running-below-desired": alarm(c, "running-below-desired", {
        alarmDescription: `${c}: fewer running tasks than desired`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        treatMissingData: "missing", // no Container Insights data yet: unknown, not alarming
        ...common,
        metricQuery: [
          { id: "missing", expression: "desired - running", label: "Desired minus running tasks", returnData: true },
          {
            id: "running",
            metric: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: svcDims(c), stat: "Minimum", period },
          },
          {
            id: "desired",
            metric: { namespace: "ECS/ContainerInsights", metricName: "DesiredTaskCount", dimensions: svcDims(c), stat: "Maximum", period },
          },
        ],
        period: undefined,
      }),
      "cpu-high": alarm(c, "cpu-high", {
        alarmDescription: `${c}: service CPU above ${cpu}%`,
        namespace: "AWS/ECS",
        metricName: "CPUUtilization",
        dimensions: svcDims(c),
        statistic: "Average",
        comparisonOperator: "GreaterThanThreshold",
        threshold: cpu,
        treatMissingData: "missing",
        ...common,
      }),
    });
    this.alarms = { blue: perColour("blue"), green: perColour("green") };
    this.alarmNames = {
      blue: COLOUR_ALARMS.map((a) => `${props.namePrefix}-blue-${a}`),
      green: COLOUR_ALARMS.map((a) => `${props.namePrefix}-green-${a}`),
    };

    this.loadBalancerAlarm = new CloudwatchMetricAlarm(this, "lb-5xx", {
      alarmName: `${props.namePrefix}-lb-5xx`,
      alarmDescription: `Load balancer 5xx responses above ${threshold5xx} per ${period} s`,
      namespace: "AWS/ApplicationELB",
      metricName: "HTTPCode_ELB_5XX_Count",
      dimensions: { LoadBalancer: props.loadBalancerArnSuffix },
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: threshold5xx,
      treatMissingData: "notBreaching",
      ...common,
    });

    const tgMetric = (metric: string, c: Colour, stat: string) => ["AWS/ApplicationELB", metric, "TargetGroup", props.targetGroupArnSuffixes[c], "LoadBalancer", props.loadBalancerArnSuffix, { stat, label: c }];
    const svcMetric = (metric: string, c: Colour) => ["AWS/ECS", metric, "ClusterName", props.clusterName, "ServiceName", props.serviceNames[c], { stat: "Average", label: c }];
    const widget = (title: string, metrics: unknown[], i: number) => ({
      type: "metric",
      x: (i % 2) * 12,
      y: Math.floor(i / 2) * 6,
      width: 12,
      height: 6,
      properties: { title, region: props.region, view: "timeSeries", stacked: false, period, metrics },
    });
    const widgets = [
      widget("Requests (blue vs green)", COLOURS.map((c) => tgMetric("RequestCount", c, "Sum")), 0),
      widget("Target 5xx", COLOURS.map((c) => tgMetric("HTTPCode_Target_5XX_Count", c, "Sum")), 1),
      widget("p99 latency (s)", COLOURS.map((c) => tgMetric("TargetResponseTime", c, "p99")), 2),
      widget("Healthy hosts", COLOURS.map((c) => tgMetric("HealthyHostCount", c, "Minimum")), 3),
      widget("CPU %", COLOURS.map((c) => svcMetric("CPUUtilization", c)), 4),
      widget("Memory %", COLOURS.map((c) => svcMetric("MemoryUtilization", c)), 5),
    ];
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.namePrefix,
      dashboardBody: JSON.stringify({ widgets }),
    });
  }
}
