/**
 * Config rules that AWS, Terraform and the constructs in lib/ enforce, so that a value they
 * would reject is refused at load time like any other config problem: file, line, key, what was
 * given, what is allowed. The constructs keep their own checks as a second net; each rule here
 * names the construct check it mirrors, or the AWS limit (with the data in ./aws-data.ts).
 */
import { parseCidr, type Cidr } from "./cidr";
import { TAG as ECS_SHIFT_TAG } from "../traffic/journal";
import { ELB_SECURITY_POLICIES, ELB_WEAK_SECURITY_POLICIES, INSTANCE_TYPES, MAX_TAGS_PER_RESOURCE, REGIONS, SUPPORTED_PARTITION, TAG_CHARACTERS, taskMemoryAvailableMiB } from "./aws-data";
import { nearestKey, show } from "./hcl";
import type { Tfvars } from "./schema";

export type Problem = (key: string, message: string) => void;
/** Runs one rule on its own (a rule reading a key that failed its own check is skipped). */
export type Rule = (fn: () => void) => void;

/** Tags the service stack adds to every resource itself (stacks/service-stack.ts, default_tags). */
export const STACK_TAG_KEYS: readonly string[] = ["Service", "Environment", "ManagedBy", "Stack"];

/** Narrowest allowed breadth of one test listener range: /16 (65 536 addresses). */
export const TEST_LISTENER_MIN_PREFIX = 16;

/** The config-level rule id a `policy_exceptions` entry names to allow a root container user. */
export const ROOT_USER_RULE = "CONFIG-CONTAINER-ROOT-USER";
/** Rule ids enforced by the config layer itself (not by the policy pack), usable in policy_exceptions. */
export const CONFIG_RULE_IDS: readonly string[] = [ROOT_USER_RULE];

/** A region code the region table knows, in the supported partition; else the reason it is refused. */
export function regionProblem(region: string): string | undefined {
  const facts = REGIONS[region];
  if (!facts) {
    const near = nearestKey(region, Object.keys(REGIONS));
    return `given ${show(region)}, which is no AWS region; expected an AWS region code such as eu-west-1${near ? ` (did you mean ${show(near)}?)` : ""}. Known: ${Object.keys(REGIONS)
      .filter((r) => REGIONS[r].partition === SUPPORTED_PARTITION)
      .join(", ")}`;
  }
  if (facts.partition !== SUPPORTED_PARTITION) {
    return `given ${show(region)}, a region of the ${facts.partition} partition; the stacks build ${SUPPORTED_PARTITION} ARNs (arn:${SUPPORTED_PARTITION}:...), so only regions of the ${SUPPORTED_PARTITION} partition are supported`;
  }
  return undefined;
}

/**
 * S3 bucket naming rules (S3 User Guide, "General purpose bucket naming rules"): 3-63
 * characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or
 * digit; no "..", no IP address form, none of the reserved prefixes and suffixes.
 */
export function bucketNameProblem(name: string): string | undefined {
  const allowed = "an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit";
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return `given ${show(name)}; expected ${allowed}`;
  if (name.includes("..")) return `given ${show(name)}; an S3 bucket name may not contain ".."`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `given ${show(name)}; an S3 bucket name may not look like an IP address`;
  for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) if (name.startsWith(prefix)) return `given ${show(name)}; an S3 bucket name may not start with "${prefix}" (reserved by S3)`;
  for (const suffix of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) if (name.endsWith(suffix)) return `given ${show(name)}; an S3 bucket name may not end with "${suffix}" (reserved by S3)`;
  return undefined;
}

/** The Terraform S3 backend key rules: no leading or trailing "/", no empty segment ("//"). */
export function stateKeyProblem(key: string): string | undefined {
  if (key.startsWith("/") || key.endsWith("/")) return `given ${show(key)}; an object key without a leading or trailing "/", e.g. webapp/dev/terraform.tfstate`;
  if (key.includes("//")) return `given ${show(key)}; an object key without an empty path segment ("//"), e.g. webapp/dev/terraform.tfstate`;
  return undefined;
}

/**
 * Tags ecs-shift keeps on the weighted rule (its shift journal and lease, lib/traffic/journal.ts).
 * The rule also carries every stack tag, so these count against its 50.
 */
export const ECS_SHIFT_RULE_TAGS = { count: Object.keys(ECS_SHIFT_TAG).length, prefix: "ecs-shift:" } as const;

/**
 * A tag key or value outside IAM's character set, or a key AWS reserves. `reserved`: tags
 * another writer keeps on some resource of the stack (ecs-shift on the weighted rule), which need
 * room under the 50-tag limit and a key prefix of their own.
 */
export function tagProblems(tags: Readonly<Record<string, string>>, own: readonly string[], problem: Problem, reserved?: { readonly count: number; readonly prefix: string; readonly by: string }): void {
  const ownLower = new Map(own.map((k) => [k.toLowerCase(), k]));
  const seen = new Map<string, string>();
  for (const [k, val] of Object.entries(tags)) {
    const key = `tags.${k}`;
    if (k.toLowerCase().startsWith("aws:")) problem(key, "the aws: prefix is reserved by AWS");
    if (reserved && k.toLowerCase().startsWith(reserved.prefix)) problem(key, `given ${show(k)}; the ${reserved.prefix} prefix is reserved for ${reserved.by}: choose another key`);
    if (k.length < 1 || k.length > 128) problem(key, `key length ${k.length}; allowed 1..128`);
    if (val.length > 256) problem(key, `value length ${val.length}; allowed 0..256`);
    if (!TAG_CHARACTERS.test(k)) problem(key, `given key ${show(k)}; tag keys may hold only letters, digits, spaces and _ . : / = + - @`);
    if (!TAG_CHARACTERS.test(val)) problem(key, `given value ${show(val)}; tag values may hold only letters, digits, spaces and _ . : / = + - @`);
    const lower = k.toLowerCase();
    const mine = ownLower.get(lower);
    if (mine !== undefined) problem(key, `given ${show(k)}, which the stack sets itself (${own.join(", ")}); tag keys are case-insensitive in AWS: choose another key`);
    const first = seen.get(lower);
    if (first !== undefined) problem(key, `given ${show(k)}, the same key as ${show(first)} (tag keys are case-insensitive in AWS); keep one`);
    else seen.set(lower, k);
  }
  const extra = reserved?.count ?? 0;
  const total = Object.keys(tags).length + own.length + extra;
  if (total > MAX_TAGS_PER_RESOURCE) {
    const withExtra = reserved ? ` and the ${extra} of ${reserved.by}` : "";
    problem("tags", `given ${Object.keys(tags).length} tags; with the stack's own ${own.length} (${own.join(", ")})${withExtra} that is ${total}, and AWS allows at most ${MAX_TAGS_PER_RESOURCE} per resource: keep at most ${MAX_TAGS_PER_RESOURCE - own.length - extra}`);
  }
}

/** Does the union of the ranges cover every IPv4 address? */
export function coversEverything(cidrs: readonly Cidr[]): boolean {
  const ranges = cidrs.map((c) => [c.base, c.base + c.size] as const).sort((a, b) => a[0] - b[0]);
  let reach = 0;
  for (const [start, end] of ranges) {
    if (start > reach) return false;
    reach = Math.max(reach, end);
  }
  return reach >= 2 ** 32;
}

const isRoot = (user: string) => ["root", "0"].includes(user.split(":")[0]);

/**
 * The rules of one environment's tfvars beyond its schema: construct checks (lib/*.ts) and AWS
 * limits. `rule` runs each on its own; `problem` records one problem.
 */
export function serviceRules(env: string, v: Tfvars, problem: Problem, rule: Rule): void {
  // ---- names (alb.ts, ecs-capacity.ts, ecr.ts) -------------------------------------------------
  rule(() => {
    const name = v.service_name;
    const prefix = `${name}-${env}`;
    if (name.includes("--")) problem("service_name", `given ${show(name)}; ECR repository names allow no "--": use single hyphens`);
    if (prefix.startsWith("internal-")) problem("service_name", `given ${show(name)}; the load balancer would be named ${show(prefix)}, and AWS refuses load balancer names starting with "internal-"`);
    if (/^(aws|ecs|fargate)/i.test(name)) problem("service_name", `given ${show(name)}; the ECS capacity provider is named ${show(prefix)}, and ECS refuses names starting with "aws", "ecs" or "fargate"`);
  });
  // ---- region and zones -----------------------------------------------------------------------
  rule(() => {
    const bad = regionProblem(v.region);
    if (bad) problem("region", bad);
  });
  rule(() => {
    const facts = REGIONS[v.region];
    if (!facts) return;
    const distinct = new Set(v.availability_zones).size;
    if (distinct > facts.zones) problem("availability_zones", `given ${distinct} zones ${show(v.availability_zones)}; ${v.region} has ${facts.zones}`);
  });
  // ---- CIDRs: duplicates (security-groups.ts builds one rule per range), IPv6, breadth -----------
  for (const key of ["ingress_cidrs", "test_listener_cidrs"] as const) {
    rule(() => {
      const seen = new Map<string, number>();
      v[key].forEach((t, i) => {
        const first = seen.get(t);
        if (first !== undefined) problem(`${key}[${i}]`, `given ${show(t)}, the same range as ${key}[${first}]; list each range once`);
        else seen.set(t, i);
      });
    });
  }
  rule(() => {
    const ranges: Cidr[] = [];
    v.test_listener_cidrs.forEach((t, i) => {
      const c = parseCidr(t);
      if (typeof c === "string" || c.prefix === 0) return; // reported by the CIDR rules
      if (c.prefix < TEST_LISTENER_MIN_PREFIX) {
        problem(
          `test_listener_cidrs[${i}]`,
          `given ${show(t)} (${c.size} addresses); the test listener serves unreleased code, so each range may be at most /${TEST_LISTENER_MIN_PREFIX} broad (${2 ** (32 - TEST_LISTENER_MIN_PREFIX)} addresses): list your office/VPN ranges`,
        );
      }
      ranges.push(c);
    });
    if (ranges.length > 1 && coversEverything(ranges)) {
      problem("test_listener_cidrs", `given ${show(v.test_listener_cidrs)}, which together cover the whole internet (0.0.0.0/0); the test listener serves unreleased code: list your office/VPN ranges`);
    }
  });
  // ---- TLS and certificates (alb.ts) ------------------------------------------------------------
  rule(() => {
    const p = v.tls_policy;
    if (ELB_SECURITY_POLICIES.includes(p)) return;
    if (ELB_WEAK_SECURITY_POLICIES.includes(p)) {
      problem("tls_policy", `given ${show(p)}, which allows TLS below 1.2; expected an ELB security policy with TLS 1.2 or 1.3 as the minimum, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06`);
      return;
    }
    const near = nearestKey(p, ELB_SECURITY_POLICIES);
    problem(
      "tls_policy",
      `given ${show(p)}, which is no ELB security policy with TLS 1.2 or 1.3 as the minimum${near ? ` (did you mean ${show(near)}?)` : ""}; allowed: ${ELB_SECURITY_POLICIES.join(", ")}`,
    );
  });
  rule(() => {
    if (v.certificate_arn === undefined) return;
    const m = /^arn:([a-z-]+):acm:([a-z0-9-]+):/.exec(v.certificate_arn);
    if (!m) return;
    if (m[1] !== SUPPORTED_PARTITION) problem("certificate_arn", `given ${show(v.certificate_arn)}; its partition ${show(m[1])} is not ${show(SUPPORTED_PARTITION)}`);
    if (m[2] !== v.region) problem("certificate_arn", `given ${show(v.certificate_arn)}, a certificate in ${m[2]}; a load balancer in ${v.region} can only use an ACM certificate of ${v.region}`);
  });
  // ---- health checks (ALB: HTTP codes 200-499) ----------------------------------------------------
  rule(() => {
    for (const part of v.health_check_matcher.split(",")) {
      const [lo, hi = lo] = part.split("-").map(Number);
      if (lo < 200 || hi > 499) problem("health_check_matcher", `given ${show(v.health_check_matcher)}; an ALB health check matcher allows HTTP codes 200-499 only`);
      else if (lo > hi) problem("health_check_matcher", `given ${show(v.health_check_matcher)}; the range ${part} runs backwards: write the lower code first`);
    }
  });
  // ---- containers ---------------------------------------------------------------------------------
  rule(() => {
    if (!isRoot(v.container_user)) return;
    if (Object.keys(v.policy_exceptions).includes(ROOT_USER_RULE)) return;
    problem(
      "container_user",
      `given ${show(v.container_user)}, the root user: a compromised app would own the container. Use a non-root uid such as "1000", or "" for the image's own user; if root is truly needed, add policy_exceptions "${ROOT_USER_RULE}" with its reason`,
    );
  });
  rule(() => {
    v.secrets.forEach((name, i) => {
      if (name === "COLOR") problem(`secrets[${i}]`, `given ${show(name)}; COLOR is set by the stack itself (the task's colour): choose another name`);
    });
  });
  // ---- instance type: ENIs, memory, CPU (ecs-capacity.ts) --------------------------------------------
  rule(() => {
    const t = INSTANCE_TYPES[v.instance_type];
    if (!t) {
      const near = nearestKey(v.instance_type, Object.keys(INSTANCE_TYPES));
      problem(
        "instance_type",
        `given ${show(v.instance_type)}, which is not in the instance table (its ENI count decides how many tasks fit)${near ? `; did you mean ${show(near)}?` : ""}; allowed: ${Object.keys(INSTANCE_TYPES).join(", ")}. To add a type, put its figures into lib/config/aws-data.ts and lib/ecs-capacity.ts`,
      );
      return;
    }
    const perInstance = t.maxEnis - 1;
    const maxTasks = 2 * v.autoscaling_max_capacity;
    const room = v.asg_max_size * perInstance;
    if (room < maxTasks) {
      problem(
        "autoscaling_max_capacity",
        `given ${v.autoscaling_max_capacity}; blue and green at their maximum need ${maxTasks} task ENIs, but asg_max_size ${v.asg_max_size} x ${v.instance_type} (${perInstance} task ENIs each: max ENIs - 1) holds ${room}. Raise asg_max_size to ${Math.ceil(maxTasks / perInstance)}, choose an instance type with more ENIs, or lower autoscaling_max_capacity to ${Math.floor(room / 2)}`,
      );
    }
    const cpu = t.vcpus * 1024;
    if (v.task_cpu > cpu) problem("task_cpu", `given ${v.task_cpu}; a ${v.instance_type} has ${cpu} CPU units (${t.vcpus} vCPU), so the task could never be placed`);
    const mem = taskMemoryAvailableMiB(t);
    if (v.task_memory_mib > mem) {
      problem("task_memory_mib", `given ${v.task_memory_mib}; a ${v.instance_type} has ${t.memoryMiB} MiB, of which about ${mem} MiB are left for tasks, so the task could never be placed`);
    }
  });
  // ---- alarms: CloudWatch allows period x evaluation periods up to 1 day (7 days for periods of an hour or more) --
  rule(() => {
    const p = v.alarm_period_seconds;
    const total = p * v.alarm_evaluation_periods;
    const limit = p >= 3600 ? 7 * 86400 : 86400;
    if (total > limit) {
      problem(
        "alarm_evaluation_periods",
        `given ${v.alarm_evaluation_periods}; with alarm_period_seconds ${p} an alarm evaluates ${total} s, and CloudWatch allows at most ${limit} s (${p >= 3600 ? "7 days for periods of an hour or more" : "1 day for periods under an hour"}): use at most ${Math.floor(limit / p)}`,
      );
    }
  });
  // ---- S3 bucket names ---------------------------------------------------------------------------------
  for (const key of ["access_logs_bucket", "state_bucket"] as const) {
    rule(() => {
      const b = v[key];
      if (b === undefined) return;
      const bad = bucketNameProblem(b);
      if (bad) problem(key, bad);
    });
  }
  // ---- GitHub (github-oidc.ts) ----------------------------------------------------------------------
  rule(() => {
    const [owner, repo] = v.github_repository.split("/");
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(owner)) {
      problem("github_repository", `given ${show(v.github_repository)}; the owner must be letters, digits and inner hyphens (a GitHub user or organisation name)`);
    }
    if (repo === "." || repo === "..") problem("github_repository", `given ${show(v.github_repository)}; "${repo}" is no repository name`);
  });
  rule(() => {
    if (v.github_subject_prefix === undefined) return;
    const m = /^repo:([A-Za-z0-9-]+)(@\d+)?\/([A-Za-z0-9._-]+)(@\d+)?$/.exec(v.github_subject_prefix);
    if (!m) {
      problem("github_subject_prefix", `given ${show(v.github_subject_prefix)}; expected exactly "repo:OWNER/REPO" or "repo:OWNER@OWNER_ID/REPO@REPO_ID", nothing after it`);
    } else if (`${m[1]}/${m[3]}`.toLowerCase() !== v.github_repository.toLowerCase()) {
      problem("github_subject_prefix", `given ${show(v.github_subject_prefix)}, which names ${m[1]}/${m[3]}; it must name github_repository ${show(v.github_repository)}`);
    }
  });
  rule(() => {
    if (v.create_github_oidc_provider && v.github_oidc_provider_arn !== undefined) {
      problem("github_oidc_provider_arn", `given ${show(v.github_oidc_provider_arn)} with create_github_oidc_provider = true; set create_github_oidc_provider = false to trust this existing provider, or drop the ARN`);
    }
  });
  // ---- ARNs of the account the provider is pinned to -------------------------------------------------
  for (const [key, what] of [
    ["certificate_arn", "an ALB can only use an ACM certificate of its own account"],
    ["github_oidc_provider_arn", "IAM roles can only trust an OIDC provider of their own account"],
  ] as const) {
    rule(() => {
      const arn = v[key];
      if (arn === undefined || v.aws_account_id === undefined) return;
      const account = arn.split(":")[4];
      if (account !== v.aws_account_id) problem(key, `given ${show(arn)}, of account ${account}; aws_account_id is ${v.aws_account_id}, and ${what}`);
    });
  }
  rule(() => {
    for (const key of ["github_oidc_provider_arn"] as const) {
      const arn = v[key];
      if (arn !== undefined && !arn.startsWith(`arn:${SUPPORTED_PARTITION}:`)) problem(key, `given ${show(arn)}; the stacks use the ${SUPPORTED_PARTITION} partition (arn:${SUPPORTED_PARTITION}:...)`);
    }
  });
}
