import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { EcsCapacityProvider } from "@cdktf/provider-aws/lib/ecs-capacity-provider";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";

/**
 * The ECS-optimized Amazon Linux 2023 AMI as an SSM parameter, resolved by EC2 at each launch: no
 * data source, no AWS call at plan time, and new instances always get the current patched AMI.
 */
export const ECS_AL2023_AMI = "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";

/**
 * Maximum network interfaces per instance type (EC2 `DescribeInstanceTypes`
 * `NetworkInfo.MaximumNetworkInterfaces`, as listed in the EC2 documentation, "Maximum IP
 * addresses per network interface"). Note that t3a.small has 2, not 3 like t3.small.
 *
 * To use another type, add one line here with the value from
 * `aws ec2 describe-instance-types --instance-types <type> --query "InstanceTypes[].NetworkInfo.MaximumNetworkInterfaces"`.
 */
export const MAX_ENIS: Readonly<Record<string, number>> = Object.freeze({
  "t3.nano": 2,
  "t3.micro": 2,
  "t3.small": 3,
  "t3.medium": 3,
  "t3.large": 3,
  "t3.xlarge": 4,
  "t3.2xlarge": 4,
  "t3a.nano": 2,
  "t3a.micro": 2,
  "t3a.small": 2,
  "t3a.medium": 3,
  "t3a.large": 3,
  "t3a.xlarge": 4,
  "t3a.2xlarge": 4,
  // Nitro general purpose, compute and memory optimized: large 3, xlarge 4, 2xlarge 4, 4xlarge 8.
  ...Object.fromEntries(
    ["m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i"].flatMap((family) =>
      Object.entries({ large: 3, xlarge: 4, "2xlarge": 4, "4xlarge": 8 }).map(([size, enis]) => [`${family}.${size}`, enis]),
    ),
  ),
});

/**
 * Tasks one instance can run in `awsvpc` mode: each task takes its own ENI and the primary ENI
 * stays with the instance, so maxENIs - 1 (t3.small: 3 - 1 = 2). Throws for a type not in
 * {@link MAX_ENIS}.
 */
export function tasksPerInstance(instanceType: string): number {
  const enis = MAX_ENIS[instanceType];
  if (enis === undefined) {
    throw new Error(
      `EcsCapacity: instanceType (instance_type) ${JSON.stringify(instanceType)} is not in the ENI table; known: ${Object.keys(MAX_ENIS).join(", ")}. ` +
        `To add it, put its maximum network interfaces (aws ec2 describe-instance-types --instance-types ${instanceType} ` +
        `--query "InstanceTypes[].NetworkInfo.MaximumNetworkInterfaces") into MAX_ENIS in lib/ecs-capacity.ts.`,
    );
  }
  return enis - 1;
}

export interface EcsCapacityProps {
  /** e.g. `webapp-dev`: the cluster and capacity provider are named this; the launch template and group `<namePrefix>-ecs`. */
  readonly namePrefix: string;
  /** Private subnets the instances launch in (one per AZ). */
  readonly privateSubnetIds: readonly string[];
  /** Security group of the instances (their primary ENI); tasks get their own group in awsvpc mode. */
  readonly instanceSecurityGroupId: string;
  /** Instance profile of the ECS instance role (the launch template takes the ARN). */
  readonly instanceProfileArn: string;
  /** Must be in {@link MAX_ENIS}. @default "t3.small" */
  readonly instanceType?: string;
  /** @default 1 */
  readonly asgMinSize?: number;
  /** @default 4 */
  readonly asgMaxSize?: number;
  /** Initial size only: the capacity provider's managed scaling owns it afterwards. @default asgMinSize */
  readonly asgDesiredCapacity?: number;
  /** gp3 root volume; the AL2023 ECS AMI's snapshot is 30 GiB, so no less. @default 30 */
  readonly rootVolumeSizeGiB?: number;
  /** Blue's plus green's maximum task count: the group at its maximum must have an ENI for each. */
  readonly maxTasks: number;
  /** Container Insights level; "enhanced" adds per-task and per-container metrics (costs more). @default "enabled" */
  readonly containerInsights?: "enabled" | "enhanced";
  /** Managed scaling keeps the group's reservation at this percent; 100 = no idle spare instance. @default 100 */
  readonly targetCapacityPercent?: number;
  /**
   * Roll the instances when the launch template changes (instance type, user data, volume):
   * a new instance starts before an old one goes (100-200 % healthy), and protected instances
   * are replaced too, their tasks drained first by ECS managed draining.
   * @default true
   */
  readonly instanceRefresh?: boolean;
}

/**
 * ECS cluster with Container Insights, a launch template (ECS-optimized AL2023, IMDSv2 only,
 * no public IP, encrypted root volume), an Auto Scaling group in the private subnets, and a
 * capacity provider with managed scaling, termination protection and draining as the cluster's
 * default. Fails at synth when the group cannot hold blue and green at their maximum.
 */
export class EcsCapacity extends Construct {
  public readonly cluster: EcsCluster;
  public readonly launchTemplate: LaunchTemplate;
  public readonly autoScalingGroup: AutoscalingGroup;
  public readonly capacityProvider: EcsCapacityProvider;
  /**
   * The cluster's capacity provider association. Services that name the capacity provider must
   * depend on it, or ECS may reject them as "not associated with the cluster" on first apply.
   */
  public readonly clusterCapacityProviders: EcsClusterCapacityProviders;
  /** Tasks one instance can run in awsvpc mode (max ENIs - 1). */
  public readonly tasksPerInstance: number;
  /** The user data script before base64 (the cluster name is a Terraform reference). */
  public readonly userData: string;

  constructor(scope: Construct, id: string, props: EcsCapacityProps) {
    super(scope, id);
    const name = props.namePrefix;
    const instanceType = props.instanceType ?? "t3.small";
    const min = props.asgMinSize ?? 1;
    const max = props.asgMaxSize ?? 4;
    const desired = props.asgDesiredCapacity ?? min;
    const rootVolumeSizeGiB = props.rootVolumeSizeGiB ?? 30;
    const containerInsights = props.containerInsights ?? "enabled";
    const targetCapacity = props.targetCapacityPercent ?? 100;
    const instanceRefresh = props.instanceRefresh ?? true;

    const fail = (message: string): never => {
      throw new Error(`EcsCapacity: ${message}`);
    };
    const int = (label: string, value: number, lo: number, hi: number) => {
      if (!Number.isInteger(value) || value < lo || value > hi) fail(`${label} must be an integer in ${lo}..${hi}, got ${value}`);
    };
    if (!Token.isUnresolved(name)) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$/.test(name)) fail(`namePrefix must be letters, digits, "-" and "_" (cluster name rules), got ${JSON.stringify(name)}`);
      // ECS rejects capacity provider names with these prefixes.
      if (/^(aws|ecs|fargate)/i.test(name)) fail(`namePrefix names the capacity provider, which may not start with "aws", "ecs" or "fargate"; got ${JSON.stringify(name)}`);
    }
    if (props.privateSubnetIds.length === 0) fail("privateSubnetIds is empty; give at least one private subnet per AZ");
    int("asgMinSize (asg_min_size)", min, 0, 1000);
    int("asgMaxSize (asg_max_size)", max, 1, 1000);
    if (min > max) fail(`asgMinSize (${min}) exceeds asgMaxSize (${max})`);
    if (!Number.isInteger(desired) || desired < min || desired > max) fail(`asgDesiredCapacity ${desired} is outside asgMinSize..asgMaxSize (${min}..${max})`);
    int("rootVolumeSizeGiB (root_volume_size_gib; the AL2023 ECS AMI's snapshot is 30 GiB)", rootVolumeSizeGiB, 30, 16384);
    int("targetCapacityPercent", targetCapacity, 1, 100);
    int("maxTasks", props.maxTasks, 1, 100000);
    if (containerInsights !== "enabled" && containerInsights !== "enhanced") fail(`containerInsights must be "enabled" or "enhanced", got ${JSON.stringify(containerInsights)}`);

    // ENI check: in awsvpc mode each task needs an ENI of its own (see tasksPerInstance).
    this.tasksPerInstance = tasksPerInstance(instanceType);
    const room = max * this.tasksPerInstance;
    if (room < props.maxTasks) {
      const needed = Math.ceil(props.maxTasks / this.tasksPerInstance);
      fail(
        `the Auto Scaling group cannot hold blue and green at their maximum: ${props.maxTasks} tasks need ${props.maxTasks} task ENIs, ` +
          `but asg_max_size ${max} x ${instanceType} (${this.tasksPerInstance} task ENIs each in awsvpc mode: max ENIs - 1) holds ${room}. ` +
          `Raise asg_max_size to ${needed}, choose an instance type with more ENIs, or lower autoscaling_max_capacity.`,
      );
    }

    this.cluster = new EcsCluster(this, "cluster", {
      name,
      setting: [{ name: "containerInsights", value: containerInsights }],
    });

    // Non-secret agent settings only: user data is readable by anyone with ec2:DescribeInstanceAttribute.
    // ECS_ENABLE_TASK_ENI is not set: the ECS-optimized AMI's ecs-init enables awsvpc on its own.
    // Referring to the cluster's name (not the literal) makes instances launch only once the cluster exists.
    this.userData = [
      "#!/bin/bash",
      "cat >> /etc/ecs/ecs.config <<'CONFIG'",
      `ECS_CLUSTER=${this.cluster.name}`,
      // Task IAM roles for bridge/host tasks too; awsvpc tasks get theirs regardless.
      "ECS_ENABLE_TASK_IAM_ROLE=true",
      // awsvpc tasks cannot reach IMDS, so never the instance role's credentials.
      "ECS_AWSVPC_BLOCK_IMDS=true",
      "ECS_ENABLE_CONTAINER_METADATA=true",
      "CONFIG",
      "",
    ].join("\n");

    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name: `${name}-ecs`,
      description: `ECS container instances of cluster ${name}`,
      imageId: ECS_AL2023_AMI,
      instanceType,
      iamInstanceProfile: { arn: props.instanceProfileArn },
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required", // IMDSv2 only
        // One hop: the ECS agent (host network) still reaches IMDS; containers behind a bridge
        // cannot, and awsvpc tasks get credentials from the agent's endpoint, never from IMDS.
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      // The group chooses the subnet; no public IP, the instances reach AWS through the NAT gateway.
      networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: [props.instanceSecurityGroupId] }],
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", ebs: { volumeSize: rootVolumeSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
      ],
      monitoring: { enabled: true },
      userData: Fn.base64encode(this.userData),
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: "instance", tags: { Name: `${name}-ecs` } },
        { resourceType: "volume", tags: { Name: `${name}-ecs` } },
      ],
    });

    this.autoScalingGroup = new AutoscalingGroup(this, "asg", {
      name: `${name}-ecs`,
      vpcZoneIdentifier: [...props.privateSubnetIds],
      minSize: min,
      maxSize: max,
      desiredCapacity: desired,
      launchTemplate: { id: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
      healthCheckType: "EC2",
      healthCheckGracePeriod: 120,
      defaultInstanceWarmup: 120,
      // Managed termination protection needs it: ECS, not the group, decides which instance may go.
      protectFromScaleIn: true,
      // Destroy only: protected instances would otherwise keep the group's deletion waiting forever.
      // The services (and their tasks) are gone by then.
      forceDelete: true,
      instanceRefresh: instanceRefresh
        ? {
            strategy: "Rolling",
            preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200, scaleInProtectedInstances: "Refresh", skipMatching: true },
          }
        : undefined,
      tag: [
        // Required by ECS managed scaling.
        { key: "AmazonECSManaged", value: "true", propagateAtLaunch: true },
        { key: "Name", value: `${name}-ecs`, propagateAtLaunch: true },
      ],
      // The capacity provider's managed scaling owns the desired capacity.
      lifecycle: { ignoreChanges: ["desired_capacity"] },
    });

    this.capacityProvider = new EcsCapacityProvider(this, "capacity-provider", {
      name,
      autoScalingGroupProvider: {
        autoScalingGroupArn: this.autoScalingGroup.arn,
        managedTerminationProtection: "ENABLED",
        // Instances leaving the group (scale-in, refresh) are drained of tasks first.
        managedDraining: "ENABLED",
        managedScaling: { status: "ENABLED", targetCapacity, minimumScalingStepSize: 1, maximumScalingStepSize: max, instanceWarmupPeriod: 120 },
      },
    });

    this.clusterCapacityProviders = new EcsClusterCapacityProviders(this, "cluster-capacity-providers", {
      clusterName: this.cluster.name,
      capacityProviders: [this.capacityProvider.name],
      defaultCapacityProviderStrategy: [{ capacityProvider: this.capacityProvider.name, weight: 1, base: 0 }],
    });
  }
}
