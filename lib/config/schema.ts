/**
 * The tfvars schema: one zod field per key (snake_case, as a Terraform user would write it),
 * with the defaults of the environment kind. Cross-field rules live in ./consistency.ts.
 */
import { z } from "zod";
import { policyExceptionsSchema } from "./policy-exceptions";

/** CloudWatch Logs' allowed retention values. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * Valid task-level CPU units and the memory (MiB) range each allows. 128 (0.125 vCPU) is
 * allowed for tasks on EC2 instances (ECS Developer Guide, "Task size": 128 to 196608 CPU units on
 * EC2); its row keeps the memory of the smallest sizes.
 */
export const TASK_CPU_MEMORY: Readonly<Record<number, readonly [number, number]>> = {
  128: [256, 1024],
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
  8192: [16384, 61440],
  16384: [32768, 122880],
};

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const str = () => z.string();
const strList = () => z.array(z.string());
const perColour = <T extends z.ZodType>(t: T) => z.object({ blue: t, green: t }).strict();

/** Production defaults apply to an environment named `prod`; every other name gets dev defaults. */
export function isProductionName(environment: string): boolean {
  return environment === "prod";
}

export function tfvarsSchema(prod: boolean) {
  return z
    .object({
      service_name: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { message: "lowercase letters, digits and hyphens, starting and ending with a letter or digit" }),
      // Checked against the region table (aws-data.ts) by the rules.
      region: z.string(),
      aws_account_id: z.string().regex(/^\d{12}$/, { message: "12 digits" }).optional(),
      tags: z.record(z.string(), z.string()).default({}),

      availability_zones: z.array(str()).min(2).max(6),
      vpc_cidr: str(),
      public_subnet_cidrs: strList(),
      private_subnet_cidrs: strList(),
      nat_gateway_mode: z.enum(["single", "one_per_az"]).default(prod ? "one_per_az" : "single"),
      flow_log_retention_in_days: int(1, 3653).default(prod ? 365 : 7),

      ingress_cidrs: strList().min(1).default(["0.0.0.0/0"]),
      test_listener_port: int(1, 65535).default(8443),
      test_listener_cidrs: strList().min(1),

      certificate_arn: z
        .string()
        .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, {
          message: "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
        })
        .optional(),
      domain_name: z
        .string()
        .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "a lowercase DNS name such as app.example.com" })
        .optional(),
      hosted_zone_id: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: "a Route 53 hosted zone id such as Z0123456789ABC" }).optional(),
      allow_plain_http: z.boolean().default(false),
      // Checked against the ELB security policy list (aws-data.ts) by the rules.
      tls_policy: z.string().default("ELBSecurityPolicy-TLS13-1-2-2021-06"),
      deletion_protection: z.boolean().default(prod),
      access_logs_bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "an S3 bucket name" }).optional(),
      create_access_logs_bucket: z.boolean().default(prod),
      access_logs_expiry_days: int(1, 3650).default(prod ? 365 : 30),
      waf_enabled: z.boolean().default(prod),
      waf_managed_rule_groups: z
        .array(z.string().regex(/^AWSManagedRules[A-Za-z0-9]+$/, { message: "an AWS managed rule group name such as AWSManagedRulesCommonRuleSet" }))
        .default(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"]),
      waf_rate_limit: int(10, 2000000000).default(2000),
      initial_weights: perColour(int(0, 999)).default({ blue: 100, green: 0 }),
      stickiness_seconds: int(0, 604800).default(0),
      health_check_path: z.string().regex(/^\/[^\s]*$/, { message: "a path starting with /" }).max(1024).default("/health"),
      health_check_matcher: z
        .string()
        .regex(/^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/, { message: 'HTTP codes such as "200" or "200-299"' })
        .default("200-299"),
      health_check_interval_seconds: int(5, 300).default(prod ? 15 : 10),
      health_check_timeout_seconds: int(2, 120).default(5),
      healthy_threshold: int(2, 10).default(prod ? 3 : 2),
      unhealthy_threshold: int(2, 10).default(3),
      deregistration_delay_seconds: int(0, 3600).default(prod ? 60 : 30),

      container_port: int(1, 65535).default(8080),
      image_tags: perColour(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: "a Docker tag: letters, digits, _ . -, at most 128, not starting with . or -" })),
      task_cpu: z.number().int().default(256),
      task_memory_mib: z.number().int().default(512),
      container_user: z.string().regex(/^([a-z_][a-z0-9_-]*|\d+)(:([a-z_][a-z0-9_-]*|\d+))?$|^$/, { message: 'a user name or uid[:gid], or "" for the image default' }).default("1000"),
      stop_timeout_seconds: int(2, 120).optional(),
      health_check_grace_period_seconds: int(0, 2147483647).default(60),
      desired_count: perColour(int(0, 1000)).default(prod ? { blue: 2, green: 2 } : { blue: 1, green: 1 }),
      autoscaling_min_capacity: int(0, 1000).default(prod ? 2 : 1),
      autoscaling_max_capacity: int(1, 1000).default(4),
      autoscaling_cpu_target: int(10, 95).default(70),
      autoscaling_memory_target: int(10, 95).default(75),
      autoscaling_scale_in_cooldown_seconds: int(0, 3600).default(300),
      autoscaling_scale_out_cooldown_seconds: int(0, 3600).default(60),
      secrets: z.array(z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, { message: "an environment variable name (A-Z, 0-9, _)" })).default([]),

      instance_type: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: "an EC2 instance type such as t3.small" }).default("t3.small"),
      asg_min_size: int(0, 1000).default(1),
      asg_max_size: int(1, 1000).default(4),
      asg_desired_capacity: int(0, 1000).optional(),
      root_volume_size_gib: int(30, 16384).default(30),

      log_retention_in_days: z.number().default(prod ? 365 : 7),
      alarm_email: z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: "an e-mail address" }).optional(),
      alarm_5xx_threshold: int(1, 1000000).default(10),
      alarm_p99_latency_seconds: z.number().positive().max(60).default(1.5),
      alarm_cpu_percent: int(1, 100).default(85),
      alarm_evaluation_periods: int(1, 100).default(3),
      alarm_period_seconds: z.number().int().default(60),

      ecr_keep_tagged_images: int(1, 10000).default(20),
      ecr_untagged_expiry_days: int(1, 3650).default(7),
      ecr_immutable_tags: z.boolean().default(true),

      github_repository: z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { message: "owner/repo, e.g. acme/webapp" }),
      github_subject_prefix: z
        .string()
        .regex(/^repo:[^*?\s]+$/, { message: 'a subject prefix starting with "repo:" with no * or ? (e.g. repo:acme/webapp or repo:acme@123/webapp@456)' })
        .optional(),
      github_plan_subjects: z
        .array(
          z.string().regex(/^(pull_request|ref:refs\/[A-Za-z0-9._/-]+|environment:[^:\s*?]+)$/, {
            message: 'an exact subject suffix with no * or ?: "pull_request", "ref:refs/heads/NAME" or "environment:NAME"',
          }),
        )
        .min(1)
        .default(["pull_request"]),
      github_deploy_refs: z
        .array(
          z.string().regex(/^refs\/(heads|tags)\/[A-Za-z0-9._/-]+$/, {
            message: "an exact ref such as refs/heads/main, no * or ? (refs/heads/ or refs/tags/, then letters, digits, . _ / -)",
          }),
        )
        .default(prod ? [] : ["refs/heads/main"]),
      github_deploy_environments: z
        .array(z.string().regex(/^[^*?\s:]+$/, { message: "a GitHub environment name with no * ? : or spaces" }))
        .default(prod ? ["production"] : []),
      create_github_oidc_provider: z.boolean().default(true),
      github_oidc_provider_arn: z
        .string()
        .regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, {
          message: "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
        })
        .optional(),
      state_bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "an S3 bucket name" }).optional(),

      policy_exceptions: policyExceptionsSchema(),
    })
    .strict();
}

export type Tfvars = z.infer<ReturnType<typeof tfvarsSchema>>;

/** Every key the schema knows, for "did you mean" suggestions. */
export const KNOWN_KEYS: readonly string[] = Object.keys(tfvarsSchema(false).shape);
