/**
 * The validated, defaulted configuration of one environment, as read from
 * `config/<env>.tfvars`. Every field mirrors one tfvars key: the key is the
 * snake_case form of the field name (`containerPort` <- `container_port`).
 * Objects produced by the loader are deeply frozen.
 */
import type { PolicyException } from "../policy/types";
import type { BackendConfig } from "./backend";
export type Colour = "blue" | "green";
export const COLOURS: readonly Colour[] = ["blue", "green"];

/** A value per colour: `{ blue = ..., green = ... }` in tfvars. */
export interface PerColour<T> {
  readonly blue: T;
  readonly green: T;
}

export type NatGatewayMode = "single" | "one_per_az";

export interface EnvironmentConfig {
  // ---- identity -------------------------------------------------------------
  /** Environment name = the tfvars file's base name and the stack id (`dev`, `prod`). */
  readonly environment: string;
  /** Path of the file this was read from, for error messages. */
  readonly sourceFile: string;
  /** `config/backend-<env>.hcl`: the S3 backend. @default - a local backend (no such file) */
  readonly backend?: BackendConfig;
  /** `service_name`: lowercase letters, digits and hyphens; prefixes every resource name. */
  readonly serviceName: string;
  /** `region`, e.g. `eu-west-1`. */
  readonly region: string;
  /** `aws_account_id`: 12 digits; when set, the provider refuses any other account. @default - any account */
  readonly awsAccountId?: string;
  /** `tags`: applied to every resource through the provider's default_tags. @default {} */
  readonly tags: Readonly<Record<string, string>>;

  // ---- network --------------------------------------------------------------
  /** `availability_zones`: at least 2, distinct, all in `region`. */
  readonly availabilityZones: readonly string[];
  /** `vpc_cidr` */
  readonly vpcCidr: string;
  /** `public_subnet_cidrs`: one per AZ, inside the VPC, not overlapping. */
  readonly publicSubnetCidrs: readonly string[];
  /** `private_subnet_cidrs`: one per AZ, inside the VPC, not overlapping. */
  readonly privateSubnetCidrs: readonly string[];
  /** `nat_gateway_mode`: one shared NAT gateway, or one per AZ. @default dev "single", otherwise "one_per_az" */
  readonly natGatewayMode: NatGatewayMode;
  /** `flow_log_retention_in_days` @default 365 (dev 7) */
  readonly flowLogRetentionInDays: number;

  // ---- who may reach the load balancer ---------------------------------------
  /** `ingress_cidrs`: who may reach ports 80/443. @default ["0.0.0.0/0"] */
  readonly ingressCidrs: readonly string[];
  /** `test_listener_port` @default 8443 */
  readonly testListenerPort: number;
  /** `test_listener_cidrs`: who may reach the test listener; never 0.0.0.0/0. Required. */
  readonly testListenerCidrs: readonly string[];

  // ---- ALB and TLS ------------------------------------------------------------
  /** `certificate_arn`: an existing ACM certificate for the HTTPS listener. @default - none */
  readonly certificateArn?: string;
  /** `domain_name`: with `hosted_zone_id`, an ACM certificate is issued and an alias record made. @default - none */
  readonly domainName?: string;
  /** `hosted_zone_id` @default - none */
  readonly hostedZoneId?: string;
  /** `allow_plain_http`: without a certificate, port 80 forwards instead of redirecting. @default false */
  readonly allowPlainHttp: boolean;
  /** `tls_policy` @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
  readonly tlsPolicy: string;
  /** `deletion_protection` @default true in prod, false elsewhere */
  readonly deletionProtection: boolean;
  /** `access_logs_bucket`: existing S3 bucket for ALB access logs. @default - none (see `create_access_logs_bucket`) */
  readonly accessLogsBucket?: string;
  /** `create_access_logs_bucket`: the stack creates the ALB access-log bucket. Ignored when `access_logs_bucket` is set. @default true in prod, false elsewhere */
  readonly createAccessLogsBucket: boolean;
  /** `access_logs_expiry_days`: access logs in the created bucket expire after this many days. @default 365 in prod, 30 elsewhere */
  readonly accessLogsExpiryDays: number;
  /** `waf_enabled`: a WAFv2 web ACL on the ALB. @default true in prod, false elsewhere */
  readonly wafEnabled: boolean;
  /** `waf_managed_rule_groups`: AWS managed rule groups of the web ACL, in priority order. @default common rule set, known bad inputs, Amazon IP reputation */
  readonly wafManagedRuleGroups: readonly string[];
  /** `waf_rate_limit`: requests per 5 minutes per client IP before the rate-based rule blocks it. @default 2000 */
  readonly wafRateLimit: number;
  /** `initial_weights`: production rule weights at creation, each 0..999, not both 0. @default { blue = 100, green = 0 } */
  readonly initialWeights: PerColour<number>;
  /** `stickiness_seconds`: target group stickiness on the weighted forward; 0 turns it off. @default 0 */
  readonly stickinessSeconds: number;
  /** `health_check_path` @default "/health" */
  readonly healthCheckPath: string;
  /** `health_check_matcher` @default "200-299" */
  readonly healthCheckMatcher: string;
  /** `health_check_interval_seconds` 5..300 @default 10 (dev) / 15 */
  readonly healthCheckIntervalSeconds: number;
  /** `health_check_timeout_seconds` 2..120, below the interval @default 5 */
  readonly healthCheckTimeoutSeconds: number;
  /** `healthy_threshold` 2..10 @default 2 (dev) / 3 */
  readonly healthyThreshold: number;
  /** `unhealthy_threshold` 2..10 @default 3 */
  readonly unhealthyThreshold: number;
  /** `deregistration_delay_seconds` 0..3600 @default 30 (dev) / 60 */
  readonly deregistrationDelaySeconds: number;

  // ---- containers ------------------------------------------------------------
  /** `container_port` 1..65535 @default 8080 */
  readonly containerPort: number;
  /** `image_tags`: the tag each colour runs, e.g. a git SHA. Required. */
  readonly imageTags: PerColour<string>;
  /** `task_cpu` in CPU units (256, 512, 1024, ...) @default 256 */
  readonly taskCpu: number;
  /** `task_memory_mib` @default 512 */
  readonly taskMemoryMiB: number;
  /** `container_user`: user the container runs as; "" keeps the image's own. @default "1000" */
  readonly containerUser: string;
  /** `stop_timeout_seconds`: ECS stopTimeout, must exceed the deregistration delay, max 120. @default deregistration delay + 15 */
  readonly stopTimeoutSeconds: number;
  /** `health_check_grace_period_seconds` @default 60 */
  readonly healthCheckGracePeriodSeconds: number;
  /** `desired_count` per colour at creation; autoscaling owns it afterwards. @default { blue = 1, green = 1 } (dev) */
  readonly desiredCount: PerColour<number>;
  /** `autoscaling_min_capacity` @default 1 */
  readonly autoscalingMinCapacity: number;
  /** `autoscaling_max_capacity` @default 4 */
  readonly autoscalingMaxCapacity: number;
  /** `autoscaling_cpu_target` percent @default 70 */
  readonly autoscalingCpuTarget: number;
  /** `autoscaling_memory_target` percent @default 75 */
  readonly autoscalingMemoryTarget: number;
  /** `autoscaling_scale_in_cooldown_seconds` @default 300 */
  readonly autoscalingScaleInCooldownSeconds: number;
  /** `autoscaling_scale_out_cooldown_seconds` @default 60 */
  readonly autoscalingScaleOutCooldownSeconds: number;
  /** `secrets`: environment variable names; each becomes the SSM SecureString `/<service>/<env>/<NAME>`. @default [] */
  readonly secrets: readonly string[];

  // ---- EC2 capacity --------------------------------------------------------------
  /** `instance_type` @default "t3.small" */
  readonly instanceType: string;
  /** `asg_min_size` @default 1 */
  readonly asgMinSize: number;
  /** `asg_max_size` @default 4 */
  readonly asgMaxSize: number;
  /** `asg_desired_capacity` @default asg_min_size */
  readonly asgDesiredCapacity: number;
  /** `root_volume_size_gib` @default 30 */
  readonly rootVolumeSizeGiB: number;

  // ---- observability ---------------------------------------------------------------
  /** `log_retention_in_days` (a CloudWatch-allowed value) @default 7 (dev) / 365 */
  readonly logRetentionInDays: number;
  /** `alarm_email`: subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** `alarm_5xx_threshold`: target 5xx count per period per colour. @default 10 */
  readonly alarm5xxThreshold: number;
  /** `alarm_p99_latency_seconds` @default 1.5 */
  readonly alarmP99LatencySeconds: number;
  /** `alarm_cpu_percent` @default 85 */
  readonly alarmCpuPercent: number;
  /** `alarm_evaluation_periods` @default 3 */
  readonly alarmEvaluationPeriods: number;
  /** `alarm_period_seconds` (10, 30 or a multiple of 60) @default 60 */
  readonly alarmPeriodSeconds: number;

  // ---- ECR ------------------------------------------------------------------------
  /** `ecr_keep_tagged_images` @default 20 */
  readonly ecrKeepTaggedImages: number;
  /** `ecr_untagged_expiry_days` @default 7 */
  readonly ecrUntaggedExpiryDays: number;
  /** `ecr_immutable_tags` @default true */
  readonly ecrImmutableTags: boolean;

  // ---- GitHub Actions OIDC ------------------------------------------------------------
  /** `github_repository`: "owner/repo". Required. */
  readonly githubRepository: string;
  /**
   * `github_subject_prefix`: the prefix of the OIDC `sub` claim. GitHub's immutable form is
   * "repo:OWNER@OWNER_ID/REPO@REPO_ID". @default "repo:<github_repository>"
   */
  readonly githubSubjectPrefix: string;
  /** `github_plan_subjects`: sub suffixes allowed to plan. @default ["pull_request"] */
  readonly githubPlanSubjects: readonly string[];
  /** `github_deploy_refs`: refs allowed to deploy. @default ["refs/heads/main"] (dev), [] (prod) */
  readonly githubDeployRefs: readonly string[];
  /** `github_deploy_environments`: GitHub environments allowed to deploy. @default [] (dev), ["production"] (prod) */
  readonly githubDeployEnvironments: readonly string[];
  /** `create_github_oidc_provider`: this stack creates the account's OIDC provider. @default true */
  readonly createGithubOidcProvider: boolean;
  /** `github_oidc_provider_arn`: required when create_github_oidc_provider = false. */
  readonly githubOidcProviderArn?: string;
  /** `state_bucket`: the S3 state bucket the plan/deploy roles may use. @default - none */
  readonly stateBucket?: string;

  // ---- policy pack ----------------------------------------------------------------------
  /**
   * `policy_exceptions`: the deliberate exceptions to the policy pack (lib/policy) for this
   * stack, each with its reason (one per rule id). @default [] (every finding fails synth)
   */
  readonly policyExceptions: readonly PolicyException[];
}
