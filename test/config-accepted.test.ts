/**
 * What AWS accepts is accepted too (issue 13, "Valid input refused"), all the way through the
 * constructs; and config strings reach Terraform literally, as the real `terraform plan` shows.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseEnvironmentConfig } from "../lib/config";
import { unescapedTemplate } from "../lib/config/literal";
import { synthesizeProject } from "../lib/synth";
import { ServiceStack } from "../stacks/service-stack";
import { STATE_STACK_ID, StateBackendStack } from "../stacks/state-backend-stack";
import { replaceLine } from "./support/stacks";
import { validateAndPlan } from "./support/terraform";

const DEV = fs.readFileSync(path.resolve("config", "dev.tfvars"), "utf8");

const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes `text` as dev.tfvars through the whole project synthesis; returns the dev stack's JSON. */
async function synthDev(text: string): Promise<any> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-accepted-"));
  tmpDirs.push(dir);
  fs.mkdirSync(path.join(dir, "config"));
  fs.writeFileSync(path.join(dir, "config", "dev.tfvars"), text);
  const outdir = path.join(dir, "cdktf.out");
  await synthesizeProject({
    configDir: path.join(dir, "config"),
    outdir,
    stacks: {
      state: (app, config) => new StateBackendStack(app, STATE_STACK_ID, { config }),
      environment: (app, config) => new ServiceStack(app, config.environment, { config }),
    },
  });
  return JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "dev", "cdk.tf.json"), "utf8"));
}

const edits = (...fns: Array<(t: string) => string>) => (t: string) => fns.reduce((acc, f) => f(acc), t);
const resources = (stack: any, type: string): any[] => Object.values(stack.resource?.[type] ?? {});

describe("valid input is accepted, by the config and by every construct", () => {
  test.each([
    ["a one-letter service_name", replaceLine(/^service_name /, 'service_name = "a"'), (s: any) => expect(resources(s, "aws_ecs_cluster")[0].name).toBe("a-dev")],
    ["a service_name starting with a digit", replaceLine(/^service_name /, 'service_name = "1web"'), (s: any) => expect(resources(s, "aws_ecs_cluster")[0].name).toBe("1web-dev")],
    [
      "task_cpu 128",
      edits(replaceLine(/^task_cpu /, "task_cpu = 128"), replaceLine(/^task_memory_mib /, "task_memory_mib = 256")),
      (s: any) => expect(resources(s, "aws_ecs_task_definition").map((t) => t.cpu)).toEqual(["128", "128"]),
    ],
    [
      "alarm_period_seconds 20",
      (t: string) => `${t}\nalarm_period_seconds = 20\n`,
      (s: any) => expect(new Set(resources(s, "aws_cloudwatch_metric_alarm").flatMap((a) => [a.period, ...(a.metric_query ?? []).map((q: any) => q.metric?.period)]).filter((p) => p !== undefined))).toEqual(new Set([20])),
    ],
    [
      "tls_policy ELBSecurityPolicy-TLS-1-2-2017-01",
      edits(
        replaceLine(/^allow_plain_http /, ""),
        (t) => `${t}\ncertificate_arn = "arn:aws:acm:eu-west-1:111111111111:certificate/abc"\ntls_policy = "ELBSecurityPolicy-TLS-1-2-2017-01"\n`,
        // AWS accepts it; the policy pack prefers forward secrecy, so it takes a written exception.
        (t) => t.replace("policy_exceptions = {", 'policy_exceptions = {\n  "LB-TLS-POLICY" = { reason = "Old clients need the 2017 policy until they are upgraded." }'),
      ),
      (s: any) => expect(resources(s, "aws_lb_listener").map((l) => l.ssl_policy)).toContain("ELBSecurityPolicy-TLS-1-2-2017-01"),
    ],
    [
      "a root container user with a written exception",
      (t: string) =>
        t.replace("policy_exceptions = {", 'container_user = "0"\npolicy_exceptions = {\n  "CONFIG-CONTAINER-ROOT-USER" = { reason = "The vendor image binds port 80 as root until it is rebuilt." }'),
      (s: any) => expect(JSON.parse(resources(s, "aws_ecs_task_definition")[0].container_definitions)[0].user).toBe("0"),
    ],
    [
      "test listener ranges of /16 and narrower",
      replaceLine(/^test_listener_cidrs /, 'test_listener_cidrs = ["198.18.0.0/16", "203.0.113.7/32"]'),
      (s: any) => expect(resources(s, "aws_vpc_security_group_ingress_rule").filter((r) => r.from_port === 8443).map((r) => r.cidr_ipv4).sort()).toEqual(["198.18.0.0/16", "203.0.113.7/32"]),
    ],
    [
      "health check codes up to 499",
      (t: string) => `${t}\nhealth_check_matcher = "200-399,401,404-499"\n`,
      (s: any) => expect(resources(s, "aws_lb_target_group")[0].health_check.matcher).toBe("200-399,401,404-499"),
    ],
    [
      "an alarm window of exactly one day",
      (t: string) => `${t}\nalarm_period_seconds = 900\nalarm_evaluation_periods = 96\n`,
      (s: any) => expect(resources(s, "aws_cloudwatch_metric_alarm")[0].evaluation_periods).toBe(96),
    ],
    [
      "34 tags: with the stack's 4 and ecs-shift's 12 journal tags, the weighted rule carries AWS's 50",
      replaceLine(/^  cost_center = "1234"$/, Array.from({ length: 33 }, (_, i) => `  extra${i} = "v ${i}"`).join("\n")),
      (s: any) => expect(Object.keys(s.provider.aws[0].default_tags[0].tags)).toHaveLength(38),
    ],
  ])("%s", async (_name, edit, check) => {
    const text = edit(DEV);
    expect(text).not.toBe(DEV);
    check(await synthDev(text));
  });

  test("the root-user exception is the config's, not the policy pack's: it is not passed on", async () => {
    const text = DEV.replace("policy_exceptions = {", 'container_user = "root"\npolicy_exceptions = {\n  "CONFIG-CONTAINER-ROOT-USER" = { reason = "The vendor image binds port 80 as root until it is rebuilt." }');
    const c = await parseEnvironmentConfig(path.resolve("config", "dev.tfvars"), text);
    expect(c.containerUser).toBe("root");
    expect(c.policyExceptions.map((e) => e.rule)).not.toContain("CONFIG-CONTAINER-ROOT-USER");
  });
});

describe("config strings reach Terraform literally", () => {
  test("unescapedTemplate finds ${ and %{ but not their escapes", () => {
    expect(unescapedTemplate("/a${path.cwd}")).toBe("${");
    expect(unescapedTemplate("/a%{if true}b%{endif}")).toBe("%{");
    expect(unescapedTemplate("/a$${path.cwd}%%{endif}$x%y{z}")).toBeUndefined();
    // "$" then the escape "$${": no expression, as HCL reads it.
    expect(unescapedTemplate("$$${x}")).toBeUndefined();
    expect(unescapedTemplate("a$${b}${c}")).toBe("${");
  });

  test("the planned values equal the config values for strings holding ${ and %{ (written $${ and %%{, as in any tfvars file)", async () => {
    // What the file says, and what HCL (and Terraform, for a tfvars file) reads it as.
    const pathWritten = "/health$${path.cwd}%%{endif}";
    const pathValue = "/health${path.cwd}%{endif}";
    const emailWritten = "ops+$${terraform.workspace}%%{x}@example.com";
    const emailValue = "ops+${terraform.workspace}%{x}@example.com";
    const text = edits(replaceLine(/^health_check_path /, `health_check_path = "${pathWritten}"`), replaceLine(/^# alarm_email /, `alarm_email = "${emailWritten}"`))(DEV);
    const stack = await synthDev(text);
    const plan = validateAndPlan(JSON.stringify(stack), "literal");
    const after = (type: string) => (plan.json.resource_changes ?? []).filter((rc: any) => rc.type === type).map((rc: any) => rc.change.after);
    const groups = after("aws_lb_target_group");
    expect(groups).toHaveLength(2);
    for (const g of groups) expect(g.health_check[0].path).toBe(pathValue);
    expect(after("aws_sns_topic_subscription").map((s: any) => s.endpoint)).toEqual([emailValue]);
  }, 240_000);
});
