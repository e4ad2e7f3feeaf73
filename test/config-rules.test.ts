/**
 * Bad input through the whole synthesis (lib/synth.ts, what main.ts runs), one config directory
 * per case: each problem names the file, line, key, the value given and what is allowed, and no
 * stack file is written. Covers the rules that used to live only in constructs, the AWS limits,
 * the backend and state files, and the parser's limits.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigBug, ConfigError } from "../lib/config";
import { synthesizeProject, type ProjectStacks } from "../lib/synth";
import { ServiceStack } from "../stacks/service-stack";
import { editLines, escapeRegExp, lineOfKey, MINIMAL_TFVARS } from "./support/tfvars-text";
import { STATE_STACK_ID, StateBackendStack } from "../stacks/state-backend-stack";

const STACKS: ProjectStacks = {
  state: (app, config) => new StateBackendStack(app, STATE_STACK_ID, { config }),
  environment: (app, config) => new ServiceStack(app, config.environment, { config }),
};



const tfvars = (extra: string) => editLines(MINIMAL_TFVARS, extra);
const BACKEND = ['bucket = "acme-webapp-terraform-state"', 'key = "webapp/dev/terraform.tfstate"', 'region = "eu-west-1"', "use_lockfile = true"];
const backend = (extra: string) => editLines(BACKEND, extra);
const STATE = ['bucket = "acme-webapp-terraform-state"', 'region = "eu-west-1"'];
const state = (extra: string) => editLines(STATE, extra);


const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the synthesis on `files` (config/<name> = text); returns the error and where the output would be. */
async function synthesize(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-rules-"));
  tmpDirs.push(dir);
  fs.mkdirSync(path.join(dir, "config"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, "config", name), text);
  const outdir = path.join(dir, "cdktf.out");
  const error = await synthesizeProject({ configDir: path.join(dir, "config"), outdir, stacks: STACKS }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { dir, outdir, error, file: (name: string) => path.join(dir, "config", name) };
}

/** Nothing at all was written: no output directory, no staging directory beside it. */
function expectNothingWritten(dir: string, outdir: string): void {
  expect(fs.existsSync(outdir)).toBe(false);
  expect(fs.readdirSync(dir).sort()).toEqual(["config"]);
}

type Case = readonly [name: string, file: "dev.tfvars" | "backend-dev.hcl" | "state.hcl", text: string, key: string, fragments: readonly RegExp[]];

const T = (name: string, extra: string, key: string, fragments: readonly RegExp[]): Case => [name, "dev.tfvars", tfvars(extra), key, fragments];
const B = (name: string, extra: string, key: string, fragments: readonly RegExp[]): Case => [name, "backend-dev.hcl", backend(extra), key, fragments];
const S = (name: string, extra: string, key: string, fragments: readonly RegExp[]): Case => [name, "state.hcl", state(extra), key, fragments];

const manyTags = `tags = { ${Array.from({ length: 35 }, (_, i) => `t${i} = "v"`).join(", ")} }`;
const FOUR_AZS = [
  'availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]',
  'public_subnet_cidrs = ["10.10.0.0/24", "10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24"]',
  'private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24", "10.10.12.0/24", "10.10.13.0/24"]',
].join("\n");

const CASES: readonly Case[] = [
  // ---- checks that used to live only in constructs --------------------------------------------
  T("service_name 'internal' (ALB names)", 'service_name = "internal"', "service_name", [/given "internal"/, /refuses load balancer names starting with "internal-"/]),
  T("service_name starting with aws", 'service_name = "awsome"', "service_name", [/given "awsome"/, /ECS refuses names starting with "aws", "ecs" or "fargate"/]),
  T("service_name starting with ecs", 'service_name = "ecsweb"', "service_name", [/given "ecsweb"/, /starting with "aws", "ecs" or "fargate"/]),
  T("service_name starting with fargate", 'service_name = "fargateapp"', "service_name", [/given "fargateapp"/, /starting with "aws", "ecs" or "fargate"/]),
  T("service_name with a double hyphen", 'service_name = "web--app"', "service_name", [/given "web--app"/, /no "--": use single hyphens/]),
  T("service_name ending with a hyphen", 'service_name = "web-"', "service_name", [/given "web-"/, /starting and ending with a letter or digit/]),
  T("service_name starting with a hyphen", 'service_name = "-web"', "service_name", [/given "-web"/, /starting and ending with a letter or digit/]),
  T("empty service_name", 'service_name = ""', "service_name", [/given ""/, /lowercase letters, digits and hyphens/]),
  T("service_name with an underscore", 'service_name = "web_app"', "service_name", [/given "web_app"/, /lowercase letters, digits and hyphens/]),
  T(
    "autoscaling maximum the Auto Scaling group cannot hold",
    "autoscaling_max_capacity = 5",
    "autoscaling_max_capacity",
    [/given 5;/, /need 10 task ENIs/, /asg_max_size 4 x t3\.small \(2 task ENIs each/, /holds 8/, /Raise asg_max_size to 5/],
  ),
  T("autoscaling maximum beyond a small group", "asg_max_size = 1\nautoscaling_max_capacity = 2", "autoscaling_max_capacity", [/given 2;/, /holds 2/, /lower autoscaling_max_capacity to 1/]),
  T("instance type outside the table", 'instance_type = "t2.micro"', "instance_type", [/given "t2\.micro"/, /not in the instance table/, /allowed: t3\.nano, t3\.micro/]),
  T("instance type with a typo", 'instance_type = "t3.smal"', "instance_type", [/given "t3\.smal"/, /did you mean "t3\.small"\?/]),
  T("instance size outside the table", 'instance_type = "m5.24xlarge"', "instance_type", [/given "m5\.24xlarge"/, /allowed: .*m5\.4xlarge/]),
  T("duplicate ingress CIDRs", 'ingress_cidrs = ["198.51.100.0/24", "198.51.100.0/24"]', "ingress_cidrs[1]", [/given "198\.51\.100\.0\/24"/, /the same range as ingress_cidrs\[0\]/, /list each range once/]),
  T("duplicate test listener CIDRs", 'test_listener_cidrs = ["203.0.113.0/24", "203.0.113.0/24"]', "test_listener_cidrs[1]", [/given "203\.0\.113\.0\/24"/, /the same range as test_listener_cidrs\[0\]/]),
  T("github_repository acme/..", 'github_repository = "acme/.."', "github_repository", [/given "acme\/\.\."/, /"\.\." is no repository name/]),
  T("github_repository acme/.", 'github_repository = "acme/."', "github_repository", [/given "acme\/\."/, /"\." is no repository name/]),
  T("github_repository owner starting with a hyphen", 'github_repository = "-acme/webapp"', "github_repository", [/given "-acme\/webapp"/, /owner must be letters, digits and inner hyphens/]),
  T("github_repository owner ending with a hyphen", 'github_repository = "acme-/webapp"', "github_repository", [/given "acme-\/webapp"/, /owner must be letters, digits and inner hyphens/]),
  T("github_repository with two slashes", 'github_repository = "acme/web/app"', "github_repository", [/given "acme\/web\/app"/, /owner\/repo, e\.g\. acme\/webapp/]),
  T("subject prefix naming another repository", 'github_subject_prefix = "repo:other/webapp"', "github_subject_prefix", [/given "repo:other\/webapp"/, /names other\/webapp/, /must name github_repository "acme\/webapp"/]),
  T(
    "subject prefix with a suffix",
    'github_subject_prefix = "repo:acme/webapp:ref:refs/heads/main"',
    "github_subject_prefix",
    [/given "repo:acme\/webapp:ref:refs\/heads\/main"/, /exactly "repo:OWNER\/REPO" or "repo:OWNER@OWNER_ID\/REPO@REPO_ID", nothing after it/],
  ),
  T("subject prefix with a bad id", 'github_subject_prefix = "repo:acme@x/webapp"', "github_subject_prefix", [/given "repo:acme@x\/webapp"/, /exactly "repo:OWNER\/REPO"/]),
  T("plan subject foo", 'github_plan_subjects = ["foo"]', "github_plan_subjects[0]", [/given "foo"/, /"pull_request", "ref:refs\/heads\/NAME" or "environment:NAME"/]),
  T("no plan subjects", "github_plan_subjects = []", "github_plan_subjects", [/given \[\]/, /needs at least 1 entries/]),
  T("plan subject with a wildcard", 'github_plan_subjects = ["ref:refs/heads/*"]', "github_plan_subjects[0]", [/given "ref:refs\/heads\/\*"/, /no \* or \?/]),
  T("deploy ref with a colon", 'github_deploy_refs = ["refs/heads/a:b"]', "github_deploy_refs[0]", [/given "refs\/heads\/a:b"/, /refs\/heads\/ or refs\/tags\/, then letters, digits, \. _ \/ -/]),
  T("deploy ref outside heads and tags", 'github_deploy_refs = ["refs/remotes/main"]', "github_deploy_refs[0]", [/given "refs\/remotes\/main"/, /an exact ref such as refs\/heads\/main/]),
  T("deploy environment with a colon", 'github_deploy_environments = ["prod:eu"]', "github_deploy_environments[0]", [/given "prod:eu"/, /no \* \? : or spaces/]),
  T(
    "OIDC provider ARN while creating the provider",
    'github_oidc_provider_arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"',
    "github_oidc_provider_arn",
    [/given "arn:aws:iam::111111111111:oidc-provider\/token\.actions\.githubusercontent\.com" with create_github_oidc_provider = true/, /set create_github_oidc_provider = false/],
  ),
  T(
    "OIDC provider ARN of another partition",
    'create_github_oidc_provider = false\ngithub_oidc_provider_arn = "arn:aws-cn:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"',
    "github_oidc_provider_arn",
    [/given "arn:aws-cn:iam::/, /the aws partition \(arn:aws:\.\.\.\)/],
  ),
  T(
    "certificate of another account than aws_account_id",
    'aws_account_id = "222222222222"\ncertificate_arn = "arn:aws:acm:eu-west-1:111111111111:certificate/abc"',
    "certificate_arn",
    [/given "arn:aws:acm:eu-west-1:111111111111:certificate\/abc", of account 111111111111/, /aws_account_id is 222222222222/, /its own account/],
  ),
  T(
    "OIDC provider of another account than aws_account_id",
    'aws_account_id = "222222222222"\ncreate_github_oidc_provider = false\ngithub_oidc_provider_arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"',
    "github_oidc_provider_arn",
    [/of account 111111111111; aws_account_id is 222222222222/, /trust an OIDC provider of their own account/],
  ),
  T("secret named like the reserved COLOR", 'secrets = ["COLOR"]', "secrets[0]", [/given "COLOR"/, /set by the stack itself/, /choose another name/]),
  T("secret among others named COLOR", 'secrets = ["API_KEY", "COLOR"]', "secrets[1]", [/given "COLOR"/, /set by the stack itself/]),
  T("lowercase secret name", 'secrets = ["api_key"]', "secrets[0]", [/given "api_key"/, /an environment variable name \(A-Z, 0-9, _\)/]),

  // ---- tags ---------------------------------------------------------------------------------------
  T("tag key outside IAM's characters", 'tags = { "team!" = "a" }', "tags.team!", [/given key "team!"/, /only letters, digits, spaces and _ \. : \/ = \+ - @/]),
  T("tag value outside IAM's characters", 'tags = { team = "a#b" }', "tags.team", [/given value "a#b"/, /only letters, digits, spaces and _ \. : \/ = \+ - @/]),
  T("tag value with an expression", 'tags = { team = "${path.cwd}" }', "tags.team", [/given value "\$\{path\.cwd\}"/, /only letters, digits, spaces/]),
  T("tag value with a directive", 'tags = { team = "%{if true}x%{endif}" }', "tags.team", [/given value "%\{if true\}x%\{endif\}"/, /only letters, digits, spaces/]),
  T("tag keys differing only in case", 'tags = { Team = "a", team = "b" }', "tags.team", [/given "team", the same key as "Team"/, /case-insensitive/]),
  T("tag key the stack sets (Service)", 'tags = { service = "x" }', "tags.service", [/given "service", which the stack sets itself \(Service, Environment, ManagedBy, Stack\)/]),
  T("tag key the stack sets (STACK)", 'tags = { STACK = "x" }', "tags.STACK", [/given "STACK", which the stack sets itself/]),
  T("tag key the stack sets (Environment)", 'tags = { Environment = "x" }', "tags.Environment", [/given "Environment", which the stack sets itself/]),
  T("more than 50 tags with the stack's own and ecs-shift's journal on the weighted rule", manyTags, "tags", [/given 35 tags/, /the stack's own 4 \(Service, Environment, ManagedBy, Stack\) and the 12 of ecs-shift's shift journal and lease on the weighted rule that is 51/, /at most 50 per resource: keep at most 34/]),
  T("tag key in ecs-shift's journal prefix (any case)", 'tags = { "ECS-Shift:state" = "x" }', "tags.ECS-Shift:state", [/given "ECS-Shift:state"; the ecs-shift: prefix is reserved for ecs-shift's shift journal and lease/]),
  T("tag key longer than 128", `tags = { ${"k".repeat(129)} = "v" }`, `tags.${"k".repeat(129)}`, [/key length 129; allowed 1\.\.128/]),
  T("tag value longer than 256", `tags = { team = "${"v".repeat(257)}" }`, "tags.team", [/value length 257; allowed 0\.\.256/]),
  T("tag with the aws: prefix (any case)", 'tags = { "AWS:team" = "x" }', "tags.AWS:team", [/the aws: prefix is reserved by AWS/]),
  T("tag value not a string (list)", 'tags = { team = ["a"] }', "tags.team", [/given \["a"\]/, /expected string/]),

  // ---- regions and zones ---------------------------------------------------------------------------
  T("region that does not exist", 'region = "eu-west-9"\navailability_zones = ["eu-west-9a", "eu-west-9b"]', "region", [/given "eu-west-9", which is no AWS region/, /did you mean "eu-west-\d"\?/, /Known: us-east-1/]),
  T("region of the China partition", 'region = "cn-north-1"\navailability_zones = ["cn-north-1a", "cn-north-1b"]', "region", [/given "cn-north-1", a region of the aws-cn partition/, /only regions of the aws partition/]),
  T("region of GovCloud", 'region = "us-gov-west-1"\navailability_zones = ["us-gov-west-1a", "us-gov-west-1b"]', "region", [/given "us-gov-west-1", a region of the aws-us-gov partition/]),
  T("region in capitals", 'region = "EU-WEST-1"', "region", [/given "EU-WEST-1", which is no AWS region/, /an AWS region code such as eu-west-1/]),
  T("region as a number", "region = 1", "region", [/given 1;/, /expected string/]),
  T("region with regular expression characters", 'region = "eu-(west"', "region", [/given "eu-\(west", which is no AWS region/]),
  T("more zones than the region has", FOUR_AZS, "availability_zones", [/given 4 zones/, /eu-west-1 has 3/]),
  T("zone without its letter", 'availability_zones = ["eu-west-1", "eu-west-1b"]', "availability_zones", [/given "eu-west-1"/, /zones must be in region eu-west-1/]),
  T("zone with two letters", 'availability_zones = ["eu-west-1aa", "eu-west-1b"]', "availability_zones", [/given "eu-west-1aa"/, /zones must be in region eu-west-1/]),
  T("zone of a region with the same prefix", 'availability_zones = ["eu-west-1a", "eu-west-12b"]', "availability_zones", [/given "eu-west-12b"/, /zones must be in region eu-west-1/]),
  T("zones not a list", 'availability_zones = "eu-west-1a"', "availability_zones", [/given "eu-west-1a"/, /expected array/]),

  // ---- CIDRs -----------------------------------------------------------------------------------------
  T("VPC CIDR with a leading zero", 'vpc_cidr = "010.10.0.0/16"', "vpc_cidr", [/given "010\.10\.0\.0\/16"/, /leading zero/, /write 10\.10\.0\.0\/16/]),
  T("ingress CIDR with a leading zero", 'ingress_cidrs = ["01.2.3.0/24"]', "ingress_cidrs[0]", [/given "01\.2\.3\.0\/24"/, /leading zero/, /write 1\.2\.3\.0\/24/]),
  T("prefix length with a leading zero", 'test_listener_cidrs = ["203.0.113.0/024"]', "test_listener_cidrs[0]", [/given "203\.0\.113\.0\/024"/, /leading zero/, /write 203\.0\.113\.0\/24/]),
  T("subnet CIDR with a leading zero", 'public_subnet_cidrs = ["10.10.0.0/24", "10.10.001.0/24"]', "public_subnet_cidrs[1]", [/given "10\.10\.001\.0\/24"/, /leading zero/]),
  T("IPv6 ingress", 'ingress_cidrs = ["::/0"]', "ingress_cidrs[0]", [/given "::\/0"/, /IPv6 range; the stacks are IPv4-only/, /list IPv4 CIDRs like 10\.0\.0\.0\/16/]),
  T("IPv6 test listener range", 'test_listener_cidrs = ["2001:db8::/32"]', "test_listener_cidrs[0]", [/given "2001:db8::\/32"/, /IPv4-only/]),
  T("IPv6 VPC", 'vpc_cidr = "fd00::/8"', "vpc_cidr", [/given "fd00::\/8"/, /IPv4-only/]),
  T("octet above 255", 'ingress_cidrs = ["256.0.0.0/8"]', "ingress_cidrs[0]", [/given "256\.0\.0\.0\/8"/, /octet above 255/]),
  T("prefix above 32", 'ingress_cidrs = ["10.0.0.0/33"]', "ingress_cidrs[0]", [/given "10\.0\.0\.0\/33"/, /prefix length above 32/]),
  T("VPC prefix /12", 'vpc_cidr = "10.0.0.0/12"', "vpc_cidr", [/given "10\.0\.0\.0\/12"/, /\/16 to \/28/]),
  T("no ingress CIDRs", "ingress_cidrs = []", "ingress_cidrs", [/given \[\]/, /needs at least 1 entries/]),
  T("no test listener CIDRs", "test_listener_cidrs = []", "test_listener_cidrs", [/given \[\]/, /needs at least 1 entries/]),
  T(
    "test listener ranges that together cover the internet",
    'test_listener_cidrs = ["0.0.0.0/1", "128.0.0.0/1"]',
    "test_listener_cidrs",
    [/given \["0\.0\.0\.0\/1","128\.0\.0\.0\/1"\], which together cover the whole internet \(0\.0\.0\.0\/0\)/],
  ),
  T("test listener range broader than /16", 'test_listener_cidrs = ["10.0.0.0/8"]', "test_listener_cidrs[0]", [/given "10\.0\.0\.0\/8" \(16777216 addresses\)/, /at most \/16 broad \(65536 addresses\)/]),
  T("test listener range /15", 'test_listener_cidrs = ["198.18.0.0/15"]', "test_listener_cidrs[0]", [/given "198\.18\.0\.0\/15"/, /at most \/16 broad/]),
  T("test listener port 80", "test_listener_port = 80", "test_listener_port", [/given 80;/, /must differ from the production ports 80 and 443/]),

  // ---- TLS, certificates, health checks ------------------------------------------------------------
  T("TLS policy name with a suffix (no end anchor before)", 'tls_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06-extra"', "tls_policy", [/given "ELBSecurityPolicy-TLS13-1-2-2021-06-extra", which is no ELB security policy/, /did you mean "ELBSecurityPolicy-TLS13-1-2-2021-06"\?/, /allowed: ELBSecurityPolicy-TLS13-1-2-2021-06,/]),
  T("TLS policy allowing TLS 1.1", 'tls_policy = "ELBSecurityPolicy-TLS13-1-1-2021-06"', "tls_policy", [/given "ELBSecurityPolicy-TLS13-1-1-2021-06", which allows TLS below 1\.2/, /TLS 1\.2 or 1\.3 as the minimum/]),
  T("TLS policy that does not exist", 'tls_policy = "ELBSecurityPolicy-TLS13-1-2-2099-01"', "tls_policy", [/given "ELBSecurityPolicy-TLS13-1-2-2099-01", which is no ELB security policy/, /allowed: /]),
  T("empty TLS policy", 'tls_policy = ""', "tls_policy", [/given "", which is no ELB security policy/, /allowed: ELBSecurityPolicy-/]),
  T("TLS policy FS 2018", 'tls_policy = "ELBSecurityPolicy-FS-2018-06"', "tls_policy", [/which allows TLS below 1\.2/]),
  T(
    "certificate of another region",
    '-allow_plain_http\ncertificate_arn = "arn:aws:acm:us-east-1:111111111111:certificate/abc"',
    "certificate_arn",
    [/given "arn:aws:acm:us-east-1:111111111111:certificate\/abc", a certificate in us-east-1/, /can only use an ACM certificate of eu-west-1/],
  ),
  T("certificate of another partition", 'certificate_arn = "arn:aws-cn:acm:eu-west-1:111111111111:certificate/abc"', "certificate_arn", [/given "arn:aws-cn:acm:/, /partition "aws-cn" is not "aws"/]),
  T("health check matcher 100", 'health_check_matcher = "100"', "health_check_matcher", [/given "100"/, /HTTP codes 200-499 only/]),
  T("health check matcher 5xx", 'health_check_matcher = "500-599"', "health_check_matcher", [/given "500-599"/, /HTTP codes 200-499 only/]),
  T("health check matcher with a 5xx in a list", 'health_check_matcher = "200,502"', "health_check_matcher", [/given "200,502"/, /HTTP codes 200-499 only/]),
  T("health check matcher backwards", 'health_check_matcher = "299-200"', "health_check_matcher", [/given "299-200"/, /runs backwards/]),
  T("health check matcher with words", 'health_check_matcher = "ok"', "health_check_matcher", [/given "ok"/, /HTTP codes such as "200" or "200-299"/]),
  T("health check path without a slash", 'health_check_path = "health"', "health_check_path", [/given "health"/, /a path starting with \//]),
  T("health check path with a space", 'health_check_path = "/a b"', "health_check_path", [/given "\/a b"/, /a path starting with \//]),
  T("health check path longer than 1024", `health_check_path = "/${"a".repeat(1024)}"`, "health_check_path", [/given "\/a+\.\.\. \(1027 characters\)/, /must be <= 1024/]),
  T("health check timeout 1", "health_check_timeout_seconds = 1", "health_check_timeout_seconds", [/given 1;/, /must be >= 2/]),
  T("unhealthy threshold 11", "unhealthy_threshold = 11", "unhealthy_threshold", [/given 11;/, /must be <= 10/]),
  T("deregistration delay above 3600", "deregistration_delay_seconds = 3601", "deregistration_delay_seconds", [/given 3601;/, /must be <= 3600/]),
  T("stickiness above a week", "stickiness_seconds = 604801", "stickiness_seconds", [/given 604801;/, /must be <= 604800/]),
  T("hosted zone id in lowercase", 'hosted_zone_id = "z123"\ndomain_name = "app.example.com"', "hosted_zone_id", [/given "z123"/, /a Route 53 hosted zone id such as Z0123456789ABC/]),
  T("domain name in capitals", 'domain_name = "App.Example.com"\nhosted_zone_id = "Z0123456789ABC"', "domain_name", [/given "App\.Example\.com"/, /a lowercase DNS name/]),
  T("initial weight below 0", "initial_weights = { blue = 100, green = -1 }", "initial_weights.green", [/given -1;/, /must be >= 0/]),

  // ---- containers, tasks, capacity ------------------------------------------------------------------------
  T("container user root", 'container_user = "root"', "container_user", [/given "root", the root user/, /non-root uid such as "1000"/, /policy_exceptions "CONFIG-CONTAINER-ROOT-USER" with its reason/]),
  T("container user 0", 'container_user = "0"', "container_user", [/given "0", the root user/]),
  T("container user 0:0", 'container_user = "0:0"', "container_user", [/given "0:0", the root user/]),
  T("container user root with a group", 'container_user = "root:1000"', "container_user", [/given "root:1000", the root user/]),
  T("container user with a space", 'container_user = "app user"', "container_user", [/given "app user"/, /a user name or uid\[:gid\]/]),
  T("task CPU above the instance", "task_cpu = 4096\ntask_memory_mib = 8192", "task_cpu", [/given 4096;/, /a t3\.small has 2048 CPU units \(2 vCPU\)/, /could never be placed/]),
  T("task memory above the instance", "task_cpu = 1024\ntask_memory_mib = 2048", "task_memory_mib", [/given 2048;/, /a t3\.small has 2048 MiB, of which about 1792 MiB are left for tasks/]),
  T("task memory below the CPU's range", "task_cpu = 128\ntask_memory_mib = 128", "task_memory_mib", [/given 128;/, /with task_cpu 128 it must be 256\.\.1024/]),
  T("task CPU 100", "task_cpu = 100", "task_cpu", [/given 100;/, /allowed: 128, 256/]),
  T("container port 0", "container_port = 0", "container_port", [/given 0;/, /must be >= 1/]),
  T("container port as text", 'container_port = "http"', "container_port", [/given "http"/, /expected number/]),
  T("image tag with a space", 'image_tags = { blue = "v 1", green = "3f9c2a1" }', "image_tags.blue", [/given "v 1"/, /a Docker tag/]),
  T("image tag longer than 128", `image_tags = { blue = "${"a".repeat(129)}", green = "3f9c2a1" }`, "image_tags.blue", [/\(131 characters\)/, /a Docker tag/, /at most 128/]),
  T("desired count below 0", "desired_count = { blue = 1, green = -1 }", "desired_count.green", [/given -1;/, /must be >= 0/]),
  T("autoscaling CPU target 5", "autoscaling_cpu_target = 5", "autoscaling_cpu_target", [/given 5;/, /must be >= 10/]),
  T("autoscaling memory target 96", "autoscaling_memory_target = 96", "autoscaling_memory_target", [/given 96;/, /must be <= 95/]),
  T("scale-in cooldown above an hour", "autoscaling_scale_in_cooldown_seconds = 3601", "autoscaling_scale_in_cooldown_seconds", [/given 3601;/, /must be <= 3600/]),
  T("grace period below 0", "health_check_grace_period_seconds = -1", "health_check_grace_period_seconds", [/given -1;/, /must be >= 0/]),
  T("root volume below the AMI's 30 GiB", "root_volume_size_gib = 20", "root_volume_size_gib", [/given 20;/, /must be >= 30/]),
  T("asg_max_size 0", "asg_max_size = 0", "asg_max_size", [/given 0;/, /must be >= 1/]),
  T("asg_min_size below 0", "asg_min_size = -1", "asg_min_size", [/given -1;/, /must be >= 0/]),
  T("secrets not a list", 'secrets = "DATABASE_URL"', "secrets", [/given "DATABASE_URL"/, /expected array/]),

  // ---- observability, ECR -------------------------------------------------------------------------------------
  T("alarm window beyond a day", "alarm_period_seconds = 900\nalarm_evaluation_periods = 97", "alarm_evaluation_periods", [/given 97;/, /evaluates 87300 s/, /at most 86400 s \(1 day for periods under an hour\): use at most 96/]),
  T("alarm window beyond 7 days", "alarm_period_seconds = 7200\nalarm_evaluation_periods = 90", "alarm_evaluation_periods", [/given 90;/, /evaluates 648000 s/, /at most 604800 s \(7 days for periods of an hour or more\): use at most 84/]),
  T("alarm period 0", "alarm_period_seconds = 0", "alarm_period_seconds", [/given 0;/, /allowed: 10, 20, 30 or a multiple of 60/]),
  T("alarm period 90", "alarm_period_seconds = 90", "alarm_period_seconds", [/given 90;/, /allowed: 10, 20, 30 or a multiple of 60/]),
  T("alarm evaluation periods 101", "alarm_evaluation_periods = 101", "alarm_evaluation_periods", [/given 101;/, /must be <= 100/]),
  T("alarm e-mail without @", 'alarm_email = "oncall.example.com"', "alarm_email", [/given "oncall\.example\.com"/, /an e-mail address/]),
  T("alarm CPU percent 101", "alarm_cpu_percent = 101", "alarm_cpu_percent", [/given 101;/, /must be <= 100/]),
  T("alarm p99 latency 0", "alarm_p99_latency_seconds = 0", "alarm_p99_latency_seconds", [/given 0;/, /must be > 0/]),
  T("alarm 5xx threshold 0", "alarm_5xx_threshold = 0", "alarm_5xx_threshold", [/given 0;/, /must be >= 1/]),
  T("log retention 0", "log_retention_in_days = 0", "log_retention_in_days", [/given 0;/, /allowed: 1, 3, 5, 7/]),
  T("flow log retention 2", "flow_log_retention_in_days = 2", "flow_log_retention_in_days", [/given 2;/, /allowed: 1, 3, 5, 7/]),
  T("ECR keep 0 images", "ecr_keep_tagged_images = 0", "ecr_keep_tagged_images", [/given 0;/, /must be >= 1/]),
  T("ECR untagged expiry 0 days", "ecr_untagged_expiry_days = 0", "ecr_untagged_expiry_days", [/given 0;/, /must be >= 1/]),
  T("ECR immutable tags as a number", "ecr_immutable_tags = 1", "ecr_immutable_tags", [/given 1;/, /expected boolean/]),
  T("create OIDC provider as text", 'create_github_oidc_provider = "yes"', "create_github_oidc_provider", [/given "yes"/, /expected boolean/]),
  T("NAT mode as a number", "nat_gateway_mode = 1", "nat_gateway_mode", [/given 1;/, /allowed: "single", "one_per_az"/]),
  T("account id of 5 digits", 'aws_account_id = "12345"', "aws_account_id", [/given "12345"/, /12 digits/]),

  // ---- S3 bucket names -----------------------------------------------------------------------------------------------
  T("access logs bucket with ..", 'access_logs_bucket = "acme..logs"', "access_logs_bucket", [/given "acme\.\.logs"/, /may not contain "\.\."/]),
  T("access logs bucket like an IP address", 'access_logs_bucket = "192.168.1.1"', "access_logs_bucket", [/given "192\.168\.1\.1"/, /may not look like an IP address/]),
  T("access logs bucket starting with xn--", 'access_logs_bucket = "xn--logs"', "access_logs_bucket", [/given "xn--logs"/, /may not start with "xn--"/]),
  T("access logs bucket starting with sthree-", 'access_logs_bucket = "sthree-logs"', "access_logs_bucket", [/given "sthree-logs"/, /may not start with "sthree-"/]),
  T("access logs bucket ending with -s3alias", 'access_logs_bucket = "logs-s3alias"', "access_logs_bucket", [/given "logs-s3alias"/, /may not end with "-s3alias"/]),
  T("access logs bucket ending with --ol-s3", 'access_logs_bucket = "logs--ol-s3"', "access_logs_bucket", [/given "logs--ol-s3"/, /may not end with "--ol-s3"/]),
  T("state bucket with ..", 'state_bucket = "acme..state"', "state_bucket", [/given "acme\.\.state"/, /may not contain "\.\."/]),
  T("state bucket in capitals", 'state_bucket = "AcmeState"', "state_bucket", [/given "AcmeState"/, /an S3 bucket name/]),

  // ---- policy exceptions -----------------------------------------------------------------------------------------------------------
  T(
    "a misspelt config rule id",
    'policy_exceptions = { "CONFIG-CONTAINER-ROOT" = { reason = "The image needs root to bind port 80." } }',
    "policy_exceptions.CONFIG-CONTAINER-ROOT",
    [/given rule "CONFIG-CONTAINER-ROOT", which is no rule of the policy pack/, /did you mean "CONFIG-CONTAINER-ROOT-USER"\?/],
  ),

  // ---- expressions in config strings (Terraform would evaluate them) ---------------------------------------
  T("health check path with an expression", 'health_check_path = "/${path.cwd}"', "health_check_path", [/given "\/\$\{path\.cwd\}", which holds "\$\{": Terraform would evaluate it as an expression/, /Write "\$\$\{" for a literal "\$\{"/]),
  T("health check path with a directive", 'health_check_path = "/%{if true}x%{endif}"', "health_check_path", [/which holds "%\{": Terraform would evaluate it as a directive/, /Write "%%\{" for a literal "%\{"/]),
  T("alarm e-mail with an expression", 'alarm_email = "ops+${var.x}@example.com"', "alarm_email", [/given "ops\+\$\{var\.x\}@example\.com", which holds "\$\{"/]),
  T("plan subject with an expression", 'github_plan_subjects = ["environment:${terraform.workspace}"]', "github_plan_subjects[0]", [/given "environment:\$\{terraform\.workspace\}", which holds "\$\{"/]),
  T("tag key with an expression", 'tags = { "${x}" = "a" }', "tags.${x}", [/given key "\$\{x\}", which holds "\$\{"/]),
  T("image tag with an expression", 'image_tags = { blue = "${x}", green = "3f9c2a1" }', "image_tags.blue", [/given "\$\{x\}", which holds "\$\{"/]),

  // ---- parser robustness --------------------------------------------------------------------------------------------------------------
  T("a number that overflows", "container_port = 1e400", "container_port", [/given 1e400, a number too large to represent/, /expected number/]),
  T("a negative number that overflows", "task_cpu = -1e400", "task_cpu", [/given -1e400, a number too large to represent/]),
  T("a long number that overflows", `asg_max_size = 1${"0".repeat(400)}`, "asg_max_size", [/given 10+\.\.\. \(401 characters\), a number too large to represent/]),
  T("a 100 000-character service_name", `service_name = "${"a".repeat(100000)}"`, "service_name", [/given "a+\.\.\. \(100002 characters\)/, /shorten it to 22 characters or fewer/]),
  T("a typo that shares a prefix (health_check_interval)", "health_check_interval = 10", "health_check_interval", [/unknown key; did you mean `health_check_interval_seconds`\?/]),
  T("a typo with a longer key (alarm_email_address)", 'alarm_email_address = "a@example.com"', "alarm_email_address", [/unknown key; did you mean `alarm_email`\?/]),
  T("a key shortened (github_repo)", 'github_repo = "acme/webapp"', "github_repo", [/unknown key; did you mean `github_repository`\?/]),
  T("a key with swapped words (cidrs_ingress)", 'cidrs_ingress = ["10.0.0.0/16"]', "cidrs_ingress", [/unknown key; did you mean `ingress_cidrs`\?/]),

  // ---- config/backend-dev.hcl ----------------------------------------------------------------------------------------------------------
  B("backend key with a leading /", 'key = "/webapp/dev.tfstate"', "key", [/given "\/webapp\/dev\.tfstate"/, /without a leading \//]),
  B("backend key with a trailing /", 'key = "webapp/dev/"', "key", [/given "webapp\/dev\/"/, /without a leading or trailing "\/"/]),
  B("backend key with //", 'key = "webapp//dev.tfstate"', "key", [/given "webapp\/\/dev\.tfstate"/, /without an empty path segment \("\/\/"\)/]),
  B("backend key with an expression", 'key = "webapp/${terraform.workspace}/x.tfstate"', "key", [/given "webapp\/\$\{terraform\.workspace\}\/x\.tfstate"/, /without \$\{ or %\{/]),
  B("backend key with a directive", 'key = "webapp/%{if true}x%{endif}.tfstate"', "key", [/given "webapp\/%\{if true\}x%\{endif\}\.tfstate"/, /without \$\{ or %\{/]),
  B("backend key with a wildcard", 'key = "webapp/*.tfstate"', "key", [/given "webapp\/\*\.tfstate"/, /or wildcards/]),
  B("backend region that does not exist", 'region = "eu-west-9"', "region", [/given "eu-west-9", which is no AWS region/]),
  B("backend region of another partition", 'region = "cn-north-1"', "region", [/given "cn-north-1", a region of the aws-cn partition/]),
  B("backend bucket with ..", 'bucket = "acme..state"', "bucket", [/given "acme\.\.state"/, /may not contain "\.\."/]),
  B("backend bucket starting with xn--", 'bucket = "xn--state"', "bucket", [/given "xn--state"/, /may not start with "xn--"/]),
  B("backend bucket too short", 'bucket = "ab"', "bucket", [/given "ab"/, /3-63 lowercase letters/]),
  B("backend without encryption", "encrypt = false", "encrypt", [/given false; allowed: true/]),
  B("backend with an unknown key", 'bucket_name = "x"', "bucket_name", [/unknown key; did you mean `bucket`\?/]),
  B("backend lock table name too short", 'dynamodb_table = "ab"', "dynamodb_table", [/given "ab"/, /a DynamoDB table name/]),
  B("backend KMS key of another region", 'kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/abc"', "kms_key_id", [/given "arn:aws:kms:us-east-1:111111111111:key\/abc"/, /in the bucket's region eu-west-1 \(arn:aws:kms:eu-west-1:\.\.\.\)/]),
  B("backend without a lock", "use_lockfile = false", "use_lockfile", [/given false and no dynamodb_table/, /keep use_lockfile = true/]),

  // ---- config/state.hcl ---------------------------------------------------------------------------------------------------------------
  S("state bucket with ..", 'bucket = "state..x"', "bucket", [/given "state\.\.x"/, /may not contain "\.\."/]),
  S("state bucket ending with -s3alias", 'bucket = "state-s3alias"', "bucket", [/given "state-s3alias"/, /may not end with "-s3alias"/]),
  S("state region that does not exist", 'region = "mars-north-1"', "region", [/given "mars-north-1", which is no AWS region/]),
  S("state tag outside IAM's characters", 'tags = { team = "a;b" }', "tags.team", [/given value "a;b"/, /only letters, digits/]),
  S("state tag the stack sets", 'tags = { managedby = "me" }', "tags.managedby", [/given "managedby", which the stack sets itself \(ManagedBy, Stack\)/]),
  S("state noncurrent expiration 0 days", "noncurrent_version_expiration_days = 0", "noncurrent_version_expiration_days", [/given 0;/, /must be >= 1/]),
  S("state with an unknown key", 'dynamo_table = "locks"', "dynamo_table", [/unknown key; did you mean `dynamodb_table`\?/]),
  S("state account id of letters", 'aws_account_id = "abcdefabcdef"', "aws_account_id", [/given "abcdefabcdef"/, /12 digits/]),
];

describe("bad input through the whole synthesis: file, line, key, given, allowed, and no stack written", () => {
  test("the table holds enough distinct inputs", () => {
    expect(new Set(CASES.map(([, file, text]) => `${file}\n${text}`)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(150);
  });

  test.each(CASES)("%s", async (_name, file, text, key, fragments) => {
    const files: Record<string, string> = { "dev.tfvars": file === "dev.tfvars" ? text : tfvars(""), [file]: text };
    const r = await synthesize(files);
    expect(r.error).toBeInstanceOf(ConfigError);
    const err = r.error as ConfigError;
    const where = r.file(file);
    const line = lineOfKey(text, key);
    expect(err.problems).toContainEqual(expect.objectContaining({ file: where, key, line }));
    const prefix = `${where}${line === undefined ? "" : `:${line}`}: ${key.length > 120 ? `${key.slice(0, 117)}... (${key.length} characters)` : key}: `;
    expect(err.message).toMatch(new RegExp(`^${escapeRegExp(prefix)}${fragments.map((f) => `(?=.*${f.source})`).join("")}`, "m"));
    // Every message line is short, whatever the input's length.
    for (const l of err.message.split("\n")) expect(l.length).toBeLessThan(4000);
    expectNothingWritten(r.dir, r.outdir);
  });
});

describe("files the parser never sees", () => {
  test.each([
    ["nested thousands of levels deep", `${tfvars("")}deep = ${"[".repeat(5000)}${"]".repeat(5000)}\n`, 11, /nests \[ \{ \( deeper than 32 levels/],
    ["nested 33 levels deep", `${tfvars("")}deep = ${"{ a = ".repeat(33)}1${" }".repeat(33)}\n`, 11, /nests \[ \{ \( deeper than 32 levels/],
    ["larger than 256 KiB", `${tfvars("")}${"# padding\n".repeat(30000)}`, undefined, /is 300\d+ bytes; config files may be at most 262144 bytes \(256 KiB\)/],
  ])("a file %s is refused before parsing, with its line", async (_name, text, line, fragment) => {
    const r = await synthesize({ "dev.tfvars": text });
    const err = r.error as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems).toEqual([expect.objectContaining({ file: r.file("dev.tfvars"), key: "", ...(line ? { line } : {}) })]);
    expect(err.problems[0].line).toBe(line);
    expect(err.message).toMatch(new RegExp(`^${escapeRegExp(r.file("dev.tfvars"))}${line ? `:${line}` : ""}: ${fragment.source}`));
    expectNothingWritten(r.dir, r.outdir);
  });

  test("brackets inside strings and comments do not count as nesting", async () => {
    const r = await synthesize({ "dev.tfvars": tfvars(`tags = { note = "${"[".repeat(40)}" }\n# ${"{".repeat(40)}`) });
    // Refused for its characters (a tag rule), not for nesting.
    expect((r.error as ConfigError).message).toMatch(/tags\.note: given value "\[\[\[/);
    expect((r.error as ConfigError).message).not.toMatch(/nests/);
  });
});

describe("every problem of every file in one run", () => {
  test("tfvars of two environments, a backend file and the state file: all problems together", async () => {
    const r = await synthesize({
      "dev.tfvars": tfvars('service_name = "internal"\ninstance_type = "t2.micro"\ncontainer_port = 0'),
      "prod.tfvars": tfvars('region = "eu-west-9"\ncontainer_user = "root"'),
      "backend-dev.hcl": backend('key = "/dev.tfstate"\nuse_lockfile = false\nencrypt = false'),
      "state.hcl": state('bucket = "state..x"\ntags = { Stack = "x" }'),
    });
    const err = r.error as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    const dev = r.file("dev.tfvars");
    const prod = r.file("prod.tfvars");
    const be = r.file("backend-dev.hcl");
    const st = r.file("state.hcl");
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: dev, key: "service_name", line: 1 }),
        expect.objectContaining({ file: dev, key: "instance_type", line: 11 }),
        expect.objectContaining({ file: dev, key: "container_port", line: 12 }),
        expect.objectContaining({ file: prod, key: "region", line: 2 }),
        expect.objectContaining({ file: prod, key: "container_user", line: 11 }),
        // A backend file's schema errors and its lock rule come together.
        expect.objectContaining({ file: be, key: "key", line: 2 }),
        expect.objectContaining({ file: be, key: "use_lockfile", line: 4 }),
        expect.objectContaining({ file: be, key: "encrypt", line: 5 }),
        expect.objectContaining({ file: st, key: "bucket", line: 1 }),
        expect.objectContaining({ file: st, key: "tags.Stack", line: 3 }),
      ]),
    );
    expect(err.message).toContain(`${be}:4: use_lockfile: given false and no dynamodb_table`);
    expectNothingWritten(r.dir, r.outdir);
  });

  test("a backend naming the state bucket in another region than state.hcl creates it in, at its line", async () => {
    const r = await synthesize({ "dev.tfvars": tfvars(""), "backend-dev.hcl": backend('region = "eu-central-1"'), "state.hcl": state("") });
    const err = r.error as ConfigError;
    expect(err.problems).toEqual([expect.objectContaining({ file: r.file("backend-dev.hcl"), key: "region", line: 3 })]);
    expect(err.message).toBe(
      `${r.file("backend-dev.hcl")}:3: region: given "eu-central-1", but ${r.file("state.hcl")} creates bucket "acme-webapp-terraform-state" in "eu-west-1"; a backend must name its bucket's region`,
    );
    expectNothingWritten(r.dir, r.outdir);
  });

  test("a backend file of no environment is refused, not ignored", async () => {
    const r = await synthesize({ "dev.tfvars": tfvars(""), "backend-stage.hcl": backend("") });
    const err = r.error as ConfigError;
    expect(err.problems).toEqual([expect.objectContaining({ file: r.file("backend-stage.hcl"), key: "" })]);
    expect(err.message).toBe(`${r.file("backend-stage.hcl")}: belongs to no environment: there is no stage.tfvars beside it (environments: dev); rename it to backend-<env>.hcl or delete it`);
    expectNothingWritten(r.dir, r.outdir);
  });

  test("a bad backend file does not hide its tfvars' problems", async () => {
    const r = await synthesize({ "dev.tfvars": tfvars("container_port = 0"), "backend-dev.hcl": backend('region = "eu-west-9"') });
    const err = r.error as ConfigError;
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: r.file("dev.tfvars"), key: "container_port", line: 11 }),
        expect.objectContaining({ file: r.file("backend-dev.hcl"), key: "region", line: 3 }),
      ]),
    );
  });

  test("a bad state file does not hide the tfvars' problems", async () => {
    const r = await synthesize({ "dev.tfvars": tfvars("container_port = 0"), "state.hcl": state('region = "eu-west-9"') });
    const err = r.error as ConfigError;
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: r.file("dev.tfvars"), key: "container_port", line: 11 }),
        expect.objectContaining({ file: r.file("state.hcl"), key: "region", line: 2 }),
      ]),
    );
  });

  test("a syntax error in one file does not hide the problems of another", async () => {
    const r = await synthesize({ "dev.tfvars": tfvars("container_port = 0"), "prod.tfvars": "region = \n" });
    const err = r.error as ConfigError;
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: r.file("dev.tfvars"), key: "container_port" }),
        expect.objectContaining({ file: r.file("prod.tfvars"), key: "", line: 1 }),
      ]),
    );
    expect(err.message).toMatch(new RegExp(`^${escapeRegExp(r.file("prod.tfvars"))}:1: HCL syntax error`, "m"));
  });
});

describe("an unexpected internal error", () => {
  afterEach(() => jest.restoreAllMocks());

  test("says it is a bug and names the file being loaded, and writes nothing", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const rules = require("../lib/config/rules") as typeof import("../lib/config/rules");
    jest.spyOn(rules, "serviceRules").mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    });
    const r = await synthesize({ "dev.tfvars": tfvars("") });
    expect(r.error).toBeInstanceOf(ConfigBug);
    expect((r.error as Error).message).toBe(
      `internal error while loading ${r.file("dev.tfvars")}: Cannot read properties of undefined (reading 'x'). This is a bug in the toolkit, not in your config; please report it with the file.`,
    );
    expectNothingWritten(r.dir, r.outdir);
  });
});
