/**
 * AWS facts the config rules need, in one place, each with its source and the date it was read.
 * When AWS adds a region, a security policy or an instance type, add one line here (and, for an
 * instance type, the same ENI figure to MAX_ENIS in lib/ecs-capacity.ts, the construct's own net).
 */

/** An AWS partition: the ARN prefix (`arn:<partition>:`) of every resource in its regions. */
export type Partition = "aws" | "aws-cn" | "aws-us-gov";

export interface RegionFacts {
  readonly partition: Partition;
  /** Availability zones the region has (the most any account sees). */
  readonly zones: number;
}

/**
 * Regions and their partitions and zone counts.
 * Source: AWS Global Infrastructure, "Regions and Availability Zones"
 * (https://aws.amazon.com/about-aws/global-infrastructure/regions_az/) and the AWS General
 * Reference, "AWS Regions"; read 2026-12-06. Zone names are `<region><letter>`; which letters an
 * account sees differs (ap-northeast-1 has a, c, d), so only the count is checked.
 */
export const REGIONS: Readonly<Record<string, RegionFacts>> = Object.freeze({
  "us-east-1": { partition: "aws", zones: 6 },
  "us-east-2": { partition: "aws", zones: 3 },
  "us-west-1": { partition: "aws", zones: 3 },
  "us-west-2": { partition: "aws", zones: 4 },
  "af-south-1": { partition: "aws", zones: 3 },
  "ap-east-1": { partition: "aws", zones: 3 },
  "ap-east-2": { partition: "aws", zones: 3 },
  "ap-south-1": { partition: "aws", zones: 3 },
  "ap-south-2": { partition: "aws", zones: 3 },
  "ap-southeast-1": { partition: "aws", zones: 3 },
  "ap-southeast-2": { partition: "aws", zones: 3 },
  "ap-southeast-3": { partition: "aws", zones: 3 },
  "ap-southeast-4": { partition: "aws", zones: 3 },
  "ap-southeast-5": { partition: "aws", zones: 3 },
  "ap-southeast-6": { partition: "aws", zones: 3 },
  "ap-southeast-7": { partition: "aws", zones: 3 },
  "ap-northeast-1": { partition: "aws", zones: 4 },
  "ap-northeast-2": { partition: "aws", zones: 4 },
  "ap-northeast-3": { partition: "aws", zones: 3 },
  "ca-central-1": { partition: "aws", zones: 3 },
  "ca-west-1": { partition: "aws", zones: 3 },
  "eu-central-1": { partition: "aws", zones: 3 },
  "eu-central-2": { partition: "aws", zones: 3 },
  "eu-west-1": { partition: "aws", zones: 3 },
  "eu-west-2": { partition: "aws", zones: 3 },
  "eu-west-3": { partition: "aws", zones: 3 },
  "eu-south-1": { partition: "aws", zones: 3 },
  "eu-south-2": { partition: "aws", zones: 3 },
  "eu-north-1": { partition: "aws", zones: 3 },
  "il-central-1": { partition: "aws", zones: 3 },
  "me-south-1": { partition: "aws", zones: 3 },
  "me-central-1": { partition: "aws", zones: 3 },
  "mx-central-1": { partition: "aws", zones: 3 },
  "sa-east-1": { partition: "aws", zones: 3 },
  "cn-north-1": { partition: "aws-cn", zones: 3 },
  "cn-northwest-1": { partition: "aws-cn", zones: 3 },
  "us-gov-west-1": { partition: "aws-us-gov", zones: 3 },
  "us-gov-east-1": { partition: "aws-us-gov", zones: 3 },
});

/** The partition the stacks build ARNs for (`arn:aws:`): regions of other partitions are refused. */
export const SUPPORTED_PARTITION: Partition = "aws";

/**
 * ELB security policies for HTTPS listeners of an Application Load Balancer whose minimum
 * protocol is TLS 1.2 or 1.3: the only ones this toolkit accepts. Older policies (TLS 1.0/1.1
 * minimum, e.g. ELBSecurityPolicy-2016-08) are listed in {@link ELB_WEAK_SECURITY_POLICIES} so
 * the message can say why they are refused.
 * Source: Elastic Load Balancing User Guide for ALB, "Security policies for your Application Load
 * Balancer" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html);
 * read 2026-12-06.
 */
export const ELB_SECURITY_POLICIES: readonly string[] = Object.freeze([
  "ELBSecurityPolicy-TLS13-1-2-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
  "ELBSecurityPolicy-TLS13-1-3-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
  "ELBSecurityPolicy-FS-1-2-Res-2020-10",
  "ELBSecurityPolicy-FS-1-2-Res-2019-08",
  "ELBSecurityPolicy-FS-1-2-2019-08",
  "ELBSecurityPolicy-TLS-1-2-2017-01",
  "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
]);

/** Real ELB security policies that allow TLS 1.0 or 1.1: refused, with that reason. Same source. */
export const ELB_WEAK_SECURITY_POLICIES: readonly string[] = Object.freeze([
  "ELBSecurityPolicy-TLS13-1-1-2021-06",
  "ELBSecurityPolicy-TLS13-1-0-2021-06",
  "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
  "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
  "ELBSecurityPolicy-FS-1-1-2019-08",
  "ELBSecurityPolicy-FS-2018-06",
  "ELBSecurityPolicy-TLS-1-1-2017-01",
  "ELBSecurityPolicy-2016-08",
  "ELBSecurityPolicy-2015-05",
  "ELBSecurityPolicy-TLS-1-0-2015-04",
]);

export interface InstanceTypeFacts {
  readonly vcpus: number;
  /** Installed memory. */
  readonly memoryMiB: number;
  /** Maximum network interfaces; in awsvpc mode each task takes one, the primary stays with the instance. */
  readonly maxEnis: number;
}

/**
 * The instance types the toolkit knows (the same set as MAX_ENIS in lib/ecs-capacity.ts).
 * Source: `aws ec2 describe-instance-types` (VCpuInfo.DefaultVCpus, MemoryInfo.SizeInMiB,
 * NetworkInfo.MaximumNetworkInterfaces), as published in the Amazon EC2 Instance Types guide,
 * "Specifications" (https://docs.aws.amazon.com/ec2/latest/instancetypes/); read 2026-12-06.
 */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceTypeFacts>> = Object.freeze({
  "t3.nano": { vcpus: 2, memoryMiB: 512, maxEnis: 2 },
  "t3.micro": { vcpus: 2, memoryMiB: 1024, maxEnis: 2 },
  "t3.small": { vcpus: 2, memoryMiB: 2048, maxEnis: 3 },
  "t3.medium": { vcpus: 2, memoryMiB: 4096, maxEnis: 3 },
  "t3.large": { vcpus: 2, memoryMiB: 8192, maxEnis: 3 },
  "t3.xlarge": { vcpus: 4, memoryMiB: 16384, maxEnis: 4 },
  "t3.2xlarge": { vcpus: 8, memoryMiB: 32768, maxEnis: 4 },
  "t3a.nano": { vcpus: 2, memoryMiB: 512, maxEnis: 2 },
  "t3a.micro": { vcpus: 2, memoryMiB: 1024, maxEnis: 2 },
  "t3a.small": { vcpus: 2, memoryMiB: 2048, maxEnis: 2 },
  "t3a.medium": { vcpus: 2, memoryMiB: 4096, maxEnis: 3 },
  "t3a.large": { vcpus: 2, memoryMiB: 8192, maxEnis: 3 },
  "t3a.xlarge": { vcpus: 4, memoryMiB: 16384, maxEnis: 4 },
  "t3a.2xlarge": { vcpus: 8, memoryMiB: 32768, maxEnis: 4 },
  ...Object.fromEntries(
    (
      [
        ["m5", 4],
        ["m6i", 4],
        ["m7i", 4],
        ["c5", 2],
        ["c6i", 2],
        ["c7i", 2],
        ["r5", 8],
        ["r6i", 8],
      ] as const
    ).flatMap(([family, gibPerVcpu]) =>
      (
        [
          ["large", 2, 3],
          ["xlarge", 4, 4],
          ["2xlarge", 8, 4],
          ["4xlarge", 16, 8],
        ] as const
      ).map(([size, vcpus, maxEnis]) => [`${family}.${size}`, { vcpus, memoryMiB: vcpus * gibPerVcpu * 1024, maxEnis }]),
    ),
  ),
});

/**
 * Memory ECS can give tasks on an instance: the installed memory less what the operating system,
 * the ECS agent and Docker keep. ECS registers a little less than installed (AWS Developer Guide,
 * "Reserving Amazon ECS Linux container instance memory": a t3.small registers about 1.9 of its
 * 2 GiB); this keeps 256 MiB or 10 %, whichever is more, read 2026-12-06.
 */
export function taskMemoryAvailableMiB(t: InstanceTypeFacts): number {
  return t.memoryMiB - Math.max(256, Math.ceil(t.memoryMiB * 0.1));
}

/** Tags AWS allows per resource (the provider's default_tags count too). Source: Tagging AWS resources, "Tag naming limits"; read 2026-12-06. */
export const MAX_TAGS_PER_RESOURCE = 50;
/** The character set IAM and most services allow in tag keys and values (same source). */
export const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
