import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { EcsCapacityProvider } from "@cdktf/provider-aws/lib/ecs-capacity-provider";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Construct } from "constructs";

/** The ECS-optimized Amazon Linux 2023 AMI, resolved by EC2 at launch (no data source, no AWS call at plan). */
export const ECS_AL2023_AMI = "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";

/**
 * Maximum network interfaces per instance type (AWS EC2 documentation, "Maximum IP addresses per
 * network interface"). In `awsvpc` mode every task takes one ENI and the primary ENI stays with
 * the instance. Add a type here to use it.
 */
export const MAX_ENIS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  const sizes = (families: string[], bySize: Record<string, number>) => {
    for (const f of families) for (const [size, enis] of Object.entries(bySize)) table[`${f}.${size}`] = enis;
  };
  sizes(["t3", "t3a"], { nano: 2, micro: 2, small: 3, medium: 3, large: 3, xlarge: 4, "2xlarge": 4 });
  sizes(["m5", "m5a", "m6i", "m6a", "m7i", "m7a", "c5", "c6i", "c6a", "c7i", "r5", "r6i", "r7i"], { large: 3, xlarge: 4, "2xlarge": 4, "4xlarge": 8 });
  return table;
})();

export function tasksPerInstance(instanceType: string): number {
  const enis = MAX_ENIS[instanceType];
  if (enis === undefined) {
    throw new Error(
      `EcsCapacity: instance type ${JSON.stringify(instanceType)} is not in the ENI table (lib/ecs-capacity.ts MAX_ENIS); ` +
        `known: ${Object.keys(MAX_ENIS).join(", ")}. Add it with its maximum network interfaces from the EC2 documentation.`,
    );
  }
  return enis - 1;
}

export interface EcsCapacityProps {
  /** e.g. `webapp-dev`: names the cluster, launch template, group and capacity provider. */
  readonly namePrefix: string;
  readonly privateSubnetIds: readonly string[];
  readonly instanceSecurityGroupId: string;
  readonly instanceProfileArn: string;
  /** @default "t3.small" */
  readonly instanceType?: string;
  /** @default 1 */
  readonly asgMinSize?: number;
  /** @default 4 */
  readonly asgMaxSize?: number;
  /** Initial size; managed scaling owns it afterwards. @default asgMinSize */
  readonly asgDesiredCapacity?: number;
  /** @default 30 */
  readonly rootVolumeSizeGiB?: number;
  /** Blue and green at their maximum task counts: the group must be able to hold them all. */
  readonly maxTasks: number;
  /** @default "enabled" */
  readonly containerInsights?: "enabled" | "enhanced";
  /** Managed scaling target utilisation. @default 100 */
  readonly targetCapacityPercent?: number;
}

/**
 * ECS cluster with Container Insights, a launch template (ECS-optimized AL2023, IMDSv2 only,
 * no public IP, encrypted root volume), an Auto Scaling group in the private subnets, and a
 * capacity provider with managed scaling and termination protection as the cluster default.
 */
export class EcsCapacity extends Construct {
  public readonly cluster: EcsCluster;
  public readonly launchTemplate: LaunchTemplate;
  public readonly autoScalingGroup: AutoscalingGroup;
  public readonly capacityProvider: EcsCapacityProvider;
  public readonly tasksPerInstance: number;
  /** The user data script (before base64), for review. */
  public readonly userData: string;

  constructor(scope: Construct, id: string, props: EcsCapacityProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? "t3.small";
    const min = props.asgMinSize ?? 1;
    const max = props.asgMaxSize ?? 4;
    const desired = props.asgDesiredCapacity ?? min;
    const rootVolumeSizeGiB = props.rootVolumeSizeGiB ?? 30;
    const targetCapacity = props.targetCapacityPercent ?? 100;
    if (min > max) throw new Error(`EcsCapacity: asgMinSize (${min}) exceeds asgMaxSize (${max})`);
    if (desired < min || desired > max) throw new Error(`EcsCapacity: asgDesiredCapacity ${desired} is outside ${min}..${max}`);
    if (rootVolumeSizeGiB < 30) throw new Error(`EcsCapacity: rootVolumeSizeGiB must be >= 30 (the AL2023 ECS AMI's snapshot size), got ${rootVolumeSizeGiB}`);
    if (targetCapacity < 1 || targetCapacity > 100) throw new Error(`EcsCapacity: targetCapacityPercent must be 1..100, got ${targetCapacity}`);
    this.tasksPerInstance = tasksPerInstance(instanceType);
    const room = max * this.tasksPerInstance;
    if (room < props.maxTasks) {
      const needed = Math.ceil(props.maxTasks / this.tasksPerInstance);
      throw new Error(
        `EcsCapacity: the Auto Scaling group cannot hold blue and green at their maximum: ${props.maxTasks} tasks need ${props.maxTasks} ENIs, ` +
          `but ${max} x ${instanceType} (${this.tasksPerInstance} task ENIs each in awsvpc mode) hold ${room}. ` +
          `Raise asg_max_size to ${needed}, choose an instance type with more ENIs, or lower autoscaling_max_capacity.`,
      );
    }

    const name = props.namePrefix;
    this.cluster = new EcsCluster(this, "cluster", {
      name,
      setting: [{ name: "containerInsights", value: props.containerInsights ?? "enabled" }],
    });

    this.userData = [
      "#!/bin/bash",
      "# Join the cluster; keep awsvpc tasks away from the instance's metadata and credentials.",
      "cat >> /etc/ecs/ecs.config <<'CONFIG'",
      `ECS_CLUSTER=${name}`,
      "ECS_ENABLE_TASK_IAM_ROLE=true",
      "ECS_AWSVPC_BLOCK_IMDS=true",
      "ECS_ENABLE_CONTAINER_METADATA=true",
      "CONFIG",
      "",
    ].join("\n");

    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name: `${name}-ecs`,
      imageId: ECS_AL2023_AMI,
      instanceType,
      iamInstanceProfile: { arn: props.instanceProfileArn },
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required", // IMDSv2 only
        // 1 hop: the ECS agent (host network) reaches IMDS; awsvpc tasks never need it.
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      },
      networkInterfaces: [{ associatePublicIpAddress: "false", deleteOnTermination: "true", securityGroups: [props.instanceSecurityGroupId] }],
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", ebs: { volumeSize: rootVolumeSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
      ],
      monitoring: { enabled: true },
      userData: Buffer.from(this.userData).toString("base64"),
      updateDefaultVersion: true,
      tagSpecifications: [{ resourceType: "instance", tags: { Name: `${name}-ecs` } }, { resourceType: "volume", tags: { Name: `${name}-ecs` } }],
    });

    this.autoScalingGroup = new AutoscalingGroup(this, "asg", {
      name: `${name}-ecs`,
      vpcZoneIdentifier: [...props.privateSubnetIds],
      minSize: min,
      maxSize: max,
      desiredCapacity: desired,
      launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
      healthCheckType: "EC2",
      healthCheckGracePeriod: 120,
      // Managed termination protection needs it: ECS decides which instances may go.
      protectFromScaleIn: true,
      defaultInstanceWarmup: 120,
      tag: [
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
        managedDraining: "ENABLED",
        managedScaling: { status: "ENABLED", targetCapacity, minimumScalingStepSize: 1, maximumScalingStepSize: 4, instanceWarmupPeriod: 120 },
      },
    });

    new EcsClusterCapacityProviders(this, "cluster-capacity-providers", {
      clusterName: this.cluster.name,
      capacityProviders: [this.capacityProvider.name],
      defaultCapacityProviderStrategy: [{ capacityProvider: this.capacityProvider.name, weight: 1, base: 0 }],
    });
  }
}
