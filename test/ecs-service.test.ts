import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { Construct } from "constructs";
import { COLOURS, type Colour } from "../lib/config/types";
import { EcsCapacity } from "../lib/ecs-capacity";
import { ColourService, type ColourServiceProps } from "../lib/ecs-service";
import { resourcesOf, synthWith } from "./support/scope";
import { expectValidTerraform } from "./support/terraform";

const ACCOUNT = "123456789012";
const ssmArn = (name: string) => `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/webapp/dev/${name}`;
const tgArn = (colour: Colour) => `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/webapp-dev-${colour}/0123456789abcdef`;

/** Only the required props. */
const required = (colour: Colour = "blue"): ColourServiceProps => ({
  colour,
  namePrefix: "webapp-dev",
  clusterArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/webapp-dev`,
  clusterName: "webapp-dev",
  capacityProviderName: "webapp-dev",
  image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/webapp-dev:3f9c2a1`,
  containerPort: 8080,
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/webapp-dev-task-execution`,
  taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/webapp-dev-task`,
  logGroupName: `/ecs/webapp-dev/${colour}`,
  region: "eu-west-1",
  targetGroupArn: tgArn(colour),
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-tasks"],
  deregistrationDelaySeconds: 30,
});

function build(props: Partial<ColourServiceProps> = {}, extra?: (scope: Construct) => void): string {
  return synthWith((s) => {
    extra?.(s);
    new ColourService(s, `service-${props.colour ?? "blue"}`, { ...required(props.colour), ...props });
  });
}

function only(synth: string, type: string): [string, any] {
  const entries = Object.entries(resourcesOf(synth, type));
  expect(entries).toHaveLength(1);
  return entries[0];
}

/** The container definitions as ECS will read them. */
function containers(synth: string): any[] {
  return JSON.parse(only(synth, "aws_ecs_task_definition")[1].container_definitions);
}

describe("ColourService", () => {
  test("defaults: 256/512 awsvpc task on EC2, one 'app' container as user 1000, stop timeout drain+15, 1 task scaling 1..4 on CPU 70 / memory 75", () => {
    const synth = build();
    const [tdId, td] = only(synth, "aws_ecs_task_definition");
    expect(td).toEqual(
      expect.objectContaining({
        family: "webapp-dev-blue",
        network_mode: "awsvpc",
        requires_compatibilities: ["EC2"],
        cpu: "256",
        memory: "512",
        execution_role_arn: `arn:aws:iam::${ACCOUNT}:role/webapp-dev-task-execution`,
        task_role_arn: `arn:aws:iam::${ACCOUNT}:role/webapp-dev-task`,
        tags: { Color: "blue" },
      }),
    );
    expect(td).not.toHaveProperty("pid_mode"); // no host PID namespace
    expect(td).not.toHaveProperty("ipc_mode");

    const list = containers(synth);
    expect(list).toHaveLength(1);
    const [c] = list;
    expect(c).toEqual({
      name: "app",
      image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/webapp-dev:3f9c2a1`,
      essential: true,
      portMappings: [{ containerPort: 8080, protocol: "tcp" }],
      environment: [{ name: "COLOR", value: "blue" }],
      secrets: [],
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/webapp-dev/blue", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "blue" } },
      stopTimeout: 45,
      user: "1000",
      privileged: false,
      readonlyRootFilesystem: false,
      linuxParameters: { initProcessEnabled: true },
    });

    const [serviceId, svc] = only(synth, "aws_ecs_service");
    expect(svc).toEqual(
      expect.objectContaining({
        name: "webapp-dev-blue",
        cluster: required().clusterArn,
        task_definition: `\${aws_ecs_task_definition.${tdId}.arn}`,
        desired_count: 1,
        health_check_grace_period_seconds: 60,
      }),
    );
    expect(svc).not.toHaveProperty("depends_on");
    expect(svc).not.toHaveProperty("launch_type"); // the capacity provider strategy places the tasks

    const [targetId, target] = only(synth, "aws_appautoscaling_target");
    expect(target).toEqual(
      expect.objectContaining({
        service_namespace: "ecs",
        scalable_dimension: "ecs:service:DesiredCount",
        resource_id: `service/webapp-dev/\${aws_ecs_service.${serviceId}.name}`,
        min_capacity: 1,
        max_capacity: 4,
      }),
    );
    const policies = Object.values(resourcesOf(synth, "aws_appautoscaling_policy"));
    expect(policies.map((p) => [p.name, p.target_tracking_scaling_policy_configuration])).toEqual(
      expect.arrayContaining([
        ["webapp-dev-blue-cpu", { predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" }, target_value: 70, scale_in_cooldown: 300, scale_out_cooldown: 60 }],
        ["webapp-dev-blue-memory", { predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageMemoryUtilization" }, target_value: 75, scale_in_cooldown: 300, scale_out_cooldown: 60 }],
      ]),
    );
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect(p).toEqual(expect.objectContaining({ policy_type: "TargetTrackingScaling", resource_id: `\${aws_appautoscaling_target.${targetId}.resource_id}` }));
    }
  });

  test("service: capacity provider, 100/200 deployments, circuit breaker with rollback, own target group only, private awsvpc, desired_count ignored", () => {
    expect(build()).toHaveResourceWithProperties(EcsService, {
      capacity_provider_strategy: [{ capacity_provider: "webapp-dev", weight: 1, base: 0 }],
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      deployment_circuit_breaker: { enable: true, rollback: true },
      load_balancer: [{ target_group_arn: tgArn("blue"), container_name: "app", container_port: 8080 }],
      network_configuration: { subnets: ["subnet-a", "subnet-b"], security_groups: ["sg-tasks"], assign_public_ip: false },
      propagate_tags: "SERVICE",
      enable_ecs_managed_tags: true,
      wait_for_steady_state: false,
      tags: { Color: "blue" },
      lifecycle: { ignore_changes: ["desired_count"] },
    });
  });

  test("container: secrets by SSM ARN as valueFrom, never in the plain environment", () => {
    const synth = build({ secrets: { DATABASE_URL: ssmArn("DATABASE_URL"), API_KEY: ssmArn("API_KEY") } });
    const [c] = containers(synth);
    expect(c.secrets).toEqual([
      { name: "DATABASE_URL", valueFrom: ssmArn("DATABASE_URL") },
      { name: "API_KEY", valueFrom: ssmArn("API_KEY") },
    ]);
    expect(c.environment).toEqual([{ name: "COLOR", value: "blue" }]);
  });

  test("both colours from the same construct, in one stack: own family, service, target group, logs, COLOR and tag", () => {
    const synth = synthWith((s) => {
      for (const colour of COLOURS) new ColourService(s, `service-${colour}`, required(colour));
    });
    const tds = Object.values(resourcesOf(synth, "aws_ecs_task_definition"));
    const services = Object.values(resourcesOf(synth, "aws_ecs_service"));
    expect(tds.map((t) => t.family).sort()).toEqual(["webapp-dev-blue", "webapp-dev-green"]);
    expect(services.map((s) => s.name).sort()).toEqual(["webapp-dev-blue", "webapp-dev-green"]);
    for (const colour of COLOURS) {
      const td = tds.find((t) => t.family === `webapp-dev-${colour}`);
      const [c] = JSON.parse(td.container_definitions);
      expect(c.environment).toEqual([{ name: "COLOR", value: colour }]);
      expect(c.logConfiguration.options).toEqual(expect.objectContaining({ "awslogs-group": `/ecs/webapp-dev/${colour}`, "awslogs-stream-prefix": colour }));
      const svc = services.find((s) => s.name === `webapp-dev-${colour}`);
      expect(svc.load_balancer).toEqual([expect.objectContaining({ target_group_arn: tgArn(colour) })]);
      expect(svc.tags).toEqual({ Color: colour });
    }
    expect(Object.keys(resourcesOf(synth, "aws_appautoscaling_policy"))).toHaveLength(4);
  });

  test("override: cpu and memoryMiB", () => {
    expect(build({ cpu: 1024, memoryMiB: 4096 })).toHaveResourceWithProperties(EcsTaskDefinition, { cpu: "1024", memory: "4096" });
  });

  test("override: desiredCount", () => {
    expect(build({ desiredCount: 3 })).toHaveResourceWithProperties(EcsService, { desired_count: 3 });
  });

  test("override: healthCheckGracePeriodSeconds", () => {
    expect(build({ healthCheckGracePeriodSeconds: 120 })).toHaveResourceWithProperties(EcsService, { health_check_grace_period_seconds: 120 });
  });

  test("override: stopTimeoutSeconds", () => {
    expect(containers(build({ stopTimeoutSeconds: 90 }))[0].stopTimeout).toBe(90);
  });

  test("override: deregistrationDelaySeconds moves the default stop timeout, capped at 120", () => {
    expect(containers(build({ deregistrationDelaySeconds: 60 }))[0].stopTimeout).toBe(75);
    expect(containers(build({ deregistrationDelaySeconds: 110 }))[0].stopTimeout).toBe(120);
  });

  test("override: containerUser '' keeps the image's user; 'uid:gid' is passed through", () => {
    expect(containers(build({ containerUser: "" }))[0]).not.toHaveProperty("user");
    expect(containers(build({ containerUser: "10001:10001" }))[0].user).toBe("10001:10001");
  });

  test("override: readonlyRootFilesystem adds a tmpfs /tmp and no capabilities", () => {
    const [c] = containers(build({ readonlyRootFilesystem: true }));
    expect(c.readonlyRootFilesystem).toBe(true);
    expect(c.linuxParameters).toEqual({ initProcessEnabled: true, tmpfs: [{ containerPath: "/tmp", size: 64 }] });
  });

  test("override: autoscalingMinCapacity and autoscalingMaxCapacity (idle colour at 0)", () => {
    const synth = build({ autoscalingMinCapacity: 0, autoscalingMaxCapacity: 6, desiredCount: 0 });
    expect(synth).toHaveResourceWithProperties(AppautoscalingTarget, { min_capacity: 0, max_capacity: 6 });
    expect(synth).toHaveResourceWithProperties(EcsService, { desired_count: 0 });
  });

  test("override: cpuTarget, memoryTarget and cooldowns", () => {
    const synth = build({ cpuTarget: 55, memoryTarget: 65, scaleInCooldownSeconds: 600, scaleOutCooldownSeconds: 30 });
    for (const [metric, target] of [["CPU", 55], ["Memory", 65]] as const) {
      expect(synth).toHaveResourceWithProperties(AppautoscalingPolicy, {
        target_tracking_scaling_policy_configuration: expect.objectContaining({
          predefined_metric_specification: { predefined_metric_type: `ECSServiceAverage${metric}Utilization` },
          target_value: target,
          scale_in_cooldown: 600,
          scale_out_cooldown: 30,
        }),
      });
    }
  });

  test("override: dependsOn puts the service after the given resources (e.g. the capacity provider association)", () => {
    let association = "";
    const synth = synthWith((s) => {
      const capacity = new EcsCapacity(s, "capacity", {
        namePrefix: "webapp-dev",
        privateSubnetIds: ["subnet-a"],
        instanceSecurityGroupId: "sg-i",
        instanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/i`,
        maxTasks: 8,
      });
      association = `aws_ecs_cluster_capacity_providers.${capacity.clusterCapacityProviders.friendlyUniqueId}`;
      new ColourService(s, "service-blue", { ...required(), dependsOn: [capacity.clusterCapacityProviders] });
    });
    expect(only(synth, "aws_ecs_service")[1].depends_on).toEqual([association]);
  });

  test.each<[string, Partial<ColourServiceProps>, RegExp]>([
    ["stopTimeoutSeconds equals the deregistration delay", { stopTimeoutSeconds: 30 }, /stopTimeoutSeconds \(30\) must exceed the deregistration delay \(30\)/],
    ["stopTimeoutSeconds is below the deregistration delay", { stopTimeoutSeconds: 20, deregistrationDelaySeconds: 60 }, /stopTimeoutSeconds \(20\) must exceed the deregistration delay \(60\)/],
    ["stopTimeoutSeconds is above 120", { stopTimeoutSeconds: 121 }, /stopTimeoutSeconds 121 exceeds ECS's maximum of 120/],
    ["the default stop timeout cannot exceed a 120 s deregistration delay", { deregistrationDelaySeconds: 120 }, /stopTimeoutSeconds \(120\) must exceed the deregistration delay \(120\)/],
    ["desiredCount is above autoscalingMaxCapacity", { desiredCount: 9 }, /desiredCount 9 is outside the autoscaling range 1\.\.4/],
    ["desiredCount is below autoscalingMinCapacity", { desiredCount: 1, autoscalingMinCapacity: 2 }, /desiredCount 1 is outside the autoscaling range 2\.\.4/],
    ["autoscalingMinCapacity exceeds autoscalingMaxCapacity", { autoscalingMinCapacity: 5, desiredCount: 5 }, /autoscalingMinCapacity \(5\) exceeds autoscalingMaxCapacity \(4\)/],
    ["cpu is not a task size", { cpu: 300 }, /cpu 300 is not a valid task size; use one of 128, 256, 512, 1024/],
    ["memoryMiB does not fit cpu", { cpu: 256, memoryMiB: 4096 }, /memoryMiB 4096 does not fit cpu 256 \(allowed 512\.\.2048\)/],
    ["colour is neither blue nor green", { colour: "red" as Colour }, /ColourService\(red\): colour must be one of "blue", "green", got "red"/],
    ["a secret is not an SSM parameter ARN", { secrets: { DB: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db" } }, /secret DB must be an SSM parameter ARN, got "arn:aws:secretsmanager/],
    ["a secret name is not an environment variable name", { secrets: { "db-url": ssmArn("x") } }, /secret name "db-url" must be an environment variable name other than COLOR/],
    ["a secret would shadow COLOR", { secrets: { COLOR: ssmArn("x") } }, /secret name "COLOR" must be an environment variable name other than COLOR/],
    ["image has no tag or digest", { image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/webapp-dev` }, /image must be a full reference "<repository-url>:<tag>"/],
    ["containerPort is out of range", { containerPort: 70000 }, /containerPort must be an integer in 1\.\.65535, got 70000/],
    ["cpuTarget is above 100", { cpuTarget: 150 }, /cpuTarget \(percent\) must be an integer in 1\.\.100, got 150/],
    ["subnetIds is empty", { subnetIds: [] }, /subnetIds is empty/],
  ])("throws when %s", (_, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

test("capacity and both colours validate with the real Terraform and AWS provider", () => {
  const synth = synthWith((s) => {
    const capacity = new EcsCapacity(s, "capacity", {
      namePrefix: "webapp-dev",
      privateSubnetIds: ["subnet-a", "subnet-b"],
      instanceSecurityGroupId: "sg-instances",
      instanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/webapp-dev-instance`,
      asgMaxSize: 4,
      maxTasks: 8,
      containerInsights: "enhanced",
    });
    for (const colour of COLOURS) {
      new ColourService(s, `service-${colour}`, {
        ...required(colour),
        clusterArn: capacity.cluster.arn,
        clusterName: capacity.cluster.name,
        capacityProviderName: capacity.capacityProvider.name,
        secrets: { DATABASE_URL: ssmArn("DATABASE_URL") },
        readonlyRootFilesystem: colour === "green",
        dependsOn: [capacity.clusterCapacityProviders],
      });
    }
  });
  expectValidTerraform(synth);
});
