import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ServiceLogGroups } from "../lib/log-groups";
import { synthWith } from "./support/scope";

describe("ServiceLogGroups", () => {
  test("one group per colour with the retention", () => {
    const s = synthWith((sc) => new ServiceLogGroups(sc, "logs", { namePrefix: "svc-dev", retentionInDays: 7 }));
    expect(s).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/ecs/svc-dev/blue", retention_in_days: 7, tags: { Color: "blue" } });
    expect(s).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/ecs/svc-dev/green", retention_in_days: 7, tags: { Color: "green" } });
  });

  test("override: KMS key", () => {
    const s = synthWith((sc) => new ServiceLogGroups(sc, "logs", { namePrefix: "svc-dev", retentionInDays: 30, kmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k" }));
    expect(s).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/ecs/svc-dev/green", kms_key_id: "arn:aws:kms:eu-west-1:1:key/k" });
  });

  test("throws when the retention is not one CloudWatch allows", () => {
    expect(() => synthWith((sc) => new ServiceLogGroups(sc, "logs", { namePrefix: "svc-dev", retentionInDays: 8 }))).toThrow(/retentionInDays 8 is not allowed by CloudWatch; use one of 1, 3, 5, 7/);
  });
});
