import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { STATE_STACK_ID, type StateConfig } from "../lib/config/backend";

export interface StateBackendStackProps {
  /** The validated `config/state.hcl`. */
  readonly config: StateConfig;
}

export { STATE_STACK_ID };

/**
 * Remote state for every environment, created once per account before them: an S3 bucket
 * (versioned, SSE-KMS, fully private, TLS only, old versions expired) for S3 native locking
 * (`use_lockfile`, Terraform >= 1.10), and, only when `dynamodb_table` is set, a lock table for
 * older Terraform. Both refuse `terraform destroy` (`prevent_destroy`).
 *
 * Its own state stays local (`terraform.state.tfstate` in the project): the bucket cannot hold
 * the state of the stack that creates it before it exists. Everything here can be re-imported
 * by name should that file be lost.
 */
export class StateBackendStack extends TerraformStack {
  public readonly bucket: S3Bucket;
  public readonly lockTable?: DynamodbTable;

  constructor(scope: Construct, id: string, props: StateBackendStackProps) {
    super(scope, id);
    const c = props.config;

    new AwsProvider(this, "aws", {
      region: c.region,
      allowedAccountIds: c.awsAccountId ? [c.awsAccountId] : undefined,
      defaultTags: [{ tags: { ...c.tags, ManagedBy: "cdktf", Stack: STATE_STACK_ID } }],
    });

    this.bucket = new S3Bucket(this, "bucket", {
      bucket: c.bucket,
      // Deleting the bucket would delete every environment's state: never by Terraform.
      forceDestroy: false,
      lifecycle: { preventDestroy: true },
    });
    new S3BucketVersioningA(this, "versioning", {
      bucket: this.bucket.id,
      // Every state write keeps the previous version: a bad apply or a corrupt write can be rolled back.
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [
        {
          // SSE-KMS with the AWS-managed key: no key policy to maintain, and every principal the
          // bucket admits can use it through S3. A customer-managed key would need grants for
          // the plan and deploy roles of every environment.
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" },
          bucketKeyEnabled: true,
        },
      ],
    });
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      // ACLs off: access is decided by IAM and the bucket policy alone.
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
          {
            Sid: "DenyOutdatedTls",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
          },
        ],
      }),
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "expire-old-state-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: c.noncurrentVersionExpirationDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });

    if (c.dynamodbTable) {
      this.lockTable = new DynamodbTable(this, "lock-table", {
        name: c.dynamodbTable,
        billingMode: "PAY_PER_REQUEST",
        hashKey: "LockID",
        attribute: [{ name: "LockID", type: "S" }],
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        deletionProtectionEnabled: true,
        lifecycle: { preventDestroy: true },
      });
    }

    new TerraformOutput(this, "state_bucket", { value: this.bucket.bucket, description: "S3 bucket of every environment's state (bucket in config/backend-<env>.hcl)" });
    new TerraformOutput(this, "state_region", { value: c.region, description: "Region of the state bucket (region in config/backend-<env>.hcl)" });
    if (this.lockTable) new TerraformOutput(this, "lock_table", { value: this.lockTable.name, description: "DynamoDB lock table (dynamodb_table in config/backend-<env>.hcl)" });
  }
}
