import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { policy, type Statement } from "./iam-policy";

/**
 * The Elastic Load Balancing account that writes access logs in each region opened before
 * August 2022 (ELB user guide, "Enable access logs", step 2). Newer regions use the service
 * principal `logdelivery.elasticloadbalancing.amazonaws.com` instead.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-southeast-3": "589379963580",
  "ap-south-1": "718504428378",
  "ap-northeast-3": "383597477331",
  "ap-northeast-2": "600734575887",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-northeast-1": "582318560864",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-south-1": "635631232127",
  "eu-west-3": "009996457667",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
  "us-gov-west-1": "048591011584",
  "us-gov-east-1": "190560391635",
  "cn-north-1": "638102146993",
  "cn-northwest-1": "037604701340",
};

/** Who delivers a region's ALB access logs: its ELB account, or the log delivery service. Pure. */
export function elbLogDeliveryPrincipal(region: string, partition = "aws"): Record<string, string> {
  const account = ELB_LOG_ACCOUNTS[region];
  return account ? { AWS: `arn:${partition}:iam::${account}:root` } : { Service: "logdelivery.elasticloadbalancing.amazonaws.com" };
}

/** The bucket policy: ELB may write this load balancer's logs; nobody may use plain HTTP. Pure. */
export function accessLogBucketStatements(input: { bucketArn: string; logPrefix: string; accountId: string; region: string; partition: string }): Statement[] {
  return [
    {
      Sid: "ElbWritesAccessLogs",
      Effect: "Allow",
      Principal: elbLogDeliveryPrincipal(input.region, input.partition),
      Action: ["s3:PutObject"],
      Resource: [`${input.bucketArn}/${input.logPrefix}/AWSLogs/${input.accountId}/*`],
    },
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: ["s3:*"],
      Resource: [input.bucketArn, `${input.bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ];
}

export interface AccessLogBucketProps {
  /** e.g. `webapp-prod`: the bucket is `<namePrefix>-alb-logs-<suffix>`, the logs under `<namePrefix>/`. At most 26 characters. */
  readonly namePrefix: string;
  readonly region: string;
  /** The stack's account (a token at synth): ELB writes under `AWSLogs/<account>/`. */
  readonly accountId: string;
  /** Days before a log object expires (and a replaced version is removed). @default 365 */
  readonly expiryDays?: number;
  /** @default "aws" */
  readonly partition?: string;
}

/**
 * The S3 bucket ALB access logs go to: encrypted (SSE-S3, the only encryption ALB log
 * delivery supports), public access blocked, ACLs off, TLS only, versioned, with lifecycle
 * expiry, and the regional ELB log-delivery permission for this load balancer's prefix only.
 */
export class AccessLogBucket extends Construct {
  public readonly bucket: S3Bucket;
  /** Set `dependsOn` on the load balancer to it: ELB checks the permission when logs are enabled. */
  public readonly policy: S3BucketPolicy;
  /** Prefix of the logs in the bucket (`namePrefix`). */
  public readonly logPrefix: string;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    const expiryDays = props.expiryDays ?? 365;
    if (!Number.isInteger(expiryDays) || expiryDays < 1 || expiryDays > 3650) throw new Error(`AccessLogBucket: expiryDays must be a whole number 1..3650, got ${expiryDays}`);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(props.namePrefix) || props.namePrefix.length > 26) {
      throw new Error(`AccessLogBucket: namePrefix must be lowercase letters, digits and hyphens, at most 26 characters, got ${JSON.stringify(props.namePrefix)}`);
    }
    this.logPrefix = props.namePrefix;
    this.bucket = new S3Bucket(this, "bucket", { bucketPrefix: `${props.namePrefix}-alb-logs-` });
    new S3BucketVersioningA(this, "versioning", { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      // ALB log delivery supports SSE-S3 only (ELB user guide, "Access log files").
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    new S3BucketPublicAccessBlock(this, "public-access-block", { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketOwnershipControls(this, "ownership", { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: policy(accessLogBucketStatements({ bucketArn: this.bucket.arn, logPrefix: this.logPrefix, accountId: props.accountId, region: props.region, partition: props.partition ?? "aws" })),
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "expire-access-logs",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: expiryDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
  }
}
