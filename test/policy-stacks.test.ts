/**
 * The policy pack on the real stacks: dev, prod and the state stack, synthesized from the
 * shipped config, pass with exactly the documented exceptions; a violation fails `app.synth()`
 * with one line per finding; stale exceptions are reported; `npm run policy`'s table and the
 * README's rule table agree with the pack.
 */
import { App, Testing } from "cdktf";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadStateConfig } from "../lib/config";
import type { EnvironmentConfig, StateConfig } from "../lib/config";
import { applyPolicy, evaluatePolicy, findingTarget, RULE_IDS, type PolicyReport } from "../lib/policy";
import { ServiceStack } from "../stacks/service-stack";
import { STATE_STACK_ID, StateBackendStack } from "../stacks/state-backend-stack";
import { configOf } from "./support/stacks";

const ROOT = path.resolve(__dirname, "..");

/**
 * Every finding the shipped config excepts, per stack: [rule, address prefix (the name before
 * cdktf's hash) with the part]. A new exception in config must be added here, on purpose.
 */
const COMMON: ReadonlyArray<readonly [string, string]> = [
  ["LB-INTERNET-FACING", "aws_lb.alb_"],
  ["LB-TG-HTTPS", "aws_lb_target_group.alb_tg-blue_"],
  ["LB-TG-HTTPS", "aws_lb_target_group.alb_tg-green_"],
  ["SG-OPEN-EGRESS", "aws_vpc_security_group_egress_rule.security-groups_tasks-out-https_"],
  ["SG-OPEN-EGRESS", "aws_vpc_security_group_egress_rule.security-groups_instances-out-https_"],
  ["ECR-KMS-ENCRYPTION", "aws_ecr_repository.ecr_repository_"],
  ["IAM-NO-WILDCARD-RESOURCE", "aws_iam_role_policy.ecs-roles_execution-policy_#EcrLogin"],
  ["IAM-NO-WILDCARD-RESOURCE", "aws_iam_role_policy.github_deploy-policy_#RegistryLogin"],
  ["IAM-NO-WILDCARD-RESOURCE", "aws_iam_role_policy.github_deploy-policy_#EcsDeregisterTaskDefinition"],
  ["IAM-NO-WILDCARD-RESOURCE", "aws_iam_policy.github_read-policy_#Read"],
  ["IAM-NO-UNSCOPED-WRITE", "aws_iam_role_policy.github_deploy-policy_#EcsDeregisterTaskDefinition"],
  ["ECS-READONLY-ROOT-FS", "aws_ecs_task_definition.service-blue_task-definition_#app"],
  ["ECS-READONLY-ROOT-FS", "aws_ecs_task_definition.service-green_task-definition_#app"],
];
const EXPECTED: Record<string, ReadonlyArray<readonly [string, string]>> = {
  dev: [
    ...COMMON,
    ["LB-ACCESS-LOGS", "aws_lb.alb_"],
    ["LB-WAF", "aws_lb.alb_"],
    ["LB-DELETION-PROTECTION", "aws_lb.alb_"],
    ["LOGS-RETENTION-YEAR", "aws_cloudwatch_log_group.logs_blue_"],
    ["LOGS-RETENTION-YEAR", "aws_cloudwatch_log_group.logs_green_"],
    ["LOGS-RETENTION-YEAR", "aws_cloudwatch_log_group.network_flow-logs_"],
    ["LB-LISTENER-HTTPS", "aws_lb_listener.alb_production_"],
    ["LB-LISTENER-HTTPS", "aws_lb_listener.alb_test_"],
  ],
  // prod has the WAF and access logs on; its access-log bucket cannot use SSE-KMS nor log itself
  prod: [...COMMON, ["S3-ENCRYPTION", "aws_s3_bucket.access-logs_bucket_"], ["S3-ACCESS-LOGGING", "aws_s3_bucket.access-logs_bucket_"]],
  state: [["S3-ACCESS-LOGGING", "aws_s3_bucket.bucket"]],
};

/** `aws_lb.alb_7A364839#part` -> `aws_lb.alb_#part`: the name without cdktf's hash. */
const unhashed = (target: string) => target.replace(/_[0-9A-F]{8}(?=$|#)/, "_");

let dev: EnvironmentConfig;
let prod: EnvironmentConfig;
let state: StateConfig;
const reports: Record<string, PolicyReport> = {};

function synthService(config: EnvironmentConfig): unknown {
  return JSON.parse(Testing.synth(new ServiceStack(Testing.app(), config.environment, { config })));
}

beforeAll(async () => {
  dev = await configOf("dev");
  prod = await configOf("prod");
  state = (await loadStateConfig(path.join(ROOT, "config")))!;
  reports.dev = evaluatePolicy("dev", synthService(dev), dev.policyExceptions);
  reports.prod = evaluatePolicy("prod", synthService(prod), prod.policyExceptions);
  reports.state = evaluatePolicy("state", JSON.parse(Testing.synth(new StateBackendStack(Testing.app(), STATE_STACK_ID, { config: state }))), state.policyExceptions);
});

describe.each(["dev", "prod", "state"])("the shipped %s stack", (stack) => {
  test("has no violation", () => {
    expect(reports[stack].violations.map((v) => `${v.rule} ${findingTarget(v)}`)).toEqual([]);
  });

  test("excepts exactly the documented findings, each with a reason", () => {
    const excepted = reports[stack].excepted.map((f) => [f.rule, unhashed(findingTarget(f))] as const);
    expect([...excepted].sort()).toEqual([...EXPECTED[stack]].sort());
    for (const f of reports[stack].excepted) expect(f.reason.length).toBeGreaterThanOrEqual(12);
  });

  test("has no unused exception", () => {
    expect(reports[stack].unusedExceptions).toEqual([]);
  });
});

describe("at synth", () => {
  /** A real App (as main.ts builds it) in a temp dir, with the policy applied and its output captured. */
  function synthApp(config: EnvironmentConfig) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-app-"));
    const info: string[] = [];
    const warn: string[] = [];
    const app = new App({ outdir });
    applyPolicy(new ServiceStack(app, config.environment, { config }), config.policyExceptions, { source: config.sourceFile, info: (l) => info.push(l), warn: (l) => warn.push(l) });
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    const written = fs.existsSync(path.join(outdir, "stacks", config.environment, "cdk.tf.json"));
    fs.rmSync(outdir, { recursive: true, force: true });
    return { error, info, warn, written };
  }
  const withoutException = (config: EnvironmentConfig, rule: string): EnvironmentConfig => ({ ...config, policyExceptions: config.policyExceptions.filter((e) => e.rule !== rule) });

  test("the shipped prod config synthesizes, reporting each excepted rule with its reason and no warning", () => {
    const r = synthApp(prod);
    expect(r.error).toBeUndefined();
    expect(r.written).toBe(true);
    expect(r.info[0]).toBe(`policy prod: ${RULE_IDS.length} rules, 0 violations, ${EXPECTED.prod.length} excepted, 0 unused exceptions`);
    expect(r.info).toContainEqual(
      expect.stringMatching(/^policy prod: LB-TG-HTTPS aws_lb_target_group\.alb_tg-blue_\w+, aws_lb_target_group\.alb_tg-green_\w+: excepted: TLS ends at the load balancer/)
    );
    expect(r.warn).toEqual([]);
  });

  test("a violation makes app.synth() throw, one line per finding: rule, address, message, fix; nothing is written", () => {
    const r = synthApp(withoutException(dev, "LB-WAF"));
    expect(r.error).toBeInstanceOf(Error);
    const message = (r.error as Error).message;
    expect(message).toMatch(/^\s*\[dev\] LB-WAF aws_lb\.alb_[0-9A-F]{8}: the internet-facing application load balancer has no WAF web ACL\. Fix: .*$/m);
    expect(message.split("\n").filter((l) => /^\s*\[dev\] /.test(l))).toHaveLength(1);
    expect(r.written).toBe(false);
  });

  test("an exception that matches nothing is reported as a warning to delete it, and synth still succeeds", () => {
    const stale = { ...prod, policyExceptions: [...prod.policyExceptions, { rule: "DDB-PITR", reason: "there is no lock table any more" }] };
    const r = synthApp(stale);
    expect(r.error).toBeUndefined();
    expect(r.warn).toEqual([`policy prod: warning: unused exception DDB-PITR in ${prod.sourceFile} matches nothing in this stack: delete it`]);
  });

  test("the built app (what cdktf synth runs) prints the violation line without a stack trace and exits 1", () => {
    const main = path.join(ROOT, "dist", "main.js");
    if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (npm test does it first)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-main-"));
    fs.mkdirSync(path.join(dir, "config"));
    const text = fs.readFileSync(path.join(ROOT, "config", "dev.tfvars"), "utf8");
    const cut = text.replace(/^  "LB-WAF" = \{\n[\s\S]*?^  \}\n/m, "");
    expect(cut).not.toBe(text);
    fs.writeFileSync(path.join(dir, "config", "dev.tfvars"), cut);
    const r = spawnSync(process.execPath, [main], { cwd: dir, env: { ...process.env, CDKTF_OUTDIR: path.join(dir, "out") }, encoding: "utf8" });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\s*\[dev\] LB-WAF aws_lb\.alb_[0-9A-F]{8}: .*\. Fix: .*$/m);
    expect(r.stderr).toMatch(/write a deliberate exception with its reason into policy_exceptions/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/skipValidation/);
  });
});

describe("documentation", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  /** The text under `heading` up to the next heading of the same or a higher level. */
  const under = (heading: string) => {
    const start = readme.indexOf(`\n${heading}\n`);
    if (start < 0) throw new Error(`README.md has no "${heading}"`);
    const level = heading.split(" ")[0];
    const next = readme.slice(start + heading.length + 2).search(new RegExp(`^#{2,${level.length}} `, "m"));
    return readme.slice(start, next < 0 ? undefined : start + heading.length + 2 + next);
  };
  const rows = (text: string) => [...text.matchAll(/^\| `([A-Z0-9-]+)` \| ([^|]*) \|/gm)].map((m) => [m[1], m[2].trim()] as const);

  test("the README's rule table lists every rule id once, and no other", () => {
    const listed = rows(under("### Rules")).map(([id]) => id);
    expect([...listed].sort()).toEqual([...RULE_IDS].sort());
  });

  test("the README names every shipped exception with its stacks", () => {
    const shipped = rows(under("### Shipped exceptions")).map(([id, stacks]) => [id, stacks.split(/,\s*/).sort()] as const);
    const expected = new Map<string, string[]>();
    for (const [stack, list] of Object.entries(EXPECTED)) for (const [rule] of list) expected.set(rule, [...new Set([...(expected.get(rule) ?? []), stack])].sort());
    expect(new Map(shipped)).toEqual(expected);
  });
});
