import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { AccessLogBucket, type AccessLogBucketProps, elbLogDeliveryPrincipal } from "../lib/access-log-bucket";
import { resourcesOf, synthWith } from "./support/scope";

const synth = (props: Partial<AccessLogBucketProps> = {}) => synthWith((s) => new AccessLogBucket(s, "logs", { namePrefix: "svc-prod", region: "eu-west-1", accountId: "111111111111", ...props }));

describe("AccessLogBucket", () => {
  test("defaults: encrypted, public access blocked, ACLs off, versioned, a year of logs, TLS only, ELB may write this prefix only", () => {
    const s = synth();
    expect(s).toHaveResourceWithProperties(S3Bucket, { bucket_prefix: "svc-prod-alb-logs-" });
    expect(s).toHaveResourceWithProperties(S3BucketPublicAccessBlock, { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(s).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: "BucketOwnerEnforced" } });
    expect(s).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    const [enc] = Object.values(resourcesOf(s, "aws_s3_bucket_server_side_encryption_configuration"));
    expect(enc.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("AES256");
    const [lifecycle] = Object.values(resourcesOf(s, "aws_s3_bucket_lifecycle_configuration"));
    expect(lifecycle.rule[0].expiration).toEqual([{ days: 365 }]);
    const [bucketName] = Object.keys(resourcesOf(s, "aws_s3_bucket"));
    const policy = JSON.parse(Object.values(resourcesOf(s, "aws_s3_bucket_policy"))[0].policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "ElbWritesAccessLogs",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::156460612806:root" },
        Action: ["s3:PutObject"],
        Resource: [`\${aws_s3_bucket.${bucketName}.arn}/svc-prod/AWSLogs/111111111111/*`],
      },
      expect.objectContaining({ Sid: "DenyInsecureTransport", Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
  });

  test("override: expiry days", () => {
    const [lifecycle] = Object.values(resourcesOf(synth({ expiryDays: 90 }), "aws_s3_bucket_lifecycle_configuration"));
    expect(lifecycle.rule[0].expiration).toEqual([{ days: 90 }]);
  });

  test("regions opened after August 2022 use the log delivery service principal", () => {
    expect(elbLogDeliveryPrincipal("us-east-1")).toEqual({ AWS: "arn:aws:iam::127311923021:root" });
    expect(elbLogDeliveryPrincipal("eu-central-2")).toEqual({ Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
  });

  test.each<[string, Partial<AccessLogBucketProps>, RegExp]>([
    ["expiry days is 0", { expiryDays: 0 }, /expiryDays must be a whole number 1..3650, got 0/],
    ["the prefix is too long for a bucket prefix", { namePrefix: "a".repeat(27) }, /at most 26 characters/],
  ])("throws when %s", (_n, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
