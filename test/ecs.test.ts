import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { EcsCapacityProvider } from "@cdktf/provider-aws/lib/ecs-capacity-provider";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsCapacity, type EcsCapacityProps } from "../lib/ecs-capacity";
import { ColourService, type ColourServiceProps } from "../lib/ecs-service";
import { resourcesOf, synthWith } from "./support/scope";

const capBase: EcsCapacityProps = {
  namePrefix: "svc-dev",
  privateSubnetIds: ["subnet-a", "subnet-b"],
  instanceSecurityGroupId: "sg-i",
  instanceProfileArn: "arn:aws:iam::1:instance-profile/svc-dev-instance",
  asgMaxSize: 2,
  maxTasks: 4,
};
const capacity = (props: Partial<EcsCapacityProps> = {}) => synthWith((s) => new EcsCapacity(s, "capacity", { ...capBase, ...props }));

const svcBase: ColourServiceProps = {
  colour: "blue",
  namePrefix: "svc-dev",
  clusterArn: "arn:aws:ecs:eu-west-1:1:cluster/svc-dev",
  clusterName: "svc-dev",
  capacityProviderName: "svc-dev",
  image: "1.dkr.ecr.eu-west-1.amazonaws.com/svc-dev:abc123",
  containerPort: 8080,
  executionRoleArn: "arn:aws:iam::1:role/exec",
  taskRoleArn: "arn:aws:iam::1:role/task",
  logGroupName: "/ecs/svc-dev/blue",
  region: "eu-west-1",
  secrets: { DATABASE_URL: "arn:aws:ssm:eu-west-1:1:parameter/svc/dev/DATABASE_URL" },
  targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/svc-dev-blue/1",
  subnetIds: ["subnet-a"],
  securityGroupIds: ["sg-t"],
  deregistrationDelaySeconds: 30,
};
const service = (props: Partial<ColourServiceProps> = {}) => synthWith((s) => new ColourService(s, `service-${props.colour ?? "blue"}`, { ...svcBase, ...props }));
const containers = (s: string) => JSON.parse(Object.values(resourcesOf(s, "aws_ecs_task_definition"))[0].container_definitions);

describe("EcsCapacity", () => {
  test("defaults: Container Insights, AL2023 via resolve:ssm, IMDSv2 hop 1, encrypted gp3, no public IP", () => {
    const s = capacity();
    expect(s).toHaveResourceWithProperties(EcsCluster, { name: "svc-dev", setting: [{ name: "containerInsights", value: "enabled" }] });
    const lt = Object.values(resourcesOf(s, "aws_launch_template"))[0];
    expect(lt.image_id).toBe("resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id");
    expect(lt.instance_type).toBe("t3.small");
    expect(lt.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" });
    expect(lt.block_device_mappings).toEqual([{ device_name: "/dev/xvda", ebs: { volume_size: 30, volume_type: "gp3", encrypted: "true", delete_on_termination: "true" } }]);
    expect(lt.network_interfaces).toEqual([expect.objectContaining({ associate_public_ip_address: "false", security_groups: ["sg-i"] })]);
  });

  test("user data joins the cluster, blocks task access to IMDS, and holds no secret", () => {
    const lt = Object.values(resourcesOf(capacity(), "aws_launch_template"))[0];
    const script = Buffer.from(lt.user_data, "base64").toString("utf8");
    expect(script).toContain("ECS_CLUSTER=svc-dev");
    expect(script).toContain("ECS_AWSVPC_BLOCK_IMDS=true");
    expect(script).not.toMatch(/password|secret|token|AKIA/i);
  });

  test("Auto Scaling group: private subnets, scale-in protection, desired capacity left to managed scaling", () => {
    const s = capacity();
    expect(s).toHaveResourceWithProperties(AutoscalingGroup, {
      vpc_zone_identifier: ["subnet-a", "subnet-b"],
      min_size: 1,
      max_size: 2,
      protect_from_scale_in: true,
      lifecycle: { ignore_changes: ["desired_capacity"] },
      tag: expect.arrayContaining([{ key: "AmazonECSManaged", value: "true", propagate_at_launch: true }]),
    });
  });

  test("capacity provider: managed scaling and termination protection, the cluster's default", () => {
    const s = capacity();
    expect(s).toHaveResourceWithProperties(EcsCapacityProvider, {
      auto_scaling_group_provider: expect.objectContaining({ managed_termination_protection: "ENABLED", managed_scaling: expect.objectContaining({ status: "ENABLED", target_capacity: 100 }) }),
    });
    const ccp = Object.values(resourcesOf(s, "aws_ecs_cluster_capacity_providers"))[0];
    expect(ccp.default_capacity_provider_strategy).toEqual([expect.objectContaining({ weight: 1 })]);
  });

  test("override: instance type, sizes, volume, enhanced insights", () => {
    const s = capacity({ instanceType: "m6i.large", asgMinSize: 2, asgMaxSize: 6, asgDesiredCapacity: 3, rootVolumeSizeGiB: 50, containerInsights: "enhanced" });
    expect(s).toHaveResourceWithProperties(AutoscalingGroup, { min_size: 2, max_size: 6, desired_capacity: 3 });
    const lt = Object.values(resourcesOf(s, "aws_launch_template"))[0];
    expect(lt.instance_type).toBe("m6i.large");
    expect(lt.block_device_mappings[0].ebs.volume_size).toBe(50);
    expect(s).toHaveResourceWithProperties(EcsCluster, { setting: [{ name: "containerInsights", value: "enhanced" }] });
  });

  test("ENI check: 2 x t3.small hold 4 tasks", () => {
    expect(() => capacity({ asgMaxSize: 2, maxTasks: 4 })).not.toThrow();
  });

  test("throws when the group cannot hold blue and green at their maximum (ENI limit)", () => {
    expect(() => capacity({ asgMaxSize: 2, maxTasks: 5 })).toThrow(/5 tasks need 5 ENIs, but 2 x t3.small \(2 task ENIs each in awsvpc mode\) hold 4\. Raise asg_max_size to 3/);
  });

  test.each([
    [{ instanceType: "x9.huge" }, /instance type "x9.huge" is not in the ENI table/],
    [{ asgMinSize: 3, asgMaxSize: 2 }, /asgMinSize \(3\) exceeds asgMaxSize \(2\)/],
    [{ asgDesiredCapacity: 5 }, /asgDesiredCapacity 5 is outside 1..2/],
    [{ rootVolumeSizeGiB: 20 }, /rootVolumeSizeGiB must be >= 30/],
  ])("throws when %j", (props, message) => {
    expect(() => capacity(props)).toThrow(message);
  });
});

describe("ColourService", () => {
  test("task definition: awsvpc on EC2, the colour's image, secrets by ARN, logs to its group, stop timeout above the drain", () => {
    const s = service();
    const td = Object.values(resourcesOf(s, "aws_ecs_task_definition"))[0];
    expect(td).toEqual(expect.objectContaining({ family: "svc-dev-blue", network_mode: "awsvpc", requires_compatibilities: ["EC2"], cpu: "256", memory: "512" }));
    expect(td.execution_role_arn).not.toBe(td.task_role_arn);
    const [c] = containers(s);
    expect(c.image).toBe(svcBase.image);
    expect(c.portMappings).toEqual([{ containerPort: 8080, protocol: "tcp" }]);
    expect(c.secrets).toEqual([{ name: "DATABASE_URL", valueFrom: svcBase.secrets!.DATABASE_URL }]);
    expect(c.environment).toEqual([{ name: "COLOR", value: "blue" }]);
    expect(c.logConfiguration).toEqual({ logDriver: "awslogs", options: { "awslogs-group": "/ecs/svc-dev/blue", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "blue" } });
    expect(c.stopTimeout).toBe(45);
    expect(c.user).toBe("1000");
    expect(c.privileged).toBe(false);
  });

  test("service: capacity provider, 100/200, circuit breaker with rollback, own target group only, desired_count ignored", () => {
    expect(service()).toHaveResourceWithProperties(EcsService, {
      name: "svc-dev-blue",
      capacity_provider_strategy: [expect.objectContaining({ capacity_provider: "svc-dev" })],
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      deployment_circuit_breaker: { enable: true, rollback: true },
      health_check_grace_period_seconds: 60,
      load_balancer: [{ target_group_arn: svcBase.targetGroupArn, container_name: "app", container_port: 8080 }],
      network_configuration: { subnets: ["subnet-a"], security_groups: ["sg-t"], assign_public_ip: false },
      lifecycle: { ignore_changes: ["desired_count"] },
    });
  });

  test("autoscaling: CPU 70 and memory 75 target tracking with cooldowns", () => {
    const s = service();
    expect(s).toHaveResourceWithProperties(AppautoscalingTarget, { resource_id: "service/svc-dev/svc-dev-blue", min_capacity: 1, max_capacity: 4 });
    for (const [metric, target] of [["CPU", 70], ["Memory", 75]] as const) {
      expect(s).toHaveResourceWithProperties(AppautoscalingPolicy, {
        policy_type: "TargetTrackingScaling",
        target_tracking_scaling_policy_configuration: expect.objectContaining({
          target_value: target,
          scale_in_cooldown: 300,
          scale_out_cooldown: 60,
          predefined_metric_specification: { predefined_metric_type: `ECSServiceAverage${metric}Utilization` },
        }),
      });
    }
  });

  test("green from the same construct: its own family, service, logs", () => {
    const s = service({ colour: "green", logGroupName: "/ecs/svc-dev/green" });
    expect(s).toHaveResourceWithProperties(EcsService, { name: "svc-dev-green" });
    expect(containers(s)[0].logConfiguration.options["awslogs-stream-prefix"]).toBe("green");
  });

  test("overrides: size, image default user, counts, targets", () => {
    const s = service({ cpu: 512, memoryMiB: 2048, containerUser: "", desiredCount: 3, autoscalingMinCapacity: 2, autoscalingMaxCapacity: 6, cpuTarget: 60, stopTimeoutSeconds: 90 });
    expect(containers(s)[0]).not.toHaveProperty("user");
    expect(containers(s)[0].stopTimeout).toBe(90);
    expect(s).toHaveResourceWithProperties(EcsService, { desired_count: 3 });
    expect(s).toHaveResourceWithProperties(AppautoscalingTarget, { min_capacity: 2, max_capacity: 6 });
  });

  test.each([
    [{ stopTimeoutSeconds: 30 }, /stopTimeoutSeconds \(30\) must exceed the deregistration delay \(30\)/],
    [{ stopTimeoutSeconds: 130 }, /exceeds ECS's maximum of 120/],
    [{ desiredCount: 9 }, /desiredCount 9 is outside the autoscaling range 1..4/],
    [{ autoscalingMinCapacity: 5 }, /autoscalingMinCapacity \(5\) exceeds autoscalingMaxCapacity \(4\)/],
    [{ cpu: 300 }, /cpu 300 is not a valid task size/],
    [{ cpu: 256, memoryMiB: 4096 }, /memoryMiB 4096 does not fit cpu 256 \(allowed 512..2048\)/],
    [{ colour: "red" }, /colour must be "blue" or "green", got "red"/],
  ])("throws when %j", (props, message) => {
    expect(() => service(props as Partial<ColourServiceProps>)).toThrow(message);
  });
});
