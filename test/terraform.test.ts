/**
 * What Terraform itself says about the full stacks: `terraform validate` and `terraform plan`
 * with the real AWS provider (5.100.0), offline. On failure the error carries Terraform's own
 * diagnostics. Never skipped: without Terraform the suite fails and says how to install it.
 */
import type { OfflinePlan } from "../scripts/offline";
import { configOf, synthStack } from "./support/stacks";
import { requireTerraform, validateAndPlan } from "./support/terraform";

const plans: Record<string, OfflinePlan> = {};

/** Every optional feature switched on at once: issued certificate + DNS, stickiness, access logs, e-mail, WAF, an existing OIDC provider, a state bucket, a pinned account. */
const EVERYTHING_ON = (text: string) =>
  text
    .replace(/^allow_plain_http .*$/m, "")
    .replace(/^create_github_oidc_provider = true$/m, "create_github_oidc_provider = false")
    .replace(/^stickiness_seconds = 0$/m, "stickiness_seconds = 3600") +
  `
domain_name              = "app.example.com"
hosted_zone_id           = "Z0123456789ABCDEFGHIJ"
access_logs_bucket       = "acme-alb-logs"
alarm_email              = "oncall@example.com"
github_oidc_provider_arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
state_bucket             = "acme-terraform-state"
aws_account_id           = "111111111111"
waf_enabled              = true
`;

beforeAll(async () => {
  requireTerraform();
  for (const env of ["dev", "prod"]) plans[env] = validateAndPlan(synthStack(await configOf(env)), `plan-${env}`);
  plans.everything = validateAndPlan(synthStack(await configOf("dev", EVERYTHING_ON)), "plan-everything");
}, 300_000);

function planned(env: string, type: string): any[] {
  return (plans[env].json.resource_changes ?? []).filter((rc) => rc.type === type).map((rc) => rc.change.after);
}

test.each(["dev", "prod"])("%s validates and plans with the real provider: only creates, nothing destroyed", (env) => {
  const { counts } = plans[env];
  expect(counts.add).toBeGreaterThan(70);
  expect(counts).toMatchObject({ change: 0, destroy: 0, replace: 0 });
});

test.each([
  ["dev", 1],
  ["prod", 3],
])("%s: the provider plans %i NAT gateway(s)", (env, n) => {
  expect(planned(env, "aws_nat_gateway")).toHaveLength(n);
});

test.each(["dev", "prod"])("%s: the planned launch template is IMDSv2-only, encrypted, without a public IP", (env) => {
  const [lt] = planned(env, "aws_launch_template");
  expect(lt.image_id).toBe("resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id");
  expect(lt.metadata_options).toEqual([expect.objectContaining({ http_tokens: "required", http_put_response_hop_limit: 1 })]);
  expect(lt.block_device_mappings[0].ebs[0].encrypted).toBe("true");
  expect(lt.network_interfaces[0].associate_public_ip_address).toBe("false");
});

test.each(["dev", "prod"])("%s: the planned weighted rule forwards blue 100 / green 0", (env) => {
  const [rule] = planned(env, "aws_lb_listener_rule");
  expect(rule.priority).toBe(100);
  expect(rule.action[0].forward[0].target_group.map((t: { weight: number }) => t.weight).sort()).toEqual([0, 100]);
});

test("every optional feature validates and plans: DNS-validated certificate, HTTPS, alias, stickiness, access logs, e-mail", () => {
  expect(plans.everything.counts).toMatchObject({ change: 0, destroy: 0, replace: 0 });
  expect(planned("everything", "aws_acm_certificate")).toEqual([expect.objectContaining({ domain_name: "app.example.com", validation_method: "DNS" })]);
  const records = planned("everything", "aws_route53_record");
  expect(records).toHaveLength(3); // the validation record (type known after apply) and the A and AAAA aliases
  for (const type of ["A", "AAAA"]) {
    expect(records.filter((r) => r.type === type)).toEqual([expect.objectContaining({ name: "app.example.com", alias: [expect.objectContaining({ evaluate_target_health: true })] })]);
  }
  expect(planned("everything", "aws_lb_listener").map((l) => l.port).sort((a, b) => a - b)).toEqual([80, 443, 8443]);
  expect(planned("everything", "aws_sns_topic_subscription")).toHaveLength(1);
  expect(planned("everything", "aws_iam_openid_connect_provider")).toHaveLength(0);
  const [rule] = planned("everything", "aws_lb_listener_rule");
  expect(rule.action[0].forward[0].stickiness).toEqual([{ enabled: true, duration: 3600 }]);
});

test("prod plans its security defaults: the WAF web ACL on the load balancer, the access-log bucket, 365-day log retention, the keys", () => {
  const [acl] = planned("prod", "aws_wafv2_web_acl");
  expect(acl.scope).toBe("REGIONAL");
  // a set in the plan: in priority order
  const byPriority = [...acl.rule].sort((a: { priority: number }, b: { priority: number }) => a.priority - b.priority);
  expect(byPriority.map((r: { name: string }) => r.name)).toEqual(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList", "rate-limit-per-ip"]);
  expect(planned("prod", "aws_wafv2_web_acl_association")).toHaveLength(1);
  expect(planned("prod", "aws_s3_bucket")).toEqual([expect.objectContaining({ bucket_prefix: "webapp-prod-alb-logs-" })]);
  const [lb] = planned("prod", "aws_lb");
  expect(lb.access_logs).toEqual([expect.objectContaining({ enabled: true, prefix: "webapp-prod" })]);
  for (const g of planned("prod", "aws_cloudwatch_log_group")) expect(g.retention_in_days).toBe(365);
  // the secrets key and the alarm topic's key
  expect(planned("prod", "aws_kms_key")).toHaveLength(2);
  expect(planned("prod", "aws_ssm_parameter")).toHaveLength(0);
});

test("dev keeps its lighter defaults: no WAF, no access-log bucket, 7-day retention", () => {
  expect(planned("dev", "aws_wafv2_web_acl")).toHaveLength(0);
  expect(planned("dev", "aws_s3_bucket")).toHaveLength(0);
  for (const g of planned("dev", "aws_cloudwatch_log_group")) expect(g.retention_in_days).toBe(7);
});

test("every optional feature plans the WAF on the load balancer and access logs to the given bucket", () => {
  expect(planned("everything", "aws_wafv2_web_acl_association")).toHaveLength(1);
  expect(planned("everything", "aws_s3_bucket")).toHaveLength(0);
  const [lb] = planned("everything", "aws_lb");
  expect(lb.access_logs).toEqual([expect.objectContaining({ enabled: true, bucket: "acme-alb-logs" })]);
});
