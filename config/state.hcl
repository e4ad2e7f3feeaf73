# The state stack (`npx cdktf deploy state`): the S3 bucket that holds every environment's
# Terraform state, created once per AWS account before the environments. See README.md,
# "First-time bootstrap". Bucket names are global: replace "acme" with your own prefix.

bucket = "acme-webapp-terraform-state"
region = "eu-west-1"
# aws_account_id = "111111111111" # pin the account: the provider refuses any other

# Old state versions are kept this long (a bad apply can be rolled back to any of them).
noncurrent_version_expiration_days = 90

# Only for Terraform older than 1.10, which cannot lock with the S3 lock file:
# dynamodb_table = "acme-webapp-terraform-locks"

tags = {
  team        = "platform"
  cost_center = "1234"
}

# Exceptions to the policy pack for this stack (README.md, "Policy checks"), keyed by rule id.
policy_exceptions = {
  "S3-ACCESS-LOGGING" = {
    reason    = "Server access logs need a separate log bucket outside this stack; S3 data events in the account's CloudTrail record state access. Add an aws_s3_bucket_logging, then delete this."
    resources = ["aws_s3_bucket.bucket"]
  }
}
