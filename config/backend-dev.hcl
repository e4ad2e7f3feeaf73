# Remote state of the dev environment: an S3 backend in the bucket of config/state.hcl,
# with S3 native locking (Terraform >= 1.10). Delete this file to keep a local state instead.
# Keys are Terraform's own S3 backend settings.

bucket       = "acme-webapp-terraform-state"
key          = "webapp/dev/terraform.tfstate"
region       = "eu-west-1"
use_lockfile = true
