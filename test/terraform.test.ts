/**
 * What Terraform itself says about the full stacks: `terraform validate` and `terraform plan`
 * with the real AWS provider (5.100.0), offline. On failure the error carries Terraform's own
 * diagnostics. Never skipped: without Terraform the suite fails and says how to install it.
 */
import type { OfflinePlan } from "../scripts/offline";
import { configOf, synthStack } from "./support/stacks";
import { requireTerraform, validateAndPlan } from "./support/terraform";

const plans: Record<string, OfflinePlan> = {};

beforeAll(async () => {
  requireTerraform();
  for (const env of ["dev", "prod"]) plans[env] = validateAndPlan(synthStack(await configOf(env)), `plan-${env}`);
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
