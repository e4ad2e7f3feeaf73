import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { COLOUR_ALARMS, Observability, type ObservabilityProps } from "../lib/observability";
import { resourcesOf, synthWith } from "./support/scope";

const base: ObservabilityProps = {
  namePrefix: "svc-dev",
  region: "eu-west-1",
  loadBalancerArnSuffix: "app/svc-dev/1",
  targetGroupArnSuffixes: { blue: "targetgroup/svc-dev-blue/1", green: "targetgroup/svc-dev-green/2" },
  clusterName: "svc-dev",
  serviceNames: { blue: "svc-dev-blue", green: "svc-dev-green" },
  accountId: "111111111111",
};
let alarmNames: unknown;
const synth = (props: Partial<ObservabilityProps> = {}) =>
  synthWith((s) => {
    alarmNames = new Observability(s, "obs", { ...base, ...props }).alarmNames;
  });
const alarm = (s: string, name: string) => Object.values(resourcesOf(s, "aws_cloudwatch_metric_alarm")).find((a) => a.alarm_name === name);

describe("Observability", () => {
  test("defaults: five alarms per colour, scoped to that colour's target group or service, acting on the topic", () => {
    const s = synth();
    for (const colour of ["blue", "green"] as const) {
      const tg = base.targetGroupArnSuffixes[colour];
      expect(alarm(s, `svc-dev-${colour}-target-5xx`)).toEqual(
        expect.objectContaining({ metric_name: "HTTPCode_Target_5XX_Count", statistic: "Sum", threshold: 10, dimensions: { TargetGroup: tg, LoadBalancer: "app/svc-dev/1" }, treat_missing_data: "notBreaching" }),
      );
      expect(alarm(s, `svc-dev-${colour}-p99-latency`)).toEqual(expect.objectContaining({ metric_name: "TargetResponseTime", extended_statistic: "p99", threshold: 1.5, dimensions: { TargetGroup: tg, LoadBalancer: "app/svc-dev/1" } }));
      expect(alarm(s, `svc-dev-${colour}-unhealthy-hosts`)).toEqual(expect.objectContaining({ metric_name: "UnHealthyHostCount", threshold: 0, dimensions: { TargetGroup: tg, LoadBalancer: "app/svc-dev/1" } }));
      expect(alarm(s, `svc-dev-${colour}-cpu-high`)).toEqual(expect.objectContaining({ namespace: "AWS/ECS", threshold: 85, dimensions: { ClusterName: "svc-dev", ServiceName: `svc-dev-${colour}` } }));
      const running = alarm(s, `svc-dev-${colour}-running-below-desired`);
      expect(running.metric_query.map((q: { id: string }) => q.id).sort()).toEqual(["desired", "missing", "running"]);
      expect(running.metric_query.find((q: { id: string }) => q.id === "running").metric.dimensions).toEqual({ ClusterName: "svc-dev", ServiceName: `svc-dev-${colour}` });
    }
    const topicRef = `\${aws_sns_topic.${Object.keys(resourcesOf(s, "aws_sns_topic"))[0]}.arn}`;
    for (const a of Object.values(resourcesOf(s, "aws_cloudwatch_metric_alarm"))) {
      expect(a.alarm_actions).toEqual([topicRef]);
      expect(a.evaluation_periods).toBe(3);
    }
    expect(s).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: "svc-dev-lb-5xx", metric_name: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: "app/svc-dev/1" } });
  });

  test("alarm names are plain strings known at synth (stack outputs for the CLI)", () => {
    synth();
    expect(alarmNames).toEqual({
      blue: COLOUR_ALARMS.map((a) => `svc-dev-blue-${a}`),
      green: COLOUR_ALARMS.map((a) => `svc-dev-green-${a}`),
    });
  });

  test("topic encrypted with the stack's own key (never alias/aws/sns); only this account's alarms of this stack may publish; no e-mail by default", () => {
    const s = synth();
    const [keyName] = Object.keys(resourcesOf(s, "aws_kms_key"));
    expect(s).toHaveResourceWithProperties(SnsTopic, { name: "svc-dev-alarms", kms_master_key_id: `\${aws_kms_key.${keyName}.arn}` });
    expect(s).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(s).toHaveResourceWithProperties(KmsAlias, { name: "alias/svc-dev-alarms" });
    const policy = JSON.parse(Object.values(resourcesOf(s, "aws_sns_topic_policy"))[0].policy);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["sns:Publish"],
        Condition: { StringEquals: { "aws:SourceAccount": "111111111111" }, ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:svc-dev-*" } },
      }),
    ]);
    expect(s).not.toHaveResource(SnsTopicSubscription);
  });

  test("dashboard: blue and green side by side for every panel", () => {
    const s = synth();
    const body = JSON.parse(Object.values(resourcesOf(s, "aws_cloudwatch_dashboard"))[0].dashboard_body);
    expect(body.widgets.map((w: any) => w.properties.title)).toEqual(["Requests (blue vs green)", "Target 5xx", "p99 latency (s)", "Healthy hosts", "CPU %", "Memory %"]);
    for (const w of body.widgets) {
      expect(w.properties.region).toBe("eu-west-1");
      expect(w.properties.metrics.map((m: any[]) => m[m.length - 1].label)).toEqual(["blue", "green"]);
    }
  });

  test("overrides: e-mail subscription, thresholds, period", () => {
    const s = synth({ alarmEmail: "oncall@example.com", target5xxThreshold: 3, p99LatencySeconds: 0.5, evaluationPeriods: 2, periodSeconds: 300 });
    expect(s).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "oncall@example.com" });
    expect(alarm(s, "svc-dev-green-target-5xx")).toEqual(expect.objectContaining({ threshold: 3, period: 300, evaluation_periods: 2 }));
    expect(alarm(s, "svc-dev-green-p99-latency").threshold).toBe(0.5);
  });

  test.each([
    [{ target5xxThreshold: 0 }, /target5xxThreshold must be > 0, got 0/],
    [{ p99LatencySeconds: -1 }, /p99LatencySeconds must be > 0, got -1/],
    [{ evaluationPeriods: 0 }, /evaluationPeriods must be 1..100, got 0/],
    [{ periodSeconds: 45 }, /periodSeconds must be 10, 20, 30 or a multiple of 60, got 45/],
    [{ cpuPercent: 120 }, /cpuPercent must be 1..100, got 120/],
  ])("throws when %j", (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
