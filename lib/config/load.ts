/**
 * Reads `config/<env>.tfvars` (HCL, parsed by @cdktf/hcl2json), validates it against the
 * schema and the cross-field rules, fills defaults and returns one deeply frozen
 * EnvironmentConfig. Every problem in a file is reported at once, each naming the file, the
 * key (and line), what was given and what is allowed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { contains, overlaps, parseCidr, type Cidr } from "./cidr";
import { ConfigError, parseHcl, partialValues, problemCollector, reportSchemaIssues, show, type ConfigProblem } from "./hcl";
import { isProductionName, LOG_RETENTION_DAYS, TASK_CPU_MEMORY, tfvarsSchema, type Tfvars } from "./schema";
import { crossCheckBackends, loadBackendConfigFor, loadStateConfig, type BackendConfig, type StateConfig } from "./backend";
import { checkPolicyExceptions, toPolicyExceptions } from "./policy-exceptions";
import { ECS_SHIFT_RULE_TAGS, serviceRules, STACK_TAG_KEYS, tagProblems } from "./rules";
import { templateProblems } from "./literal";
import type { EnvironmentConfig } from "./types";

/** Thrown when a rule reads a key that already failed its own validation: the rule is skipped. */
const SKIP = Symbol("skip");

/**
 * Cross-field rules that a schema field alone cannot express. Each rule runs on its own, so one
 * bad key does not hide the problems of the others; a rule that needs a key which failed its own
 * check is skipped (that key's problem is already reported).
 */
function consistency(env: string, v: Tfvars, problem: (key: string, message: string) => void): void {
  const rule = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      if (e !== SKIP) throw e;
    }
  };
  const cidr = (key: string, text: string, report = true): Cidr | undefined => {
    const c = parseCidr(text);
    if (typeof c === "string") {
      if (report) problem(key, `given ${show(text)}, which ${c}`);
      return undefined;
    }
    return c;
  };
  // Names.
  rule(() => {
    const longest = `${v.service_name}-${env}-green`;
    if (longest.length > 32) {
      problem(
        "service_name",
        `given ${show(v.service_name)}; ${show(longest)} exceeds the 32-character limit of AWS target group names: shorten it to ${Math.max(1, v.service_name.length - (longest.length - 32))} characters or fewer`,
      );
    }
  });
  // Network.
  rule(() => {
    const vpc = cidr("vpc_cidr", v.vpc_cidr);
    if (vpc && (vpc.prefix < 16 || vpc.prefix > 28)) problem("vpc_cidr", `given ${show(v.vpc_cidr)}; an AWS VPC prefix must be /16 to /28`);
  });
  rule(() => {
    const azs = v.availability_zones;
    if (new Set(azs).size !== azs.length) problem("availability_zones", `given ${show(azs)}; each zone may appear once`);
    for (const az of azs) {
      if (!(az.startsWith(v.region) && /^[a-z]$/.test(az.slice(v.region.length)))) {
        problem("availability_zones", `given ${show(az)}; zones must be in region ${v.region} (e.g. ${v.region}a)`);
      }
    }
  });
  for (const key of ["public_subnet_cidrs", "private_subnet_cidrs"] as const) {
    rule(() => {
      const list = v[key];
      const azs = v.availability_zones;
      if (list.length !== azs.length) {
        problem(key, `given ${list.length} CIDRs ${show(list)}; needs exactly one per availability zone (${azs.length})`);
      }
    });
  }
  rule(() => {
    const subnets: Array<{ key: string; c: Cidr }> = [];
    for (const key of ["public_subnet_cidrs", "private_subnet_cidrs"] as const) {
      v[key].forEach((text, i) => {
        const c = cidr(`${key}[${i}]`, text);
        if (c) subnets.push({ key: `${key}[${i}]`, c });
      });
    }
    for (const { key, c } of subnets) if (c.prefix > 28) problem(key, `given ${show(c.text)}; AWS subnets must be /28 or larger`);
    for (let i = 0; i < subnets.length; i++) {
      for (let j = i + 1; j < subnets.length; j++) {
        if (overlaps(subnets[i].c, subnets[j].c)) {
          problem(subnets[j].key, `given ${show(subnets[j].c.text)}, which overlaps ${subnets[i].key} (${subnets[i].c.text})`);
        }
      }
    }
    const vpc = cidr("vpc_cidr", v.vpc_cidr, false);
    if (vpc) for (const { key, c } of subnets) if (!contains(vpc, c)) problem(key, `given ${show(c.text)}, which is outside vpc_cidr ${v.vpc_cidr}`);
  });
  rule(() => v.ingress_cidrs.forEach((t, i) => cidr(`ingress_cidrs[${i}]`, t)));
  rule(() => {
    v.test_listener_cidrs.forEach((t, i) => {
      const c = cidr(`test_listener_cidrs[${i}]`, t);
      if (c && c.prefix === 0) {
        problem(`test_listener_cidrs[${i}]`, `given ${show(t)}; the test listener serves unreleased code and must not be open to the internet: list your office/VPN ranges`);
      }
    });
  });

  // Listeners and TLS.
  rule(() => {
    if ([80, 443].includes(v.test_listener_port)) problem("test_listener_port", `given ${v.test_listener_port}; must differ from the production ports 80 and 443`);
    if (v.domain_name && !v.hosted_zone_id) problem("hosted_zone_id", `given nothing; required with domain_name ${show(v.domain_name)} to validate its certificate`);
    if (v.hosted_zone_id && !v.domain_name) problem("domain_name", `given nothing; required with hosted_zone_id ${show(v.hosted_zone_id)}`);
    if (v.domain_name && v.certificate_arn) problem("certificate_arn", "given together with domain_name; set one: domain_name issues a certificate, certificate_arn uses an existing one");
    if (!v.certificate_arn && !v.domain_name && !v.allow_plain_http) {
      problem("certificate_arn", "given nothing; without certificate_arn or domain_name the load balancer would serve plain HTTP: set one, or allow_plain_http = true (e.g. for dev)");
    }
    const w = v.initial_weights;
    if (w.blue === 0 && w.green === 0) problem("initial_weights", `given ${show(w)}; at least one colour needs a weight above 0, or no traffic is served`);
    else if (w.blue === w.green) problem("initial_weights", `given ${show(w)}; equal weights leave no idle colour for the test listener`);
  });
  // Health checks and draining.
  rule(() => {
    if (v.health_check_timeout_seconds >= v.health_check_interval_seconds) {
      problem("health_check_timeout_seconds", `given ${v.health_check_timeout_seconds}; must be below health_check_interval_seconds (${v.health_check_interval_seconds})`);
    }
    const stop = v.stop_timeout_seconds ?? Math.min(120, v.deregistration_delay_seconds + 15);
    if (stop <= v.deregistration_delay_seconds) {
      problem(
        v.stop_timeout_seconds === undefined ? "deregistration_delay_seconds" : "stop_timeout_seconds",
        `stop timeout ${stop} s must exceed deregistration_delay_seconds (${v.deregistration_delay_seconds} s) so tasks finish in-flight requests while draining; ECS allows at most 120 s`,
      );
    }
  });
  // Tasks and scaling.
  rule(() => {
    const mem = TASK_CPU_MEMORY[v.task_cpu];
    if (!mem) problem("task_cpu", `given ${v.task_cpu}; allowed: ${Object.keys(TASK_CPU_MEMORY).join(", ")}`);
    else if (v.task_memory_mib < mem[0] || v.task_memory_mib > mem[1]) {
      problem("task_memory_mib", `given ${v.task_memory_mib}; with task_cpu ${v.task_cpu} it must be ${mem[0]}..${mem[1]}`);
    }
    if (v.autoscaling_min_capacity > v.autoscaling_max_capacity) {
      problem("autoscaling_min_capacity", `given ${v.autoscaling_min_capacity}; must not exceed autoscaling_max_capacity (${v.autoscaling_max_capacity})`);
    }
    for (const colour of ["blue", "green"] as const) {
      const d = v.desired_count[colour];
      if (d < v.autoscaling_min_capacity || d > v.autoscaling_max_capacity) {
        problem(`desired_count.${colour}`, `given ${d}; must be within autoscaling ${v.autoscaling_min_capacity}..${v.autoscaling_max_capacity}`);
      }
    }
    if (new Set(v.secrets).size !== v.secrets.length) problem("secrets", `given ${show(v.secrets)}; each name may appear once`);
    if (v.asg_min_size > v.asg_max_size) problem("asg_min_size", `given ${v.asg_min_size}; must not exceed asg_max_size (${v.asg_max_size})`);
    const desired = v.asg_desired_capacity ?? v.asg_min_size;
    if (desired < v.asg_min_size || desired > v.asg_max_size) {
      problem("asg_desired_capacity", `given ${desired}; must be within asg_min_size..asg_max_size (${v.asg_min_size}..${v.asg_max_size})`);
    }
  });
  // Observability.
  rule(() => {
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(v.log_retention_in_days)) {
      problem("log_retention_in_days", `given ${v.log_retention_in_days}; allowed: ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(v.flow_log_retention_in_days)) {
      problem("flow_log_retention_in_days", `given ${v.flow_log_retention_in_days}; allowed: ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    const p = v.alarm_period_seconds;
    if (!(p === 10 || p === 20 || p === 30 || (p >= 60 && p % 60 === 0))) problem("alarm_period_seconds", `given ${p}; allowed: 10, 20, 30 or a multiple of 60`);
  });
  // GitHub.
  rule(() => {
    if (!v.create_github_oidc_provider && !v.github_oidc_provider_arn) {
      problem("github_oidc_provider_arn", "given nothing; required when create_github_oidc_provider = false (the ARN of the account's existing GitHub OIDC provider)");
    }
    if (v.github_deploy_refs.length === 0 && v.github_deploy_environments.length === 0) {
      problem("github_deploy_refs", "given none, and no github_deploy_environments either; name at least one ref or environment allowed to deploy");
    }
  });
  // Policy exceptions: known rule ids, real reasons, address patterns.
  rule(() => checkPolicyExceptions(v.policy_exceptions, problem));
  // Tags: IAM's character set, case-insensitive keys, the 50-tag limit with the stack's own and
  // with ecs-shift's journal on the weighted rule.
  rule(() => tagProblems(v.tags, STACK_TAG_KEYS, problem, { ...ECS_SHIFT_RULE_TAGS, by: "ecs-shift's shift journal and lease on the weighted rule" }));
  // Construct checks and AWS limits (rules.ts).
  serviceRules(env, v, problem, rule);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function toConfig(env: string, file: string, v: Tfvars): EnvironmentConfig {
  return {
    environment: env,
    sourceFile: file,
    serviceName: v.service_name,
    region: v.region,
    awsAccountId: v.aws_account_id,
    tags: v.tags,
    availabilityZones: v.availability_zones,
    vpcCidr: v.vpc_cidr,
    publicSubnetCidrs: v.public_subnet_cidrs,
    privateSubnetCidrs: v.private_subnet_cidrs,
    natGatewayMode: v.nat_gateway_mode,
    flowLogRetentionInDays: v.flow_log_retention_in_days,
    ingressCidrs: v.ingress_cidrs,
    testListenerPort: v.test_listener_port,
    testListenerCidrs: v.test_listener_cidrs,
    certificateArn: v.certificate_arn,
    domainName: v.domain_name,
    hostedZoneId: v.hosted_zone_id,
    allowPlainHttp: v.allow_plain_http,
    tlsPolicy: v.tls_policy,
    deletionProtection: v.deletion_protection,
    accessLogsBucket: v.access_logs_bucket,
    createAccessLogsBucket: v.create_access_logs_bucket,
    accessLogsExpiryDays: v.access_logs_expiry_days,
    wafEnabled: v.waf_enabled,
    wafManagedRuleGroups: v.waf_managed_rule_groups,
    wafRateLimit: v.waf_rate_limit,
    initialWeights: v.initial_weights,
    stickinessSeconds: v.stickiness_seconds,
    healthCheckPath: v.health_check_path,
    healthCheckMatcher: v.health_check_matcher,
    healthCheckIntervalSeconds: v.health_check_interval_seconds,
    healthCheckTimeoutSeconds: v.health_check_timeout_seconds,
    healthyThreshold: v.healthy_threshold,
    unhealthyThreshold: v.unhealthy_threshold,
    deregistrationDelaySeconds: v.deregistration_delay_seconds,
    containerPort: v.container_port,
    imageTags: v.image_tags,
    taskCpu: v.task_cpu,
    taskMemoryMiB: v.task_memory_mib,
    containerUser: v.container_user,
    stopTimeoutSeconds: v.stop_timeout_seconds ?? Math.min(120, v.deregistration_delay_seconds + 15),
    healthCheckGracePeriodSeconds: v.health_check_grace_period_seconds,
    desiredCount: v.desired_count,
    autoscalingMinCapacity: v.autoscaling_min_capacity,
    autoscalingMaxCapacity: v.autoscaling_max_capacity,
    autoscalingCpuTarget: v.autoscaling_cpu_target,
    autoscalingMemoryTarget: v.autoscaling_memory_target,
    autoscalingScaleInCooldownSeconds: v.autoscaling_scale_in_cooldown_seconds,
    autoscalingScaleOutCooldownSeconds: v.autoscaling_scale_out_cooldown_seconds,
    secrets: v.secrets,
    instanceType: v.instance_type,
    asgMinSize: v.asg_min_size,
    asgMaxSize: v.asg_max_size,
    asgDesiredCapacity: v.asg_desired_capacity ?? v.asg_min_size,
    rootVolumeSizeGiB: v.root_volume_size_gib,
    logRetentionInDays: v.log_retention_in_days,
    alarmEmail: v.alarm_email,
    alarm5xxThreshold: v.alarm_5xx_threshold,
    alarmP99LatencySeconds: v.alarm_p99_latency_seconds,
    alarmCpuPercent: v.alarm_cpu_percent,
    alarmEvaluationPeriods: v.alarm_evaluation_periods,
    alarmPeriodSeconds: v.alarm_period_seconds,
    ecrKeepTaggedImages: v.ecr_keep_tagged_images,
    ecrUntaggedExpiryDays: v.ecr_untagged_expiry_days,
    ecrImmutableTags: v.ecr_immutable_tags,
    githubRepository: v.github_repository,
    githubSubjectPrefix: v.github_subject_prefix ?? `repo:${v.github_repository}`,
    githubPlanSubjects: v.github_plan_subjects,
    githubDeployRefs: v.github_deploy_refs,
    githubDeployEnvironments: v.github_deploy_environments,
    createGithubOidcProvider: v.create_github_oidc_provider,
    githubOidcProviderArn: v.github_oidc_provider_arn,
    stateBucket: v.state_bucket,
    policyExceptions: toPolicyExceptions(v.policy_exceptions),
  };
}

/** Validates tfvars text already read from `file`; `backend` is the environment's S3 backend, if it has one. */
export async function parseEnvironmentConfig(file: string, text: string, backend?: BackendConfig): Promise<EnvironmentConfig> {
  const env = path.basename(file).replace(/\.tfvars$/, "");
  if (!/^[a-z][a-z0-9]{0,9}$/.test(env)) {
    throw new ConfigError(file, [{ key: "", message: `the file name gives environment ${show(env)}; use 1-10 lowercase letters or digits, starting with a letter (dev.tfvars, prod.tfvars)` }]);
  }
  const raw = await parseHcl(file, text);

  const problems: ConfigProblem[] = [];
  const problem = problemCollector(text, problems);
  templateProblems(raw, problem);
  const schema = tfvarsSchema(isProductionName(env));
  const result = schema.safeParse(raw);
  if (!result.success) {
    reportSchemaIssues(schema, result.error.issues, raw, problem, "the config reference in README.md", text);
    // Still run every cross-field rule whose keys are valid on their own, so that one run
    // reports all of the file's problems.
    consistency(env, partialValues(schema, raw, SKIP) as Tfvars, problem);
    throw new ConfigError(file, problems);
  }
  const v = result.data;
  consistency(env, v, problem);
  if (backend && v.state_bucket !== undefined && v.state_bucket !== backend.bucket) {
    problem("state_bucket", `given ${show(v.state_bucket)}, but ${backend.sourceFile} keeps the state in ${show(backend.bucket)}; drop state_bucket (the backend file sets it)`);
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return deepFreeze({ ...toConfig(env, file, v), backend });
}

/**
 * Reads and validates `config/<env>.tfvars` and its backend file: both are validated, and the
 * problems of both are reported together.
 */
export async function loadEnvironmentConfig(file: string): Promise<EnvironmentConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(file, [{ key: "", message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); create it from config/dev.tfvars` }]);
  }
  const backend = await settle(loadBackendConfigFor(file));
  if (backend.error) {
    // Validate the tfvars too (without the backend's bucket) so both files' problems come together.
    const own = await settle(parseEnvironmentConfig(file, text));
    throw combine(file, [backend.error, ...(own.error ? [own.error] : [])]);
  }
  return parseEnvironmentConfig(file, text, backend.value);
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

/**
 * One ConfigError of several files' errors, each problem naming its own file; any error that is
 * not a ConfigError is a bug, rethrown as such with the file being loaded.
 */
function combine(where: string, errors: readonly unknown[]): ConfigError {
  const problems: ConfigProblem[] = [];
  for (const e of errors) {
    if (!(e instanceof ConfigError)) throw internalError(where, e);
    problems.push(...e.problems.map((p) => ({ ...p, file: p.file ?? e.file })));
  }
  return new ConfigError(where, problems);
}

/** An unexpected failure while loading `file`: a bug in this toolkit, not a config problem. */
export class ConfigBug extends Error {
  constructor(
    readonly file: string,
    readonly cause: unknown,
  ) {
    super(`internal error while loading ${file}: ${cause instanceof Error ? cause.message : String(cause)}. This is a bug in the toolkit, not in your config; please report it with the file.`);
    this.name = "ConfigBug";
  }
}

function internalError(file: string, e: unknown): Error {
  return e instanceof ConfigBug ? e : new ConfigBug(file, e);
}

/** Every `*.tfvars` in `dir`, all validated; all problems of all files are reported together. */
export async function loadAllEnvironmentConfigs(dir: string): Promise<EnvironmentConfig[]> {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".tfvars")).sort() : [];
  if (files.length === 0) throw new ConfigError(dir, [{ key: "", message: "holds no <env>.tfvars file; add config/dev.tfvars" }]);
  const results = await Promise.all(files.map((f) => settle(guarded(path.join(dir, f), () => loadEnvironmentConfig(path.join(dir, f))))));
  const errors = results.flatMap((r) => (r.error !== undefined ? [r.error] : []));
  if (errors.length > 0) throw combine(dir, errors);
  return results.map((r) => r.value!);
}

/** Runs `load`; an error that is not a ConfigError becomes a ConfigBug naming `file`. */
async function guarded<T>(file: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw internalError(file, e);
  }
}

/**
 * Everything in `config/`: each environment (with its backend) and the state stack's settings,
 * checked across files. Every file is validated on its own and all their problems are reported
 * together, in one ConfigError.
 */
export async function loadProjectConfig(dir: string): Promise<{ environments: EnvironmentConfig[]; state?: StateConfig }> {
  const [environments, state] = await Promise.all([settle(loadAllEnvironmentConfigs(dir)), settle(guarded(path.join(dir, "state.hcl"), () => loadStateConfig(dir)))]);
  if (environments.error !== undefined || state.error !== undefined) {
    throw combine(dir, [environments.error, state.error].filter((e) => e !== undefined));
  }
  const problems = crossCheckBackends(
    environments.value!.flatMap((e) => (e.backend ? [e.backend] : [])),
    state.value,
  );
  // A backend file without its environment would be ignored silently.
  const envs = new Set(environments.value!.map((e) => e.environment));
  for (const f of fs.readdirSync(dir).sort()) {
    const m = /^backend-(.+)\.hcl$/.exec(f);
    if (m && !envs.has(m[1])) {
      problems.push({ file: path.join(dir, f), key: "", message: `belongs to no environment: there is no ${m[1]}.tfvars beside it (environments: ${[...envs].join(", ")}); rename it to backend-<env>.hcl or delete it` });
    }
  }
  if (problems.length > 0) throw new ConfigError(dir, problems);
  return { environments: environments.value!, state: state.value };
}
