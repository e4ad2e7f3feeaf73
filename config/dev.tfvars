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

# SSM SecureString parameters /webapp/dev/<NAME>, injected as environment variables.
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
