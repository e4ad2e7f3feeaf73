import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, loadAllEnvironmentConfigs, loadEnvironmentConfig, parseEnvironmentConfig } from "../lib/config";

/** A minimal valid dev file: only the required keys. */
const MINIMAL = `service_name = "svc"
region = "eu-west-1"
availability_zones = ["eu-west-1a", "eu-west-1b"]
vpc_cidr = "10.0.0.0/16"
public_subnet_cidrs = ["10.0.0.0/24", "10.0.1.0/24"]
private_subnet_cidrs = ["10.0.10.0/24", "10.0.11.0/24"]
test_listener_cidrs = ["203.0.113.0/24"]
image_tags = { blue = "abc1234", green = "abc1234" }
github_repository = "acme/svc"
allow_plain_http = true
`;
const FILE = "/cfg/dev.tfvars";

/** MINIMAL with `key = ...` lines replaced (or appended when new). */
function withKeys(lines: string, base = MINIMAL): string {
  let text = base;
  for (const line of lines.split("\n").filter(Boolean)) {
    const key = line.split("=")[0].trim();
    const re = new RegExp(`^${key}\\s*=.*$`, "m");
    text = re.test(text) ? text.replace(re, line) : `${text}${line}\n`;
  }
  return text;
}

async function problemsOf(text: string, file = FILE): Promise<ConfigError> {
  try {
    await parseEnvironmentConfig(file, text);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError, but the config was accepted");
}

describe("the shipped files", () => {
  test("dev loads with development values", async () => {
    const dev = await loadEnvironmentConfig(path.resolve("config/dev.tfvars"));
    expect(dev).toMatchObject({
      environment: "dev",
      natGatewayMode: "single",
      logRetentionInDays: 7,
      deletionProtection: false,
      healthCheckIntervalSeconds: 10,
      healthyThreshold: 2,
      deregistrationDelaySeconds: 30,
      stopTimeoutSeconds: 45,
      githubDeployRefs: ["refs/heads/main"],
      githubDeployEnvironments: [],
      githubSubjectPrefix: "repo:acme/webapp",
      tags: { team: "platform", cost_center: "1234" },
      allowPlainHttp: true,
    });
  });

  test("prod loads with production values", async () => {
    const prod = await loadEnvironmentConfig(path.resolve("config/prod.tfvars"));
    expect(prod).toMatchObject({
      environment: "prod",
      natGatewayMode: "one_per_az",
      logRetentionInDays: 30,
      deletionProtection: true,
      healthCheckIntervalSeconds: 15,
      healthyThreshold: 3,
      deregistrationDelaySeconds: 60,
      stopTimeoutSeconds: 75,
      githubDeployRefs: [],
      githubDeployEnvironments: ["production"],
      desiredCount: { blue: 2, green: 2 },
    });
    expect(prod.certificateArn).toMatch(/^arn:aws:acm:/);
  });

  test("the result is deeply frozen", async () => {
    const dev = await loadEnvironmentConfig(path.resolve("config/dev.tfvars"));
    expect(() => {
      (dev as { containerPort: number }).containerPort = 1;
    }).toThrow(TypeError);
    expect(() => {
      (dev.imageTags as { blue: string }).blue = "x";
    }).toThrow(TypeError);
    expect(() => (dev.availabilityZones as string[]).push("x")).toThrow(TypeError);
  });
});

describe("defaults and overrides", () => {
  test("a minimal dev file gets development defaults", async () => {
    const c = await parseEnvironmentConfig(FILE, MINIMAL);
    expect(c).toMatchObject({
      natGatewayMode: "single",
      containerPort: 8080,
      testListenerPort: 8443,
      ingressCidrs: ["0.0.0.0/0"],
      initialWeights: { blue: 100, green: 0 },
      healthCheckPath: "/health",
      taskCpu: 256,
      taskMemoryMiB: 512,
      containerUser: "1000",
      instanceType: "t3.small",
      ecrKeepTaggedImages: 20,
      ecrImmutableTags: true,
      createGithubOidcProvider: true,
      githubPlanSubjects: ["pull_request"],
      asgDesiredCapacity: 1,
    });
  });

  test("the same minimal file named prod gets production defaults", async () => {
    const c = await parseEnvironmentConfig("/cfg/prod.tfvars", withKeys('github_deploy_environments = ["production"]'));
    expect(c).toMatchObject({ environment: "prod", natGatewayMode: "one_per_az", deletionProtection: true, healthyThreshold: 3, logRetentionInDays: 30, autoscalingMinCapacity: 2 });
  });

  test("overrides are honoured", async () => {
    const c = await parseEnvironmentConfig(
      FILE,
      withKeys(`nat_gateway_mode = "one_per_az"
github_subject_prefix = "repo:acme@123/svc@456"
stickiness_seconds = 300
stop_timeout_seconds = 100
initial_weights = { blue = 0, green = 100 }
secrets = ["DATABASE_URL", "API_KEY"]
tags = { owner = "team-a" }`),
    );
    expect(c).toMatchObject({
      natGatewayMode: "one_per_az",
      githubSubjectPrefix: "repo:acme@123/svc@456",
      stickinessSeconds: 300,
      stopTimeoutSeconds: 100,
      initialWeights: { blue: 0, green: 100 },
      secrets: ["DATABASE_URL", "API_KEY"],
      tags: { owner: "team-a" },
    });
  });
});

// [name, lines replacing or adding keys, key, fragments the message must contain]
const BAD: Array<[string, string, string, string[]]> = [
  ["unknown key, with a suggestion", "vpc_cdir = 1", "vpc_cdir", ["unknown key", "did you mean `vpc_cidr`?"]],
  ["string for a number", 'container_port = "8080"', "container_port", ['given "8080"', "expected number"]],
  ["number for a string", "region = 5", "region", ["given 5", "expected string"]],
  ["bool as a string", 'allow_plain_http = "yes"', "allow_plain_http", ['given "yes"', "expected boolean"]],
  ["non-integer", "container_port = 80.5", "container_port", ["given 80.5", "a whole number"]],
  ["port out of range", "container_port = 70000", "container_port", ["given 70000", "must be <= 65535"]],
  ["threshold too low", "healthy_threshold = 1", "healthy_threshold", ["given 1", "must be >= 2"]],
  ["interval too high", "health_check_interval_seconds = 400", "health_check_interval_seconds", ["given 400", "must be <= 300"]],
  ["malformed CIDR", 'vpc_cidr = "10.0.0/16"', "vpc_cidr", ['given "10.0.0/16"', "not an IPv4 CIDR"]],
  ["non-canonical CIDR", 'vpc_cidr = "10.0.0.1/16"', "vpc_cidr", ['given "10.0.0.1/16"', "did you mean 10.0.0.0/16?"]],
  ["VPC prefix too large", 'vpc_cidr = "10.0.0.0/8"', "vpc_cidr", ['given "10.0.0.0/8"', "/16 to /28"]],
  ["subnet outside the VPC", 'public_subnet_cidrs = ["10.0.0.0/24", "10.1.0.0/24"]', "public_subnet_cidrs[1]", ['given "10.1.0.0/24"', "outside vpc_cidr 10.0.0.0/16"]],
  ["overlapping subnets", 'private_subnet_cidrs = ["10.0.10.0/24", "10.0.0.0/23"]', "private_subnet_cidrs[1]", ['"10.0.0.0/23"', "overlaps public_subnet_cidrs[0] (10.0.0.0/24)"]],
  ["subnet count != AZ count", 'public_subnet_cidrs = ["10.0.0.0/24"]', "public_subnet_cidrs", ["given 1 CIDRs", "exactly one per availability zone (2)"]],
  ["one AZ only", 'availability_zones = ["eu-west-1a"]', "availability_zones", ['given ["eu-west-1a"]', "at least 2 entries"]],
  ["duplicate AZs", 'availability_zones = ["eu-west-1a", "eu-west-1a"]', "availability_zones", ["each zone may appear once"]],
  ["AZ not in the region", 'availability_zones = ["eu-west-1a", "us-east-1b"]', "availability_zones", ['given "us-east-1b"', "must be in region eu-west-1"]],
  ["bad region", 'region = "Europe"', "region", ['given "Europe"', "an AWS region code such as eu-west-1"]],
  ["uppercase service name", 'service_name = "WebApp"', "service_name", ['given "WebApp"', "lowercase letters, digits and hyphens"]],
  ["service name too long for target group names", 'service_name = "a-really-long-service-name"', "service_name", ["exceeds the 32-character limit", "shorten it to 22 characters or fewer"]],
  ["bad image tag", 'image_tags = { blue = "-bad", green = "ok" }', "image_tags.blue", ['given "-bad"', "a Docker tag"]],
  ["invalid task cpu", "task_cpu = 300", "task_cpu", ["given 300", "allowed: 256, 512, 1024"]],
  ["memory not fitting cpu", "task_memory_mib = 4096", "task_memory_mib", ["given 4096", "with task_cpu 256 it must be 512..2048"]],
  ["log retention not allowed", "log_retention_in_days = 8", "log_retention_in_days", ["given 8", "allowed: 1, 3, 5, 7, 14"]],
  ["alarm period", "alarm_period_seconds = 45", "alarm_period_seconds", ["given 45", "10, 30 or a multiple of 60"]],
  ["timeout not below interval", "health_check_timeout_seconds = 10", "health_check_timeout_seconds", ["given 10", "below health_check_interval_seconds (10)"]],
  ["stop timeout not above the drain", "stop_timeout_seconds = 30", "stop_timeout_seconds", ["stop timeout 30 s must exceed deregistration_delay_seconds (30 s)"]],
  ["weights both 0", "initial_weights = { blue = 0, green = 0 }", "initial_weights", ['given {"blue":0,"green":0}', "at least one colour needs a weight above 0"]],
  ["equal weights", "initial_weights = { blue = 50, green = 50 }", "initial_weights", ["equal weights leave no idle colour"]],
  ["weight above 999", "initial_weights = { blue = 1000, green = 0 }", "initial_weights.blue", ["given 1000", "must be <= 999"]],
  ["desired count outside autoscaling", "desired_count = { blue = 9, green = 1 }", "desired_count.blue", ["given 9", "within autoscaling 1..4"]],
  ["autoscaling min above max", "autoscaling_min_capacity = 5\nautoscaling_max_capacity = 4\ndesired_count = { blue = 4, green = 4 }", "autoscaling_min_capacity", ["given 5", "must not exceed autoscaling_max_capacity (4)"]],
  ["asg min above max", "asg_min_size = 5\nasg_max_size = 4", "asg_min_size", ["given 5", "must not exceed asg_max_size (4)"]],
  ["test port 443", "test_listener_port = 443", "test_listener_port", ["given 443", "must differ from the production ports 80 and 443"]],
  ["test listener open to the internet", 'test_listener_cidrs = ["0.0.0.0/0"]', "test_listener_cidrs[0]", ['given "0.0.0.0/0"', "must not be open to the internet"]],
  ["domain without hosted zone", 'domain_name = "app.example.com"', "hosted_zone_id", ["required with domain_name"]],
  ["malformed certificate ARN", 'certificate_arn = "arn:aws:acm:certificate"', "certificate_arn", ['given "arn:aws:acm:certificate"', "an ACM certificate ARN"]],
  ["existing OIDC provider without its ARN", "create_github_oidc_provider = false", "github_oidc_provider_arn", ["required when create_github_oidc_provider = false"]],
  ["repository without owner", 'github_repository = "svc"', "github_repository", ['given "svc"', "owner/repo"]],
  ["wildcard subject prefix", 'github_subject_prefix = "repo:acme/*"', "github_subject_prefix", ['given "repo:acme/*"', "no * or ?"]],
  ["wildcard deploy ref", 'github_deploy_refs = ["refs/heads/*"]', "github_deploy_refs[0]", ['given "refs/heads/*"', "no * or ?"]],
  ["nobody may deploy", "github_deploy_refs = []", "github_deploy_refs", ["name at least one ref or environment allowed to deploy"]],
  ["reserved tag prefix", 'tags = { "aws:owner" = "x" }', "tags.aws:owner", ["the aws: prefix is reserved"]],
  ["duplicate secrets", 'secrets = ["A", "A"]', "secrets", ['given ["A","A"]', "each name may appear once"]],
  ["bad secret name", 'secrets = ["database-url"]', "secrets[0]", ['given "database-url"', "an environment variable name"]],
  ["no certificate and no plain HTTP", "allow_plain_http = false", "certificate_arn", ["would serve plain HTTP", "allow_plain_http = true"]],
];

describe("bad input: one precise problem each, naming file, line, key, given and allowed", () => {
  test.each(BAD)("%s", async (_name, lines, key, fragments) => {
    const text = withKeys(lines);
    const err = await problemsOf(text);
    const hit = err.problems.find((p) => p.key === key);
    expect({ keys: err.problems.map((p) => `${p.key}: ${p.message}`) }).toEqual({ keys: expect.arrayContaining([expect.stringMatching(new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `))]) });
    for (const f of fragments) expect(hit!.message).toContain(f);
    // the line of the top-level key, when the file sets it
    const top = key.split(/[.[]/)[0];
    const line = text.split("\n").findIndex((l) => new RegExp(`^\\s*${top}\\s*=`).test(l)) + 1;
    if (line > 0) expect(err.message).toContain(`${FILE}:${line}: ${key}: `);
    else expect(err.message).toContain(`${FILE}: ${key}: `);
  });

  test("a missing required key", async () => {
    const err = await problemsOf(MINIMAL.replace(/^github_repository.*\n/m, ""));
    expect(err.message).toContain(`${FILE}: github_repository: is required (expected string)`);
  });

  test("an HCL syntax error reports its line", async () => {
    const err = await problemsOf(`${MINIMAL}tags = {\n  a = \n`);
    expect(err.problems).toHaveLength(1);
    expect(err.message).toMatch(new RegExp(`^${FILE}:1[23]: HCL syntax error`));
  });

  test("a file name that is not an environment name", async () => {
    const err = await problemsOf(MINIMAL, "/cfg/Prod-EU.tfvars");
    expect(err.message).toContain('/cfg/Prod-EU.tfvars: the file name gives environment "Prod-EU"');
  });
});

describe("all problems at once", () => {
  test("one file with several problems reports every one in one error", async () => {
    const err = await problemsOf(withKeys('contaner_port = 1\nvpc_cidr = "10.0.0.1/16"\nhealthy_threshold = 11\ninitial_weights = { blue = 0, green = 0 }'));
    expect(err.problems.map((p) => p.key).sort()).toEqual(["contaner_port", "healthy_threshold", "initial_weights", "vpc_cidr"]);
  });

  test("every file's problems are reported together; an empty directory is named", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-"));
    fs.writeFileSync(path.join(dir, "dev.tfvars"), withKeys("container_port = 0"));
    fs.writeFileSync(path.join(dir, "prod.tfvars"), withKeys("region = 1"));
    const err = await loadAllEnvironmentConfigs(dir).catch((e: unknown) => e as ConfigError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(`${path.join(dir, "dev.tfvars")}:`);
    expect((err as ConfigError).message).toContain(`${path.join(dir, "prod.tfvars")}:`);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-empty-"));
    await expect(loadAllEnvironmentConfigs(empty)).rejects.toThrow(`${empty}: holds no <env>.tfvars file`);
  });
});
