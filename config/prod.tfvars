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
# access_logs_bucket = "acme-alb-access-logs"

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

secrets = ["DATABASE_URL"]

# ---- EC2 capacity ----------------------------------------------------------------------------
instance_type        = "t3.medium" # 3 ENIs: 2 awsvpc tasks per instance
asg_min_size         = 2
asg_max_size         = 8
asg_desired_capacity = 2

# ---- observability -----------------------------------------------------------------------------
log_retention_in_days = 30
# alarm_email = "oncall@example.com"

# ---- GitHub Actions (OIDC) ---------------------------------------------------------------------
github_repository          = "acme/webapp"
github_deploy_environments = ["production"] # the deploy job runs with `environment: production`
# prod lives in its own AWS account here, so it creates that account's OIDC provider. If dev and
# prod share an account, set false here and give the ARN that dev created:
create_github_oidc_provider = true
# github_oidc_provider_arn  = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
