import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { TASK_CPU_MEMORY } from "./config/schema";
import { COLOURS, type Colour } from "./config/types";

/** The one container of every task; the target group registers it by this name. */
export const CONTAINER_NAME = "app";

/** ECS's upper bound for a container's stopTimeout, in seconds. */
export const MAX_STOP_TIMEOUT_SECONDS = 120;

export interface ColourServiceProps {
  /** Which colour this is: names the family, the service, the log stream prefix, `COLOR` and the `Color` tag. */
  readonly colour: Colour;
  /** e.g. `webapp-dev`: task family and service are `<namePrefix>-<colour>`. */
  readonly namePrefix: string;
  readonly clusterArn: string;
  /** For the autoscaling resource id `service/<cluster>/<service>`. */
  readonly clusterName: string;
  /** The cluster's EC2 capacity provider (place the tasks there, never on Fargate). */
  readonly capacityProviderName: string;
  /** Full image reference, `<repository-url>:<tag>` (or `@sha256:<digest>`). */
  readonly image: string;
  readonly containerPort: number;
  /** Task CPU units: 256, 512, 1024, ... @default 256 */
  readonly cpu?: number;
  /** Task memory, within the range allowed for `cpu`. @default 512 */
  readonly memoryMiB?: number;
  /** Role the ECS agent uses for the task: pull the image, write logs, read the secrets. */
  readonly executionRoleArn: string;
  /** Role the application itself runs with. */
  readonly taskRoleArn: string;
  /** This colour's log group. */
  readonly logGroupName: string;
  readonly region: string;
  /** Environment variable name -> SSM parameter ARN, injected as ECS secrets at task start. @default {} */
  readonly secrets?: Readonly<Record<string, string>>;
  /** This colour's target group: the service registers with no other. */
  readonly targetGroupArn: string;
  /** Private subnets for the task ENIs. */
  readonly subnetIds: readonly string[];
  /** Security groups of the task ENIs. */
  readonly securityGroupIds: readonly string[];
  /** Tasks at creation; autoscaling owns the count afterwards. @default 1 */
  readonly desiredCount?: number;
  /** Seconds ECS ignores failing load balancer health checks after a task starts. @default 60 */
  readonly healthCheckGracePeriodSeconds?: number;
  /**
   * Seconds between SIGTERM and SIGKILL: greater than the target group's deregistration delay,
   * so the app gets at least as long to finish its work as connections get to drain; at most 120.
   * @default deregistrationDelaySeconds + 15, at most 120
   */
  readonly stopTimeoutSeconds?: number;
  /** The target group's deregistration delay, to check the stop timeout against. */
  readonly deregistrationDelaySeconds: number;
  /** User (and group, `uid:gid`) the container runs as; "" keeps the image's own. @default "1000" */
  readonly containerUser?: string;
  /**
   * Read-only root filesystem, with a 64 MiB tmpfs on /tmp. Off by default because many images
   * write to their working directory or /var at runtime and would fail to start; turn it on once
   * the image is known not to.
   * @default false
   */
  readonly readonlyRootFilesystem?: boolean;
  /** @default 1 */
  readonly autoscalingMinCapacity?: number;
  /** @default 4 */
  readonly autoscalingMaxCapacity?: number;
  /** Target average CPU utilisation, percent. @default 70 */
  readonly cpuTarget?: number;
  /** Target average memory utilisation, percent. @default 75 */
  readonly memoryTarget?: number;
  /** @default 300 */
  readonly scaleInCooldownSeconds?: number;
  /** @default 60 */
  readonly scaleOutCooldownSeconds?: number;
  /**
   * Created before the service: the listeners (and rule) that attach the target group to the
   * load balancer, and the cluster's capacity provider association.
   * @default []
   */
  readonly dependsOn?: ITerraformDependable[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SSM_PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+$/;
const IMAGE_REFERENCE = /(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;

/**
 * One colour: its task definition, its ECS service behind its own target group only, and its
 * autoscaling. Used once for blue and once for green, so a revision never mixes with another.
 */
export class ColourService extends Construct {
  public readonly taskDefinition: EcsTaskDefinition;
  public readonly service: EcsService;
  public readonly scalableTarget: AppautoscalingTarget;
  public readonly scalingPolicies: { readonly cpu: AppautoscalingPolicy; readonly memory: AppautoscalingPolicy };
  public readonly containerName = CONTAINER_NAME;
  /** The container definitions as sent to ECS (JSON). */
  public readonly containerDefinitions: string;

  constructor(scope: Construct, id: string, props: ColourServiceProps) {
    super(scope, id);
    const colour = props.colour;
    const cpu = props.cpu ?? 256;
    const memory = props.memoryMiB ?? 512;
    const secrets = props.secrets ?? {};
    const desired = props.desiredCount ?? 1;
    const grace = props.healthCheckGracePeriodSeconds ?? 60;
    const drain = props.deregistrationDelaySeconds;
    const stopTimeout = props.stopTimeoutSeconds ?? Math.min(MAX_STOP_TIMEOUT_SECONDS, drain + 15);
    const user = props.containerUser ?? "1000";
    const readonlyRoot = props.readonlyRootFilesystem ?? false;
    const minCapacity = props.autoscalingMinCapacity ?? 1;
    const maxCapacity = props.autoscalingMaxCapacity ?? 4;
    const cpuTarget = props.cpuTarget ?? 70;
    const memoryTarget = props.memoryTarget ?? 75;
    const scaleIn = props.scaleInCooldownSeconds ?? 300;
    const scaleOut = props.scaleOutCooldownSeconds ?? 60;

    const fail = (message: string): never => {
      throw new Error(`ColourService(${String(colour)}): ${message}`);
    };
    const int = (label: string, value: number, lo: number, hi: number) => {
      if (!Number.isInteger(value) || value < lo || value > hi) fail(`${label} must be an integer in ${lo}..${hi}, got ${value}`);
    };
    if (!COLOURS.includes(colour)) fail(`colour must be one of ${COLOURS.map((c) => `"${c}"`).join(", ")}, got ${JSON.stringify(colour)}`);
    int("containerPort", props.containerPort, 1, 65535);
    if (!Token.isUnresolved(props.image) && !IMAGE_REFERENCE.test(props.image)) {
      fail(`image must be a full reference "<repository-url>:<tag>" or "...@sha256:<digest>", got ${JSON.stringify(props.image)}`);
    }
    const range = TASK_CPU_MEMORY[cpu];
    if (!range) fail(`cpu ${cpu} is not a valid task size; use one of ${Object.keys(TASK_CPU_MEMORY).join(", ")}`);
    if (!Number.isInteger(memory) || memory < range[0] || memory > range[1]) fail(`memoryMiB ${memory} does not fit cpu ${cpu} (allowed ${range[0]}..${range[1]})`);
    int("deregistrationDelaySeconds", drain, 0, 3600);
    int("stopTimeoutSeconds", stopTimeout, 1, Number.MAX_SAFE_INTEGER);
    if (stopTimeout > MAX_STOP_TIMEOUT_SECONDS) fail(`stopTimeoutSeconds ${stopTimeout} exceeds ECS's maximum of ${MAX_STOP_TIMEOUT_SECONDS}`);
    if (stopTimeout <= drain) {
      fail(
        `stopTimeoutSeconds (${stopTimeout}) must exceed the deregistration delay (${drain}), so the app gets at least as long to finish ` +
          `as connections get to drain; raise stop_timeout_seconds or lower deregistration_delay_seconds`,
      );
    }
    int("healthCheckGracePeriodSeconds", grace, 0, 2147483647);
    int("autoscalingMinCapacity", minCapacity, 0, 10000);
    int("autoscalingMaxCapacity", maxCapacity, 1, 10000);
    if (minCapacity > maxCapacity) fail(`autoscalingMinCapacity (${minCapacity}) exceeds autoscalingMaxCapacity (${maxCapacity})`);
    if (!Number.isInteger(desired) || desired < minCapacity || desired > maxCapacity) {
      fail(`desiredCount ${desired} is outside the autoscaling range ${minCapacity}..${maxCapacity}`);
    }
    int("cpuTarget (percent)", cpuTarget, 1, 100);
    int("memoryTarget (percent)", memoryTarget, 1, 100);
    int("scaleInCooldownSeconds", scaleIn, 0, 86400);
    int("scaleOutCooldownSeconds", scaleOut, 0, 86400);
    for (const [envName, arn] of Object.entries(secrets)) {
      if (!ENV_NAME.test(envName) || envName === "COLOR") fail(`secret name ${JSON.stringify(envName)} must be an environment variable name other than COLOR`);
      if (!Token.isUnresolved(arn) && !SSM_PARAMETER_ARN.test(arn)) fail(`secret ${envName} must be an SSM parameter ARN, got ${JSON.stringify(arn)}`);
    }
    if (props.subnetIds.length === 0) fail("subnetIds is empty");
    if (props.securityGroupIds.length === 0) fail("securityGroupIds is empty");

    const name = `${props.namePrefix}-${colour}`;
    this.containerDefinitions = JSON.stringify([
      {
        name: CONTAINER_NAME,
        image: props.image,
        essential: true,
        portMappings: [{ containerPort: props.containerPort, protocol: "tcp" }],
        environment: [{ name: "COLOR", value: colour }],
        // Secrets come from SSM by ARN, read by the agent at task start with the execution role:
        // never plain `environment` values, never in the task definition.
        secrets: Object.entries(secrets).map(([envName, arn]) => ({ name: envName, valueFrom: arn })),
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": props.logGroupName, "awslogs-region": props.region, "awslogs-stream-prefix": colour },
        },
        stopTimeout,
        ...(user ? { user } : {}),
        privileged: false,
        readonlyRootFilesystem: readonlyRoot,
        // An init process forwards SIGTERM to the app and reaps zombies; no capabilities are added.
        linuxParameters: { initProcessEnabled: true, ...(readonlyRoot ? { tmpfs: [{ containerPath: "/tmp", size: 64 }] } : {}) },
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
      tags: { Color: colour },
    });

    this.service = new EcsService(this, "service", {
      name,
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: desired,
      capacityProviderStrategy: [{ capacityProvider: props.capacityProviderName, weight: 1, base: 0 }],
      // Never below the running count during a deployment; new tasks start before old ones stop.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriodSeconds: grace,
      loadBalancer: [{ targetGroupArn: props.targetGroupArn, containerName: CONTAINER_NAME, containerPort: props.containerPort }],
      networkConfiguration: { subnets: [...props.subnetIds], securityGroups: [...props.securityGroupIds], assignPublicIp: false },
      orderedPlacementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      // `cdktf deploy` returns once ECS accepts the deployment; the circuit breaker rolls a bad one
      // back, and `ecs-shift` checks target health before it moves any traffic to this colour.
      waitForSteadyState: false,
      tags: { Color: colour },
      dependsOn: props.dependsOn,
      // Autoscaling owns the task count after creation.
      lifecycle: { ignoreChanges: ["desired_count"] },
    });

    this.scalableTarget = new AppautoscalingTarget(this, "scaling-target", {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: `service/${props.clusterName}/${this.service.name}`,
      minCapacity,
      maxCapacity,
    });
    const tracking = (metric: "cpu" | "memory", predefined: string, target: number) =>
      new AppautoscalingPolicy(this, `scale-${metric}`, {
        name: `${name}-${metric}`,
        policyType: "TargetTrackingScaling",
        serviceNamespace: this.scalableTarget.serviceNamespace,
        scalableDimension: this.scalableTarget.scalableDimension,
        resourceId: this.scalableTarget.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: predefined },
          targetValue: target,
          scaleInCooldown: scaleIn,
          scaleOutCooldown: scaleOut,
        },
      });
    this.scalingPolicies = {
      cpu: tracking("cpu", "ECSServiceAverageCPUUtilization", cpuTarget),
      memory: tracking("memory", "ECSServiceAverageMemoryUtilization", memoryTarget),
    };
  }
}
