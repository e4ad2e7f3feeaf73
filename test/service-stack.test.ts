import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { EnvironmentConfig } from "../lib/config/types";
import { OUTPUTS } from "../lib/outputs";
import { configOf, replaceLine, synthStack } from "./support/stacks";
import { parse, resourcesOf } from "./support/scope";

let dev: EnvironmentConfig;
let prod: EnvironmentConfig;
let devSynth: string;
let prodSynth: string;

beforeAll(async () => {
  dev = await configOf("dev");
  prod = await configOf("prod");
  devSynth = synthStack(dev);
  prodSynth = synthStack(prod);
});

/** The one resource of `type` whose Terraform name contains `fragment`. */
function one(synth: string, type: string, fragment: string): [string, any] {
  const hits = Object.entries(resourcesOf(synth, type)).filter(([name]) => name.includes(fragment));
  if (hits.length !== 1) throw new Error(`expected one ${type} matching ${fragment}, found ${hits.map(([n]) => n).join(", ") || "none"}`);
  return hits[0];
}

describe("both environments", () => {
  test.each(["dev", "prod"])("%s: provider tags every resource and pins the region", (env) => {
    const synth = env === "dev" ? devSynth : prodSynth;
    expect(synth).toHaveProviderWithProperties(AwsProvider, {
      region: "eu-west-1",
      default_tags: [{ tags: expect.objectContaining({ Service: "webapp", Environment: env, ManagedBy: "cdktf", Stack: `webapp-${env}`, team: "platform" }) }],
    });
  });

  test.each(["dev", "prod"])("%s: outputs are exactly the CLI contract", (env) => {
    const outputs = parse(env === "dev" ? devSynth : prodSynth).output ?? {};
    expect(Object.keys(outputs).sort()).toEqual(Object.values(OUTPUTS).sort());
    expect(outputs[OUTPUTS.blueAlarmNames].value).toContain(`webapp-${env}-blue-target-5xx`);
    expect(outputs[OUTPUTS.weightedRuleArn].value).toMatch(/^\$\{aws_lb_listener_rule\..*\.arn\}$/);
  });

  test.each(["dev", "prod"])("%s: the deploy role may pass the flow logs role, to VPC Flow Logs only", (env) => {
    const synth = env === "dev" ? devSynth : prodSynth;
    const [flowRole] = one(synth, "aws_iam_role", "flow-logs-role");
    const statements = Object.values(resourcesOf(synth, "aws_iam_role_policy"))
      .concat(Object.values(resourcesOf(synth, "aws_iam_policy")))
      .flatMap((p: any) => JSON.parse(p.policy).Statement);
    const passFlow = statements.filter((st: any) => [st.Action].flat().includes("iam:PassRole") && [st.Resource].flat().includes(`\${aws_iam_role.${flowRole}.arn}`));
    expect(passFlow).toEqual([expect.objectContaining({ Effect: "Allow", Condition: { StringEquals: { "iam:PassedToService": "vpc-flow-logs.amazonaws.com" } } })]);
  });

  test.each(["dev", "prod"])("%s: each colour's service is attached to its own target group only", (env) => {
    const synth = env === "dev" ? devSynth : prodSynth;
    for (const colour of ["blue", "green"]) {
      const [tgName] = one(synth, "aws_lb_target_group", `tg-${colour}`);
      const [, svc] = one(synth, "aws_ecs_service", `service-${colour}`);
      expect(svc.load_balancer).toEqual([expect.objectContaining({ target_group_arn: `\${aws_lb_target_group.${tgName}.arn}`, container_name: "app" })]);
      expect(svc.lifecycle.ignore_changes).toEqual(["desired_count"]);
    }
  });

  test.each(["dev", "prod"])("%s: the weighted rule and the test listener ignore their actions; priority is fixed", (env) => {
    const synth = env === "dev" ? devSynth : prodSynth;
    expect(synth).toHaveResourceWithProperties(LbListenerRule, {
      priority: 100,
      lifecycle: { ignore_changes: ["action", "tags", "tags_all"] },
    });
    const [, test] = one(synth, "aws_lb_listener", "alb_test");
    expect(test.port).toBe(8443);
    expect(test.lifecycle).toEqual({ ignore_changes: ["default_action"] });
    const [greenTg] = one(synth, "aws_lb_target_group", "tg-green");
    expect(test.default_action).toEqual([{ type: "forward", target_group_arn: `\${aws_lb_target_group.${greenTg}.arn}` }]);
  });
});

describe("dev", () => {
  test("serves plain HTTP on 80 (allow_plain_http) with blue 100 / green 0 and tight health checks", () => {
    expect(devSynth).toHaveResourceWithProperties(LbListener, { port: 80, protocol: "HTTP" });
    expect(devSynth).not.toHaveResourceWithProperties(LbListener, { port: 443 });
    const [, rule] = one(devSynth, "aws_lb_listener_rule", "weighted");
    expect(rule.action[0].forward.target_group.map((t: any) => t.weight)).toEqual([100, 0]);
    expect(devSynth).toHaveResourceWithProperties(LbTargetGroup, {
      name: "webapp-dev-blue",
      target_type: "ip",
      deregistration_delay: "30",
      tags: { Color: "blue" },
      health_check: expect.objectContaining({ path: "/health", interval: 10, healthy_threshold: 2, unhealthy_threshold: 3, timeout: 5 }),
    });
  });

  test("one shared NAT gateway, seven-day logs", () => {
    expect(Object.keys(resourcesOf(devSynth, "aws_nat_gateway"))).toHaveLength(1);
    for (const group of Object.values(resourcesOf(devSynth, "aws_cloudwatch_log_group"))) expect(group.retention_in_days).toBe(7);
  });
});

describe("prod", () => {
  test("HTTPS on 443 with a TLS 1.3 policy, port 80 only redirects, deletion protection on", () => {
    expect(prodSynth).toHaveResourceWithProperties(LbListener, { port: 443, protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });
    expect(prodSynth).toHaveResourceWithProperties(LbListener, {
      port: 80,
      default_action: [expect.objectContaining({ type: "redirect", redirect: expect.objectContaining({ protocol: "HTTPS", status_code: "HTTP_301" }) })],
    });
    const [, lb] = one(prodSynth, "aws_lb", "alb_");
    expect(lb.enable_deletion_protection).toBe(true);
    expect(lb.drop_invalid_header_fields).toBe(true);
  });

  test("one NAT gateway per AZ, a year of logs (the usual audit floor), desired count 2 per colour", () => {
    expect(Object.keys(resourcesOf(prodSynth, "aws_nat_gateway"))).toHaveLength(3);
    expect(prodSynth).toHaveResourceWithProperties(EcsService, { name: "webapp-prod-green", desired_count: 2 });
    const [, blueLogs] = one(prodSynth, "aws_cloudwatch_log_group", "logs_blue");
    expect(blueLogs.retention_in_days).toBe(365);
    const [, flowLogs] = one(prodSynth, "aws_cloudwatch_log_group", "network_flow-logs");
    expect(flowLogs.retention_in_days).toBe(365);
  });
});

describe("change isolation", () => {
  test("changing only blue's image tag changes blue's task definition and nothing else", async () => {
    const changed = synthStack(await configOf("dev", replaceLine(/^\s*blue\s*=\s*"3f9c2a1"/, '  blue  = "9b1e4d7"')));
    const before = parse(devSynth).resource!;
    const after = parse(changed).resource!;
    const differing: string[] = [];
    for (const type of new Set([...Object.keys(before), ...Object.keys(after)])) {
      for (const name of new Set([...Object.keys(before[type] ?? {}), ...Object.keys(after[type] ?? {})])) {
        if (JSON.stringify(before[type]?.[name]) !== JSON.stringify(after[type]?.[name])) differing.push(`${type}.${name}`);
      }
    }
    expect(differing).toHaveLength(1);
    expect(differing[0]).toMatch(/^aws_ecs_task_definition\.service-blue_/);
    const containers = JSON.parse(after.aws_ecs_task_definition[differing[0].split(".")[1]].container_definitions);
    expect(containers[0].image).toMatch(/:9b1e4d7$/);

    // The new revision reaches Terraform only through the blue service: nothing else refers to it.
    const ref = `\${${differing[0]}.arn}`;
    const referrers = Object.entries(after).flatMap(([type, byName]) =>
      Object.entries(byName as Record<string, unknown>).filter(([, r]) => JSON.stringify(r).includes(ref)).map(([n]) => `${type}.${n}`),
    );
    expect(referrers).toHaveLength(1);
    expect(referrers[0]).toMatch(/^aws_ecs_service\.service-blue_/);
    expect(JSON.stringify(parse(changed).output)).toEqual(JSON.stringify(parse(devSynth).output));
  });
});

describe("IAM size limits", () => {
  test("each role's inline policies fit AWS's 10,240-character limit, with every optional feature on", async () => {
    const everything = await configOf(
      "dev",
      (t) => t.replace(/^allow_plain_http .*$/m, "") + '\ndomain_name = "app.example.com"\nhosted_zone_id = "Z0123456789ABCDEFGHIJ"\nstate_bucket = "acme-terraform-state-bucket"\n',
    );
    const policies = resourcesOf(synthStack(everything), "aws_iam_role_policy");
    const perRole = new Map<string, number>();
    for (const p of Object.values(policies)) {
      // References resolve to ARNs; count each as a long one. AWS counts without whitespace.
      const size = JSON.stringify(JSON.parse(p.policy)).replace(/\$\{[^}]+\}/g, "arn:aws:iam::111111111111:role/webapp-dev-task-execution-0123456789").length;
      perRole.set(p.role, (perRole.get(p.role) ?? 0) + size);
    }
    expect(perRole.size).toBeGreaterThanOrEqual(4);
    for (const [role, size] of perRole) expect({ role, size, fits: size <= 10240 }).toEqual({ role, size, fits: true });
  });
});
