import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { TASK_CPU_MEMORY } from "./config/schema";
import type { Colour } from "./config/types";

export const CONTAINER_NAME = "app";

export interface ColourServiceProps {
  readonly colour: Colour;
  /** e.g. `webapp-dev`: family and service are `<namePrefix>-<colour>`. */
  readonly namePrefix: string;
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly capacityProviderName: string;
  /** Full image reference, `<repository-url>:<tag>`. */
  readonly image: string;
  readonly containerPort: number;
  /** Task CPU units. @default 256 */
  readonly cpu?: number;
  /** Task memory. @default 512 */
  readonly memoryMiB?: number;
  readonly executionRoleArn: string;
  readonly taskRoleArn: string;
  readonly logGroupName: string;
  readonly region: string;
  /** Environment variable name -> SSM parameter ARN, injected as secrets. @default {} */
  readonly secrets?: Readonly<Record<string, string>>;
  /** This colour's target group: the service registers with no other. */
  readonly targetGroupArn: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** Tasks at creation; autoscaling owns the count afterwards. @default 1 */
  readonly desiredCount?: number;
  /** @default 60 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** How long a task gets after SIGTERM; above the target group's deregistration delay. @default deregistrationDelaySeconds + 15, at most 120 */
  readonly stopTimeoutSeconds?: number;
  /** The target group's deregistration delay, to check the stop timeout against. */
  readonly deregistrationDelaySeconds: number;
  /** User the container runs as; "" keeps the image's own. @default "1000" */
  readonly containerUser?: string;
  /** Read-only root filesystem; off by default because many images write to /tmp. @default false */
  readonly readonlyRootFilesystem?: boolean;
  /** @default 1 */
  readonly autoscalingMinCapacity?: number;
  /** @default 4 */
  readonly autoscalingMaxCapacity?: number;
  /** @default 70 */
  readonly cpuTarget?: number;
  /** @default 75 */
  readonly memoryTarget?: number;
  /** @default 300 */
  readonly scaleInCooldownSeconds?: number;
  /** @default 60 */
  readonly scaleOutCooldownSeconds?: number;
  /** Listeners the target group must be attached to before the service is created. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * One colour: its task definition, its ECS service behind its own target group only, and its
 * autoscaling. Used once for blue and once for green, so a revision never mixes with another.
 */
export class ColourService extends Construct {
  public readonly taskDefinition: EcsTaskDefinition;
  public readonly service: EcsService;
  public readonly scalableTarget: AppautoscalingTarget;
  public readonly containerName = CONTAINER_NAME;
  /** The container definitions as sent to ECS (JSON). */
  public readonly containerDefinitions: string;

  constructor(scope: Construct, id: string, props: ColourServiceProps) {
    super(scope, id);
    const cpu = props.cpu ?? 256;
    const memory = props.memoryMiB ?? 512;
    const desired = props.desiredCount ?? 1;
    const minCapacity = props.autoscalingMinCapacity ?? 1;
    const maxCapacity = props.autoscalingMaxCapacity ?? 4;
    const stopTimeout = props.stopTimeoutSeconds ?? Math.min(120, props.deregistrationDelaySeconds + 15);
    const user = props.containerUser ?? "1000";
    const fail = (msg: string): never => {
      throw new Error(`ColourService(${props.colour}): ${msg}`);
    };
    if (props.colour !== "blue" && props.colour !== "green") fail(`colour must be "blue" or "green", got ${JSON.stringify(props.colour)}`);
    if (stopTimeout > 120) fail(`stopTimeoutSeconds ${stopTimeout} exceeds ECS's maximum of 120`);
    if (stopTimeout <= props.deregistrationDelaySeconds) {
      fail(`stopTimeoutSeconds (${stopTimeout}) must exceed the deregistration delay (${props.deregistrationDelaySeconds}) so tasks finish in-flight requests while draining`);
    }
    if (minCapacity > maxCapacity) fail(`autoscalingMinCapacity (${minCapacity}) exceeds autoscalingMaxCapacity (${maxCapacity})`);
    if (desired < minCapacity || desired > maxCapacity) fail(`desiredCount ${desired} is outside the autoscaling range ${minCapacity}..${maxCapacity}`);
    const range = TASK_CPU_MEMORY[cpu];
    if (!range) fail(`cpu ${cpu} is not a valid task size; use one of ${Object.keys(TASK_CPU_MEMORY).join(", ")}`);
    if (memory < range[0] || memory > range[1]) fail(`memoryMiB ${memory} does not fit cpu ${cpu} (allowed ${range[0]}..${range[1]})`);

    const name = `${props.namePrefix}-${props.colour}`;
    this.containerDefinitions = JSON.stringify([
      {
        name: CONTAINER_NAME,
        image: props.image,
        essential: true,
        portMappings: [{ containerPort: props.containerPort, protocol: "tcp" }],
        environment: [{ name: "COLOR", value: props.colour }],
        // Secrets come from SSM by ARN at task start; never as plain environment values.
        secrets: Object.entries(props.secrets ?? {}).map(([envName, arn]) => ({ name: envName, valueFrom: arn })),
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": props.logGroupName, "awslogs-region": props.region, "awslogs-stream-prefix": props.colour },
        },
        stopTimeout,
        ...(user ? { user } : {}),
        privileged: false,
        readonlyRootFilesystem: props.readonlyRootFilesystem ?? false,
        linuxParameters: { initProcessEnabled: true },
      },
    ]);

    this.taskDefinition = new EcsTaskDefinition(this, "task-definition", {
      family: name,
      networkMode: "awsvpc",
      requiresCompatibilities: ["EC2"],
      cpu: String(cpu),
      memory: String(memory),
      executionRoleArn: props.executionRoleArn,
      taskRoleArn: props.taskRoleArn,
      containerDefinitions: this.containerDefinitions,
      tags: { Color: props.colour },
    });

    this.service = new EcsService(this, "service", {
      name,
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: desired,
      capacityProviderStrategy: [{ capacityProvider: props.capacityProviderName, weight: 1, base: 0 }],
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds ?? 60,
      loadBalancer: [{ targetGroupArn: props.targetGroupArn, containerName: CONTAINER_NAME, containerPort: props.containerPort }],
      networkConfiguration: { subnets: [...props.subnetIds], securityGroups: [...props.securityGroupIds], assignPublicIp: false },
      orderedPlacementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      // Deploys return at once; `ecs-shift` checks target health before moving any traffic.
      waitForSteadyState: false,
      tags: { Color: props.colour },
      dependsOn: props.dependsOn,
      // Autoscaling owns the task count after creation.
      lifecycle: { ignoreChanges: ["desired_count"] },
    });

    this.scalableTarget = new AppautoscalingTarget(this, "scaling-target", {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: `service/${props.clusterName}/${name}`,
      minCapacity,
      maxCapacity,
      dependsOn: [this.service],
    });
    const tracking = (metric: "CPU" | "Memory", target: number) =>
      new AppautoscalingPolicy(this, `scale-${metric.toLowerCase()}`, {
        name: `${name}-${metric.toLowerCase()}`,
        policyType: "TargetTrackingScaling",
        serviceNamespace: this.scalableTarget.serviceNamespace,
        scalableDimension: this.scalableTarget.scalableDimension,
        resourceId: this.scalableTarget.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: `ECSServiceAverage${metric}Utilization` },
          targetValue: target,
          scaleInCooldown: props.scaleInCooldownSeconds ?? 300,
          scaleOutCooldown: props.scaleOutCooldownSeconds ?? 60,
        },
      });
    tracking("CPU", props.cpuTarget ?? 70);
    tracking("Memory", props.memoryTarget ?? 75);
  }
}
