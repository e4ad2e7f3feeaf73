/** Data rules: ECR, log groups, SNS, SSM parameters, the state bucket and lock table. */
import { readDocument } from "../iam";
import { block, blocks, bool, num, referencesIn } from "../terraform";
import type { PolicyRule, StackView, TfResource } from "../types";
import { hits } from "./util";

const BUCKET_TYPES = ["aws_s3_bucket"];

/** The resources of `types` that configure `bucket` (their `bucket` argument references it or names it). */
function bucketConfigs(view: StackView, bucket: TfResource, ...types: string[]): TfResource[] {
  const name = bucket.body.bucket;
  return view.resources(...types).filter((r) => referencesIn(r.body.bucket).has(bucket.address) || (typeof name === "string" && r.body.bucket === name));
}

export const DATA_RULES: PolicyRule[] = [
  {
    id: "ECR-IMMUTABLE-TAGS",
    mirrors: ["CKV_AWS_51", "AVD-AWS-0031"],
    resourceType: "aws_ecr_repository",
    message: "image tags are mutable: a pushed tag can be moved to another image after review",
    fix: 'set image_tag_mutability = "IMMUTABLE" (ecr_immutable_tags = true)',
    check: (view) => hits(view.resources("aws_ecr_repository"), (r) => r.body.image_tag_mutability !== "IMMUTABLE"),
  },
  {
    id: "ECR-SCAN-ON-PUSH",
    mirrors: ["CKV_AWS_163", "AVD-AWS-0030"],
    resourceType: "aws_ecr_repository",
    message: "images are not scanned for vulnerabilities on push",
    fix: "set image_scanning_configuration { scan_on_push = true }",
    check: (view) => hits(view.resources("aws_ecr_repository"), (r) => bool(block(r.body.image_scanning_configuration).scan_on_push) !== true),
  },
  {
    id: "ECR-KMS-ENCRYPTION",
    mirrors: ["CKV_AWS_136", "AVD-AWS-0033"],
    resourceType: "aws_ecr_repository",
    message: "images are not encrypted with a customer-managed KMS key",
    fix: 'set encryption_configuration { encryption_type = "KMS", kms_key = <key ARN> } (ContainerRepository kmsKeyArn)',
    check: (view) =>
      hits(view.resources("aws_ecr_repository"), (r) => {
        const enc = block(r.body.encryption_configuration);
        return !(enc.encryption_type === "KMS" && typeof enc.kms_key === "string" && enc.kms_key !== "") && `encryption_type ${JSON.stringify(enc.encryption_type ?? "AES256")}`;
      }),
  },
  {
    id: "LOGS-RETENTION",
    mirrors: ["CKV_AWS_66"],
    resourceType: "aws_cloudwatch_log_group",
    message: "the log group keeps logs forever (no retention set)",
    fix: "set retention_in_days (log_retention_in_days, flow_log_retention_in_days)",
    check: (view) =>
      hits(view.resources("aws_cloudwatch_log_group"), (g) => {
        const days = num(g.body.retention_in_days);
        return !(days !== undefined && days > 0);
      }),
  },
  {
    id: "SNS-ENCRYPTION",
    mirrors: ["CKV_AWS_26", "AVD-AWS-0095"],
    resourceType: "aws_sns_topic",
    message: "the topic is not encrypted at rest",
    fix: "set kms_master_key_id: a customer-managed key of the stack (alias/aws/sns encrypts too, but CloudWatch alarms cannot publish to a topic under it: SNS-ALARM-KEY)",
    check: (view) => hits(view.resources("aws_sns_topic"), (t) => !(typeof t.body.kms_master_key_id === "string" && t.body.kms_master_key_id !== "")),
  },
  {
    id: "SSM-SECURE-STRING",
    mirrors: ["CKV2_AWS_34"],
    resourceType: "aws_ssm_parameter",
    message: "the parameter is not a SecureString: its value is stored and shown unencrypted",
    fix: 'set type = "SecureString" with a customer-managed key; better, keep secrets out of Terraform and create them with aws ssm put-parameter --type SecureString (lib/secrets.ts)',
    check: (view) => hits(view.resources("aws_ssm_parameter"), (p) => p.body.type !== "SecureString" && `type ${JSON.stringify(p.body.type)}`),
  },
  {
    id: "SSM-NO-VALUE-IN-STATE",
    mirrors: ["CKV_AWS_384"],
    resourceType: "aws_ssm_parameter",
    message: "the secret's value is a Terraform argument (value / insecure_value): it is in the code or the Terraform state",
    fix: "keep the secret out of Terraform: reference the parameter by ARN and set its value out of band with aws ssm put-parameter (lib/secrets.ts); even value_wo leaves the refresh reading the value",
    check: (view) => hits(view.resources("aws_ssm_parameter"), (p) => p.body.type === "SecureString" && (p.body.value !== undefined || p.body.insecure_value !== undefined)),
  },
  {
    id: "S3-VERSIONING",
    mirrors: ["CKV_AWS_21", "AVD-AWS-0090"],
    resourceType: "aws_s3_bucket",
    message: "the bucket is not versioned: an overwrite or delete cannot be rolled back",
    fix: 'add an aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" }',
    check: (view) =>
      hits(view.resources(...BUCKET_TYPES), (b) => {
        if (bool(block(b.body.versioning).enabled) === true) return false;
        return !bucketConfigs(view, b, "aws_s3_bucket_versioning").some((v) => block(v.body.versioning_configuration).status === "Enabled");
      }),
  },
  {
    id: "S3-ENCRYPTION",
    mirrors: ["CKV_AWS_19", "CKV_AWS_145", "AVD-AWS-0088"],
    resourceType: "aws_s3_bucket",
    message: "the bucket has no default SSE-KMS encryption",
    fix: 'add an aws_s3_bucket_server_side_encryption_configuration with sse_algorithm = "aws:kms"',
    check: (view) =>
      hits(view.resources(...BUCKET_TYPES), (b) => {
        const rules = [
          ...blocks(block(b.body.server_side_encryption_configuration).rule),
          ...bucketConfigs(view, b, "aws_s3_bucket_server_side_encryption_configuration").flatMap((c) => blocks(c.body.rule)),
        ];
        return !rules.some((r) => ["aws:kms", "aws:kms:dsse"].includes(String(block(r.apply_server_side_encryption_by_default).sse_algorithm)));
      }),
  },
  {
    id: "S3-PUBLIC-ACCESS-BLOCK",
    mirrors: ["CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "AVD-AWS-0086", "AVD-AWS-0087", "AVD-AWS-0091", "AVD-AWS-0093", "AVD-AWS-0094"],
    resourceType: "aws_s3_bucket",
    message: "the bucket's public access block is missing or incomplete",
    fix: "add an aws_s3_bucket_public_access_block with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true",
    check: (view) =>
      hits(view.resources(...BUCKET_TYPES), (b) => {
        const keys = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
        const accessBlocks = bucketConfigs(view, b, "aws_s3_bucket_public_access_block");
        if (accessBlocks.length === 0) return "none";
        const off = keys.filter((k) => !accessBlocks.some((p) => bool(p.body[k]) === true));
        return off.length > 0 && `${off.join(", ")} not true`;
      }),
  },
  {
    id: "S3-ACCESS-LOGGING",
    mirrors: ["CKV_AWS_18", "AVD-AWS-0089"],
    resourceType: "aws_s3_bucket",
    message: "server access logging is off: requests to the bucket are not recorded by S3",
    fix: "add an aws_s3_bucket_logging that writes to a separate log bucket",
    check: (view) => hits(view.resources(...BUCKET_TYPES), (b) => blocks(b.body.logging).length === 0 && bucketConfigs(view, b, "aws_s3_bucket_logging").length === 0),
  },
  {
    id: "S3-TLS-ONLY",
    mirrors: ["CKV_AWS_379"],
    resourceType: "aws_s3_bucket",
    message: "the bucket policy does not deny requests without TLS",
    fix: 'add a bucket policy statement: Deny s3:* to "*" on the bucket and its objects when aws:SecureTransport is "false"',
    check: (view) =>
      hits(view.resources(...BUCKET_TYPES), (b) => {
        const statements = bucketConfigs(view, b, "aws_s3_bucket_policy").flatMap((p) => readDocument(view, p.body.policy) ?? []);
        return !statements.some((s) => s.effect === "Deny" && (s.conditions.Bool?.["aws:SecureTransport"] ?? []).includes("false"));
      }),
  },
  {
    id: "S3-ACLS-DISABLED",
    mirrors: ["CKV2_AWS_65"],
    resourceType: "aws_s3_bucket",
    message: "object ACLs are enabled: an ACL can grant access that IAM and the bucket policy do not show",
    fix: 'add an aws_s3_bucket_ownership_controls with rule { object_ownership = "BucketOwnerEnforced" }',
    check: (view) =>
      hits(view.resources(...BUCKET_TYPES), (b) => !bucketConfigs(view, b, "aws_s3_bucket_ownership_controls").some((o) => block(o.body.rule).object_ownership === "BucketOwnerEnforced")),
  },
  {
    id: "DDB-PITR",
    mirrors: ["CKV_AWS_28", "AVD-AWS-0024"],
    resourceType: "aws_dynamodb_table",
    message: "point-in-time recovery is off: the table cannot be restored to before a bad write",
    fix: "set point_in_time_recovery { enabled = true }",
    check: (view) => hits(view.resources("aws_dynamodb_table"), (t) => bool(block(t.body.point_in_time_recovery).enabled) !== true),
  },
];
