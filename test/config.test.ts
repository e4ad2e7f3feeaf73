import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadAllEnvironmentConfigs, loadEnvironmentConfig, parseEnvironmentConfig, parseStateConfig } from "../lib/config";
import { configErrorOf } from "./support/config-error";
import { editLines, escapeRegExp, lineOfKey, MINIMAL_TFVARS } from "./support/tfvars-text";

/** Where the texts below pretend to live (parseEnvironmentConfig does not read the file). */
const FILE = "/srv/cfg/dev.tfvars";


/** The minimal valid dev tfvars text plus `extra` (editLines: replace in place, append from line 11, `-key` removes). */
const valid = (extra: string): string => editLines(MINIMAL_TFVARS, extra);


/** One line of `message` that starts with `prefix` and contains every fragment. */
function problemLine(prefix: string, fragments: readonly RegExp[]): RegExp {
  return new RegExp(`^${escapeRegExp(prefix)}${fragments.map((f) => `(?=.*${f.source})`).join("")}`, "m");
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-test-"));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the shipped config files", () => {
  const devFile = path.resolve("config/dev.tfvars");
  const prodFile = path.resolve("config/prod.tfvars");

  test("dev.tfvars loads with the development values", async () => {
    const dev = await loadEnvironmentConfig(devFile);
    expect(dev).toMatchObject({
      environment: "dev",
      sourceFile: devFile,
      serviceName: "webapp",
      region: "eu-west-1",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      natGatewayMode: "single",
      logRetentionInDays: 7,
      flowLogRetentionInDays: 7,
      deletionProtection: false,
      allowPlainHttp: true,
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      deregistrationDelaySeconds: 30,
      stopTimeoutSeconds: 45,
      desiredCount: { blue: 1, green: 1 },
      githubDeployRefs: ["refs/heads/main"],
      githubDeployEnvironments: [],
      githubSubjectPrefix: "repo:acme/webapp",
      tags: { team: "platform", cost_center: "1234" },
    });
    expect(dev.stopTimeoutSeconds).toBe(dev.deregistrationDelaySeconds + 15);
    expect(dev.certificateArn).toBeUndefined();
  });

  test("prod.tfvars loads with the production values", async () => {
    const prod = await loadEnvironmentConfig(prodFile);
    expect(prod).toMatchObject({
      environment: "prod",
      sourceFile: prodFile,
      availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
      natGatewayMode: "one_per_az",
      logRetentionInDays: 365,
      flowLogRetentionInDays: 365,
      deletionProtection: true,
      allowPlainHttp: false,
      healthCheckIntervalSeconds: 15,
      healthCheckTimeoutSeconds: 5,
      healthyThreshold: 3,
      unhealthyThreshold: 3,
      deregistrationDelaySeconds: 60,
      stopTimeoutSeconds: 75,
      desiredCount: { blue: 2, green: 2 },
      githubDeployRefs: [],
      githubDeployEnvironments: ["production"],
      githubSubjectPrefix: "repo:acme/webapp",
      tags: { team: "platform", cost_center: "1234" },
    });
    expect(prod.stopTimeoutSeconds).toBe(prod.deregistrationDelaySeconds + 15);
    expect(prod.certificateArn).toMatch(/^arn:aws:acm:eu-west-1:\d{12}:certificate\//);
  });

  test("loadAllEnvironmentConfigs reads both, in name order", async () => {
    const all = await loadAllEnvironmentConfigs(path.resolve("config"));
    expect(all.map((c) => c.environment)).toEqual(["dev", "prod"]);
  });

  test("the result is deeply frozen", async () => {
    const dev = await loadEnvironmentConfig(devFile);
    expect(Object.isFrozen(dev)).toBe(true);
    expect(Object.isFrozen(dev.imageTags)).toBe(true);
    expect(Object.isFrozen(dev.tags)).toBe(true);
    expect(Object.isFrozen(dev.availabilityZones)).toBe(true);
    expect(() => {
      (dev as { containerPort: number }).containerPort = 1;
    }).toThrow(TypeError);
    expect(() => {
      (dev.imageTags as { blue: string }).blue = "latest";
    }).toThrow(TypeError);
    expect(() => {
      (dev.tags as Record<string, string>).team = "other";
    }).toThrow(TypeError);
    expect(() => (dev.availabilityZones as string[]).push("eu-west-1c")).toThrow(TypeError);
    expect(dev.containerPort).toBe(8080);
    expect(dev.imageTags.blue).toBe("3f9c2a1");
  });
});

describe("defaults and overrides", () => {
  test("the minimal text is valid and gets the development defaults", async () => {
    const c = await parseEnvironmentConfig(FILE, valid(""));
    expect(c).toMatchObject({
      environment: "dev",
      natGatewayMode: "single",
      logRetentionInDays: 7,
      deletionProtection: false,
      healthCheckIntervalSeconds: 10,
      healthyThreshold: 2,
      deregistrationDelaySeconds: 30,
      stopTimeoutSeconds: 45,
      desiredCount: { blue: 1, green: 1 },
      autoscalingMinCapacity: 1,
      containerPort: 8080,
      testListenerPort: 8443,
      ingressCidrs: ["0.0.0.0/0"],
      initialWeights: { blue: 100, green: 0 },
      stickinessSeconds: 0,
      taskCpu: 256,
      taskMemoryMiB: 512,
      asgDesiredCapacity: 1,
      tags: {},
      secrets: [],
      githubDeployRefs: ["refs/heads/main"],
      githubDeployEnvironments: [],
      githubSubjectPrefix: "repo:acme/webapp",
      createGithubOidcProvider: true,
    });
  });

  test("an environment named prod gets the production defaults from the same text", async () => {
    const c = await parseEnvironmentConfig("/srv/cfg/prod.tfvars", valid(""));
    expect(c).toMatchObject({
      environment: "prod",
      natGatewayMode: "one_per_az",
      logRetentionInDays: 365,
      flowLogRetentionInDays: 365,
      deletionProtection: true,
      healthCheckIntervalSeconds: 15,
      healthyThreshold: 3,
      deregistrationDelaySeconds: 60,
      stopTimeoutSeconds: 75,
      desiredCount: { blue: 2, green: 2 },
      autoscalingMinCapacity: 2,
      githubDeployRefs: [],
      githubDeployEnvironments: ["production"],
    });
  });

  test("set keys override the defaults", async () => {
    const c = await parseEnvironmentConfig(
      FILE,
      valid(
        [
          'nat_gateway_mode = "one_per_az"',
          'github_subject_prefix = "repo:acme@123/webapp@456"',
          "stickiness_seconds = 300",
          "stop_timeout_seconds = 100",
          "initial_weights = { blue = 0, green = 100 }",
          'secrets = ["DATABASE_URL", "API_KEY"]',
          'tags = { owner = "team-a" }',
        ].join("\n"),
      ),
    );
    expect(c).toMatchObject({
      natGatewayMode: "one_per_az",
      githubSubjectPrefix: "repo:acme@123/webapp@456",
      stickinessSeconds: 300,
      stopTimeoutSeconds: 100,
      deregistrationDelaySeconds: 30,
      initialWeights: { blue: 0, green: 100 },
      secrets: ["DATABASE_URL", "API_KEY"],
      tags: { owner: "team-a" },
    });
  });
});

/**
 * [name, lines for valid() (replacing, adding, or `-key` removing), the problem's key, fragments
 * its message line must contain: the value given and what is allowed].
 */
const BAD: ReadonlyArray<readonly [string, string, string, readonly RegExp[]]> = [
  ["unknown key, with a suggestion", 'vpc_cdir = "10.10.0.0/16"', "vpc_cdir", [/unknown key/, /did you mean `vpc_cidr`\?/]],
  ["string for a number", 'container_port = "8080"', "container_port", [/given "8080"/, /expected number/]],
  ["number for a string", "region = 5", "region", [/given 5;/, /expected string/]],
  ["bool as a string", 'allow_plain_http = "true"', "allow_plain_http", [/given "true"/, /expected boolean/]],
  ["non-integer", "container_port = 80.5", "container_port", [/given 80\.5/, /expected a whole number/]],
  ["container_port above 65535", "container_port = 70000", "container_port", [/given 70000/, /must be <= 65535/]],
  ["healthy_threshold below 2", "healthy_threshold = 1", "healthy_threshold", [/given 1;/, /must be >= 2/]],
  ["interval above 300", "health_check_interval_seconds = 400", "health_check_interval_seconds", [/given 400/, /must be <= 300/]],
  ["stop timeout above ECS's 120", "stop_timeout_seconds = 121", "stop_timeout_seconds", [/given 121/, /must be <= 120/]],
  ["enum value not allowed", 'nat_gateway_mode = "double"', "nat_gateway_mode", [/given "double"/, /allowed: "single", "one_per_az"/]],
  ["malformed CIDR", 'vpc_cidr = "10.10.0/16"', "vpc_cidr", [/given "10\.10\.0\/16"/, /not an IPv4 CIDR like 10\.0\.0\.0\/16/]],
  ["non-canonical CIDR", 'vpc_cidr = "10.10.0.1/16"', "vpc_cidr", [/given "10\.10\.0\.1\/16"/, /not a network address/, /did you mean 10\.10\.0\.0\/16\?/]],
  ["VPC prefix /8", 'vpc_cidr = "10.0.0.0/8"', "vpc_cidr", [/given "10\.0\.0\.0\/8"/, /\/16 to \/28/]],
  ["malformed ingress CIDR", 'ingress_cidrs = ["10.0.0.0"]', "ingress_cidrs[0]", [/given "10\.0\.0\.0"/, /not an IPv4 CIDR like 10\.0\.0\.0\/16/]],
  ["subnet outside the VPC", 'public_subnet_cidrs = ["10.10.0.0/24", "10.11.1.0/24"]', "public_subnet_cidrs[1]", [/given "10\.11\.1\.0\/24"/, /outside vpc_cidr 10\.10\.0\.0\/16/]],
  ["overlapping subnets", 'private_subnet_cidrs = ["10.10.10.0/24", "10.10.0.0/23"]', "private_subnet_cidrs[1]", [/given "10\.10\.0\.0\/23"/, /overlaps public_subnet_cidrs\[0\] \(10\.10\.0\.0\/24\)/]],
  ["subnet smaller than /28", 'public_subnet_cidrs = ["10.10.0.0/24", "10.10.1.0/29"]', "public_subnet_cidrs[1]", [/given "10\.10\.1\.0\/29"/, /\/28 or larger/]],
  ["subnet count differs from the AZ count", 'public_subnet_cidrs = ["10.10.0.0/24"]', "public_subnet_cidrs", [/given 1 CIDRs \["10\.10\.0\.0\/24"\]/, /exactly one per availability zone \(2\)/]],
  ["one AZ only", 'availability_zones = ["eu-west-1a"]', "availability_zones", [/given \["eu-west-1a"\]/, /at least 2 entries/]],
  [
    "seven AZs",
    'availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d", "eu-west-1e", "eu-west-1f", "eu-west-1g"]',
    "availability_zones",
    [/given \["eu-west-1a",.*"eu-west-1g"\]/, /at most 6 entries/],
  ],
  ["duplicate AZs", 'availability_zones = ["eu-west-1a", "eu-west-1a"]', "availability_zones", [/given \["eu-west-1a","eu-west-1a"\]/, /each zone may appear once/]],
  ["AZ not in the region", 'availability_zones = ["eu-west-1a", "us-east-1b"]', "availability_zones", [/given "us-east-1b"/, /must be in region eu-west-1 \(e\.g\. eu-west-1a\)/]],
  ["bad region", 'region = "Europe"', "region", [/given "Europe"/, /an AWS region code such as eu-west-1/]],
  ["uppercase service_name", 'service_name = "WebApp"', "service_name", [/given "WebApp"/, /lowercase letters, digits and hyphens, starting and ending with a letter or digit/]],
  [
    "service_name too long for a 32-character target group name",
    'service_name = "a-really-long-service-name"',
    "service_name",
    [/given "a-really-long-service-name"/, /"a-really-long-service-name-dev-green" exceeds the 32-character limit/, /shorten it to 22 characters or fewer/],
  ],
  ["bad image tag", 'image_tags = { blue = "-bad", green = "3f9c2a1" }', "image_tags.blue", [/given "-bad"/, /a Docker tag: letters, digits, _ \. -/, /not starting with \. or -/]],
  ["image tag missing for a colour", 'image_tags = { blue = "3f9c2a1" }', "image_tags.green", [/is required/, /expected string/]],
  ["unknown colour in a per-colour value", 'image_tags = { blue = "3f9c2a1", green = "3f9c2a1", red = "3f9c2a1" }', "image_tags.red", [/unknown key/, /blue/, /green/]],
  ["invalid task_cpu", "task_cpu = 300", "task_cpu", [/given 300/, /allowed: 128, 256, 512, 1024, 2048, 4096, 8192, 16384/]],
  ["memory not fitting the cpu", "task_memory_mib = 4096", "task_memory_mib", [/given 4096/, /with task_cpu 256 it must be 512\.\.2048/]],
  ["log retention 8", "log_retention_in_days = 8", "log_retention_in_days", [/given 8;/, /allowed: 1, 3, 5, 7, 14, 30, 60/]],
  ["flow log retention 10", "flow_log_retention_in_days = 10", "flow_log_retention_in_days", [/given 10;/, /allowed: 1, 3, 5, 7, 14, 30, 60/]],
  ["alarm period 45", "alarm_period_seconds = 45", "alarm_period_seconds", [/given 45/, /allowed: 10, 20, 30 or a multiple of 60/]],
  ["timeout not below the interval", "health_check_timeout_seconds = 10", "health_check_timeout_seconds", [/given 10;/, /must be below health_check_interval_seconds \(10\)/]],
  [
    "stop timeout not above the deregistration delay",
    "stop_timeout_seconds = 30",
    "stop_timeout_seconds",
    [/stop timeout 30 s/, /must exceed deregistration_delay_seconds \(30 s\)/, /at most 120 s/],
  ],
  ["weights both 0", "initial_weights = { blue = 0, green = 0 }", "initial_weights", [/given \{"blue":0,"green":0\}/, /at least one colour needs a weight above 0/]],
  ["equal weights", "initial_weights = { blue = 50, green = 50 }", "initial_weights", [/given \{"blue":50,"green":50\}/, /equal weights leave no idle colour/]],
  ["weight above 999", "initial_weights = { blue = 1000, green = 0 }", "initial_weights.blue", [/given 1000/, /must be <= 999/]],
  ["desired count outside the autoscaling range", "desired_count = { blue = 9, green = 1 }", "desired_count.blue", [/given 9;/, /within autoscaling 1\.\.4/]],
  [
    "autoscaling min above max",
    "autoscaling_min_capacity = 5\nautoscaling_max_capacity = 3",
    "autoscaling_min_capacity",
    [/given 5;/, /must not exceed autoscaling_max_capacity \(3\)/],
  ],
  ["asg min above max", "asg_min_size = 5\nasg_max_size = 4", "asg_min_size", [/given 5;/, /must not exceed asg_max_size \(4\)/]],
  ["asg desired capacity outside min..max", "asg_desired_capacity = 9", "asg_desired_capacity", [/given 9;/, /within asg_min_size\.\.asg_max_size \(1\.\.4\)/]],
  ["test listener on 443", "test_listener_port = 443", "test_listener_port", [/given 443/, /must differ from the production ports 80 and 443/]],
  [
    "test listener open to the internet",
    'test_listener_cidrs = ["0.0.0.0/0"]',
    "test_listener_cidrs[0]",
    [/given "0\.0\.0\.0\/0"/, /must not be open to the internet/, /list your office\/VPN ranges/],
  ],
  ["domain without hosted zone", 'domain_name = "app.example.com"', "hosted_zone_id", [/given nothing/, /required with domain_name "app\.example\.com"/]],
  ["hosted zone without domain", 'hosted_zone_id = "Z0123456789ABC"', "domain_name", [/given nothing/, /required with hosted_zone_id "Z0123456789ABC"/]],
  [
    "certificate ARN together with a domain",
    'domain_name = "app.example.com"\nhosted_zone_id = "Z0123456789ABC"\ncertificate_arn = "arn:aws:acm:eu-west-1:111111111111:certificate/abc"',
    "certificate_arn",
    [/given together with domain_name/, /set one/],
  ],
  [
    "malformed certificate ARN",
    'certificate_arn = "arn:aws:acm:certificate"',
    "certificate_arn",
    [/given "arn:aws:acm:certificate"/, /an ACM certificate ARN \(arn:aws:acm:<region>:<account>:certificate\/<id>\)/],
  ],
  ["TLS policy below 1.2", 'tls_policy = "ELBSecurityPolicy-2016-08"', "tls_policy", [/given "ELBSecurityPolicy-2016-08"/, /TLS 1\.2 or 1\.3 as the minimum/]],
  ["no certificate and no allow_plain_http", "-allow_plain_http", "certificate_arn", [/given nothing/, /would serve plain HTTP/, /allow_plain_http = true/]],
  [
    "existing OIDC provider without its ARN",
    "create_github_oidc_provider = false",
    "github_oidc_provider_arn",
    [/given nothing/, /required when create_github_oidc_provider = false/],
  ],
  [
    "malformed OIDC provider ARN",
    'github_oidc_provider_arn = "arn:aws:iam::1:oidc"',
    "github_oidc_provider_arn",
    [/given "arn:aws:iam::1:oidc"/, /arn:aws:iam::<account>:oidc-provider\/token\.actions\.githubusercontent\.com/],
  ],
  ["github_repository without a slash", 'github_repository = "webapp"', "github_repository", [/given "webapp"/, /owner\/repo, e\.g\. acme\/webapp/]],
  ["subject prefix with *", 'github_subject_prefix = "repo:acme/*"', "github_subject_prefix", [/given "repo:acme\/\*"/, /starting with "repo:" with no \* or \?/]],
  ["deploy ref with a wildcard", 'github_deploy_refs = ["refs/heads/*"]', "github_deploy_refs[0]", [/given "refs\/heads\/\*"/, /an exact ref such as refs\/heads\/main, no \* or \?/]],
  ["deploy environment with a space", 'github_deploy_environments = ["prod env"]', "github_deploy_environments[0]", [/given "prod env"/, /no \* \? : or spaces/]],
  ["no deploy refs nor environments", "github_deploy_refs = []", "github_deploy_refs", [/given none/, /no github_deploy_environments either/, /at least one ref or environment/]],
  ["tag key with the aws: prefix", 'tags = { "aws:owner" = "me" }', "tags.aws:owner", [/the aws: prefix is reserved by AWS/]],
  ["tag value not a string", "tags = { team = 5 }", "tags.team", [/given 5;/, /expected string/]],
  ["duplicate secrets", 'secrets = ["DATABASE_URL", "DATABASE_URL"]', "secrets", [/given \["DATABASE_URL","DATABASE_URL"\]/, /each name may appear once/]],
  ["bad secret name", 'secrets = ["database-url"]', "secrets[0]", [/given "database-url"/, /an environment variable name \(A-Z, 0-9, _\)/]],
  ["missing required key", "-github_repository", "github_repository", [/is required/, /expected string/]],
];

describe("bad input: the problem names the file, line, key, the value given and what is allowed", () => {
  test("the table covers enough distinct inputs", () => {
    expect(new Set(BAD.map(([, edit]) => edit)).size).toBe(BAD.length);
    expect(BAD.length).toBeGreaterThanOrEqual(32);
  });

  test.each(BAD)("%s", async (_name, edit, key, fragments) => {
    const text = valid(edit);
    const err = await configErrorOf(parseEnvironmentConfig(FILE, text));
    expect(err.file).toBe(FILE);
    const line = lineOfKey(text, key);
    expect(err.problems).toContainEqual(expect.objectContaining({ key, line }));
    const prefix = line === undefined ? `${FILE}: ${key}: ` : `${FILE}:${line}: ${key}: `;
    expect(err.message).toMatch(problemLine(prefix, fragments));
  });

  test("the line numbers are those of the file", async () => {
    const err = await configErrorOf(parseEnvironmentConfig(FILE, valid('region = "Europe"\ncontainer_port = 0')));
    expect(err.message).toMatch(/^\/srv\/cfg\/dev\.tfvars:2: region: given "Europe"/m);
    expect(err.message).toMatch(/^\/srv\/cfg\/dev\.tfvars:11: container_port: given 0; must be >= 1/m);
  });

  test.each([
    ["an unclosed object", `${valid("")}tags = {\n  team = \n`, 12, /Invalid expression/],
    ["an unclosed list", `${MINIMAL_TFVARS.slice(0, 2).join("\n")}\navailability_zones = ["eu-west-1a", "eu-west-1b"\n`, 3, /Unterminated tuple/],
  ])("an HCL syntax error (%s) reports its line", async (_name, text, line, fragment) => {
    const err = await configErrorOf(parseEnvironmentConfig(FILE, text));
    expect(err.problems).toEqual([expect.objectContaining({ key: "", line })]);
    expect(err.message).toMatch(problemLine(`${FILE}:${line}: HCL syntax error at column `, [fragment]));
  });

  test.each(["Prod-EU", "development", "1st"])("a file name that is no environment name (%s.tfvars)", async (env) => {
    const file = `/srv/cfg/${env}.tfvars`;
    const err = await configErrorOf(parseEnvironmentConfig(file, valid("")));
    expect(err.file).toBe(file);
    expect(err.message).toMatch(problemLine(`${file}: `, [new RegExp(`the file name gives environment "${env}"`), /1-10 lowercase letters or digits, starting with a letter/]));
  });

  test("a file that cannot be read", async () => {
    const file = path.join(tmpDir(), "qa.tfvars");
    const err = await configErrorOf(loadEnvironmentConfig(file));
    expect(err.message).toMatch(problemLine(`${file}: `, [/cannot be read \(ENOENT\)/]));
  });
});

describe("every problem at once", () => {
  test("one file with several problems reports all of them in one error", async () => {
    const text = valid('contaner_port = 1\nvpc_cidr = "10.10.0.1/16"\nhealthy_threshold = 11\ninitial_weights = { blue = 0, green = 0 }');
    const err = await configErrorOf(parseEnvironmentConfig(FILE, text));
    expect(err.problems.length).toBeGreaterThanOrEqual(3);
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: "contaner_port", line: 11 }),
        expect.objectContaining({ key: "vpc_cidr", line: 4 }),
        expect.objectContaining({ key: "healthy_threshold", line: 12 }),
        expect.objectContaining({ key: "initial_weights", line: 13 }),
      ]),
    );
    expect(err.message.split("\n")).toHaveLength(err.problems.length);
    expect(err.message).toMatch(problemLine(`${FILE}:11: contaner_port: `, [/did you mean `container_port`\?/]));
    expect(err.message).toMatch(problemLine(`${FILE}:4: vpc_cidr: `, [/did you mean 10\.10\.0\.0\/16\?/]));
    expect(err.message).toMatch(problemLine(`${FILE}:12: healthy_threshold: `, [/given 11/, /must be <= 10/]));
    expect(err.message).toMatch(problemLine(`${FILE}:13: initial_weights: `, [/at least one colour needs a weight above 0/]));
  });

  test("a service_name too long for target group names is reported alongside other problems", async () => {
    const text = valid('service_name = "a-really-long-service-name"\ncontainer_port = 0');
    const err = await configErrorOf(parseEnvironmentConfig(FILE, text));
    expect(err.problems.map((p) => p.key)).toEqual(expect.arrayContaining(["service_name", "container_port"]));
  });

  test("loadAllEnvironmentConfigs reports the problems of every file in one error", async () => {
    const dir = tmpDir();
    const devFile = path.join(dir, "dev.tfvars");
    const prodFile = path.join(dir, "prod.tfvars");
    fs.writeFileSync(devFile, valid("container_port = 0"));
    fs.writeFileSync(prodFile, valid('region = 1\nvpc_cidr = "10.10.0/16"'));
    fs.writeFileSync(path.join(dir, "README.md"), "not a tfvars file\n");
    const err = await configErrorOf(loadAllEnvironmentConfigs(dir));
    expect(err.file).toBe(dir);
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: devFile, key: "container_port", line: 11 }),
        expect.objectContaining({ file: prodFile, key: "region", line: 2 }),
        expect.objectContaining({ file: prodFile, key: "vpc_cidr", line: 4 }),
      ]),
    );
    expect(err.message).toMatch(problemLine(`${devFile}:11: container_port: `, [/given 0;/, /must be >= 1/]));
    expect(err.message).toMatch(problemLine(`${prodFile}:2: region: `, [/given 1;/, /expected string/]));
    expect(err.message).toMatch(problemLine(`${prodFile}:4: vpc_cidr: `, [/given "10\.10\.0\/16"/, /not an IPv4 CIDR/]));
  });

  test("loadAllEnvironmentConfigs on a directory without tfvars files names the directory", async () => {
    const dir = tmpDir();
    const err = await configErrorOf(loadAllEnvironmentConfigs(dir));
    expect(err.file).toBe(dir);
    expect(err.message).toBe(`${dir}: holds no <env>.tfvars file; add config/dev.tfvars`);
    fs.writeFileSync(path.join(dir, "notes.txt"), "dev settings\n");
    await expect(loadAllEnvironmentConfigs(dir)).rejects.toThrow(`${dir}: holds no <env>.tfvars file`);
  });
});

describe("policy_exceptions", () => {
  const EXCEPTIONS = [
    "policy_exceptions = {", // 11
    '  "LB-INTERNET-FACING" = {', // 12
    '    reason    = "The load balancer is the public entry point."', // 13
    '    resources = ["aws_lb.alb_*"]', // 14
    "  }", // 15
    '  "IAM-NO-UNSCOPED-WRITE" = {', // 16
    '    reason    = "No resource-level permission for this action."', // 17
    '    resources = ["aws_iam_role_policy.github_deploy-policy_*#EcsDeregisterTaskDefinition"]', // 18
    "  }", // 19
    "}", // 20
  ];
  // Appended after the minimal text as written (valid() would merge the repeated "}" lines).
  const withExceptions = (lines: readonly string[]) => `${MINIMAL_TFVARS.join("\n")}\n${lines.join("\n")}\n`;

  test("default to none: every finding fails synth", async () => {
    expect((await parseEnvironmentConfig(FILE, valid(""))).policyExceptions).toEqual([]);
  });

  test("are read as a list, one per rule id, frozen", async () => {
    const c = await parseEnvironmentConfig(FILE, withExceptions(EXCEPTIONS));
    expect([...c.policyExceptions].sort((a, b) => a.rule.localeCompare(b.rule))).toEqual([
      { rule: "IAM-NO-UNSCOPED-WRITE", reason: "No resource-level permission for this action.", resources: ["aws_iam_role_policy.github_deploy-policy_*#EcsDeregisterTaskDefinition"] },
      { rule: "LB-INTERNET-FACING", reason: "The load balancer is the public entry point.", resources: ["aws_lb.alb_*"] },
    ]);
    expect(Object.isFrozen(c.policyExceptions[0])).toBe(true);
    expect(Object.isFrozen(c.policyExceptions[0].resources)).toBe(true);
  });

  test("an entry without resources covers the whole rule", async () => {
    const c = await parseEnvironmentConfig(FILE, valid('policy_exceptions = { "LB-WAF" = { reason = "No WAF web ACL is managed yet." } }'));
    expect(c.policyExceptions).toEqual([{ rule: "LB-WAF", reason: "No WAF web ACL is managed yet." }]);
  });

  test.each<[string, (lines: string[]) => string[], string, number, readonly RegExp[]]>([
    [
      "an unknown rule id, with a suggestion and the allowed ids",
      (l) => l.map((x) => x.replace('"LB-INTERNET-FACING"', '"LB-INTERNET-FACNG"')),
      "policy_exceptions.LB-INTERNET-FACNG",
      12,
      [/given rule "LB-INTERNET-FACNG", which is no rule of the policy pack/, /did you mean "LB-INTERNET-FACING"\?/, /Allowed: LB-ACCESS-LOGS, .*, DDB-PITR/],
    ],
    ["an empty reason", (l) => l.map((x) => x.replace('"No resource-level permission for this action."', '""')), "policy_exceptions.IAM-NO-UNSCOPED-WRITE.reason", 17, [/given ""/, /needs a reason of at least 12 characters/]],
    ["a reason that says nothing", (l) => l.map((x) => x.replace('"The load balancer is the public entry point."', '"ok"')), "policy_exceptions.LB-INTERNET-FACING.reason", 13, [/given "ok"/, /needs a reason/]],
    ["a missing reason", (l) => l.filter((x) => !x.includes("No resource-level")), "policy_exceptions.IAM-NO-UNSCOPED-WRITE.reason", 16, [/is required \(expected string\)/]],
    ["a reason that is not a string", (l) => l.map((x) => x.replace('"The load balancer is the public entry point."', "true")), "policy_exceptions.LB-INTERNET-FACING.reason", 13, [/given true; expected string/]],
    ["an unknown key in an entry", (l) => l.map((x) => x.replace("    resources = [\"aws_lb.alb_*\"]", '    resource = ["aws_lb.alb_*"]')), "policy_exceptions.LB-INTERNET-FACING.resource", 14, [/unknown key; allowed: reason, resources/]],
    ["a pattern that is no Terraform address", (l) => l.map((x) => x.replace('["aws_lb.alb_*"]', '["the load balancer"]')), "policy_exceptions.LB-INTERNET-FACING.resources[0]", 14, [/given "the load balancer"/, /a Terraform address or glob such as "aws_lb\.\*"/]],
    ["an empty resources list", (l) => l.map((x) => x.replace('["aws_lb.alb_*"]', "[]")), "policy_exceptions.LB-INTERNET-FACING.resources", 14, [/given \[\]; needs at least 1 entries/]],
  ])("%s is refused, naming the file, line and key", async (_name, edit, key, line, fragments) => {
    const err = await configErrorOf(parseEnvironmentConfig(FILE, withExceptions(edit([...EXCEPTIONS]))));
    expect(err.problems).toContainEqual(expect.objectContaining({ key, line }));
    expect(err.message).toMatch(problemLine(`${FILE}:${line}: ${key}: `, fragments));
  });

  test("the shipped files carry exceptions with known rule ids and real reasons", async () => {
    const all = await loadAllEnvironmentConfigs(path.resolve("config"));
    for (const c of all) {
      expect(c.policyExceptions.length).toBeGreaterThan(0);
      for (const e of c.policyExceptions) expect(e.reason.length).toBeGreaterThanOrEqual(12);
    }
  });

  test("config/state.hcl takes the same key, validated the same way", async () => {
    const base = 'bucket = "acme-webapp-terraform-state"\nregion = "eu-west-1"\n';
    const ok = await parseStateConfig("/srv/cfg/state.hcl", `${base}policy_exceptions = { "S3-ACCESS-LOGGING" = { reason = "Logged by CloudTrail data events.", resources = ["aws_s3_bucket.bucket"] } }\n`);
    expect(ok.policyExceptions).toEqual([{ rule: "S3-ACCESS-LOGGING", reason: "Logged by CloudTrail data events.", resources: ["aws_s3_bucket.bucket"] }]);
    expect((await parseStateConfig("/srv/cfg/state.hcl", base)).policyExceptions).toEqual([]);
    const err = await configErrorOf(parseStateConfig("/srv/cfg/state.hcl", `${base}policy_exceptions = { "S3-LOGGING" = { reason = "Logged by CloudTrail data events." } }\n`));
    expect(err.message).toMatch(problemLine("/srv/cfg/state.hcl:3: policy_exceptions.S3-LOGGING: ", [/given rule "S3-LOGGING"/, /Allowed: /]));
  });
});
