import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { EcsCapacityProvider } from "@cdktf/provider-aws/lib/ecs-capacity-provider";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { ECS_AL2023_AMI, EcsCapacity, MAX_ENIS, tasksPerInstance, type EcsCapacityProps } from "../lib/ecs-capacity";
import { resourcesOf, synthWith } from "./support/scope";

/** Only the required props: defaults everywhere else (max 4 instances, blue 4 + green 4 tasks). */
const required: EcsCapacityProps = {
  namePrefix: "webapp-dev",
  privateSubnetIds: ["subnet-a", "subnet-b"],
  instanceSecurityGroupId: "sg-instances",
  instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/webapp-dev-instance",
  maxTasks: 8,
};

function build(props: Partial<EcsCapacityProps> = {}): { synth: string; capacity: EcsCapacity } {
  let capacity!: EcsCapacity;
  const synth = synthWith((s) => {
    capacity = new EcsCapacity(s, "capacity", { ...required, ...props });
  });
  return { synth, capacity };
}

/** The single resource of a type, with its Terraform name. */
function only(synth: string, type: string): [string, any] {
  const entries = Object.entries(resourcesOf(synth, type));
  expect(entries).toHaveLength(1);
  return entries[0];
}

/** The user data script as EC2 will see it: the synthesized value is `${base64encode("<script>")}`. */
function decodedUserData(synth: string): string {
  const [, lt] = only(synth, "aws_launch_template");
  const match = /^\$\{base64encode\("([\s\S]*)"\)\}$/.exec(lt.user_data);
  expect(match).not.toBeNull();
  return JSON.parse(`"${match![1]}"`) as string; // HCL string escapes used here (\n, \") are JSON's
}

describe("EcsCapacity", () => {
  test("defaults: t3.small, 1..4 instances, 30 GiB, Container Insights enabled, target capacity 100, 2 tasks per instance", () => {
    const { synth, capacity } = build();
    expect(capacity.tasksPerInstance).toBe(2);
    expect(synth).toHaveResourceWithProperties(EcsCluster, { name: "webapp-dev", setting: [{ name: "containerInsights", value: "enabled" }] });
    const [, lt] = only(synth, "aws_launch_template");
    expect(lt).toEqual(
      expect.objectContaining({
        name: "webapp-dev-ecs",
        image_id: ECS_AL2023_AMI,
        instance_type: "t3.small",
        iam_instance_profile: { arn: required.instanceProfileArn },
        monitoring: { enabled: true },
      }),
    );
    expect(lt.block_device_mappings[0].ebs.volume_size).toBe(30);
    const [, asg] = only(synth, "aws_autoscaling_group");
    expect(asg).toEqual(expect.objectContaining({ name: "webapp-dev-ecs", min_size: 1, max_size: 4, desired_capacity: 1 }));
    expect(asg.instance_refresh).toEqual(
      expect.objectContaining({ strategy: "Rolling", preferences: expect.objectContaining({ min_healthy_percentage: 100, scale_in_protected_instances: "Refresh" }) }),
    );
    const [, cp] = only(synth, "aws_ecs_capacity_provider");
    expect(cp.name).toBe("webapp-dev");
    expect(cp.auto_scaling_group_provider.managed_scaling.target_capacity).toBe(100);
  });

  test("launch template: AL2023 via resolve:ssm (no data source), IMDSv2 only with hop limit 1, tags off", () => {
    const { synth } = build();
    expect(JSON.parse(synth).data).toBeUndefined();
    const [, lt] = only(synth, "aws_launch_template");
    expect(lt.image_id).toBe("resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id");
    expect(lt.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" });
  });

  test("launch template: encrypted gp3 root volume on /dev/xvda deleted with the instance; no public IP, the instance security group", () => {
    const [, lt] = only(build().synth, "aws_launch_template");
    expect(lt.block_device_mappings).toEqual([
      { device_name: "/dev/xvda", ebs: { volume_size: 30, volume_type: "gp3", encrypted: "true", delete_on_termination: "true" } },
    ]);
    expect(lt.network_interfaces).toEqual([expect.objectContaining({ device_index: 0, associate_public_ip_address: "false", security_groups: ["sg-instances"] })]);
    expect(lt.vpc_security_group_ids).toBeUndefined(); // not both: EC2 rejects groups in two places
  });

  test("user data (decoded): joins this cluster by reference, blocks IMDS for awsvpc tasks, holds nothing secret", () => {
    const { synth } = build();
    const [clusterId] = only(synth, "aws_ecs_cluster");
    const script = decodedUserData(synth);
    expect(script.startsWith("#!/bin/bash\n")).toBe(true);
    const config = script.split("\n").filter((l) => /^ECS_[A-Z_]+=/.test(l));
    expect(config).toEqual([
      `ECS_CLUSTER=\${aws_ecs_cluster.${clusterId}.name}`,
      "ECS_ENABLE_TASK_IAM_ROLE=true",
      "ECS_AWSVPC_BLOCK_IMDS=true",
      "ECS_ENABLE_CONTAINER_METADATA=true",
    ]);
    expect(script).toContain(">> /etc/ecs/ecs.config <<'CONFIG'");
    expect(script).not.toMatch(/password|secret|token|AKIA|aws_secret/i);
  });

  test("Auto Scaling group: private subnets, latest template version, scale-in protection, ECS-managed tag, desired capacity left to ECS", () => {
    const { synth } = build();
    const [ltId] = only(synth, "aws_launch_template");
    expect(synth).toHaveResourceWithProperties(AutoscalingGroup, {
      vpc_zone_identifier: ["subnet-a", "subnet-b"],
      launch_template: { id: `\${aws_launch_template.${ltId}.id}`, version: `\${aws_launch_template.${ltId}.latest_version}` },
      health_check_type: "EC2",
      protect_from_scale_in: true,
      force_delete: true,
      lifecycle: { ignore_changes: ["desired_capacity"] },
      tag: expect.arrayContaining([{ key: "AmazonECSManaged", value: "true", propagate_at_launch: true }]),
    });
  });

  test("capacity provider: managed scaling and termination protection on the group, the cluster's only and default provider", () => {
    const { synth } = build();
    const [asgId] = only(synth, "aws_autoscaling_group");
    const [cpId] = only(synth, "aws_ecs_capacity_provider");
    const [clusterId] = only(synth, "aws_ecs_cluster");
    expect(synth).toHaveResourceWithProperties(EcsCapacityProvider, {
      auto_scaling_group_provider: expect.objectContaining({
        auto_scaling_group_arn: `\${aws_autoscaling_group.${asgId}.arn}`,
        managed_termination_protection: "ENABLED",
        managed_draining: "ENABLED",
        managed_scaling: expect.objectContaining({ status: "ENABLED", target_capacity: 100 }),
      }),
    });
    const providerName = `\${aws_ecs_capacity_provider.${cpId}.name}`;
    expect(synth).toHaveResourceWithProperties(EcsClusterCapacityProviders, {
      cluster_name: `\${aws_ecs_cluster.${clusterId}.name}`,
      capacity_providers: [providerName],
      default_capacity_provider_strategy: [{ capacity_provider: providerName, weight: 1, base: 0 }],
    });
  });

  test("override: instanceType", () => {
    const { synth, capacity } = build({ instanceType: "m6i.large" });
    expect(only(synth, "aws_launch_template")[1].instance_type).toBe("m6i.large");
    expect(capacity.tasksPerInstance).toBe(2);
  });

  test("override: asgMinSize, asgMaxSize, asgDesiredCapacity", () => {
    const { synth } = build({ asgMinSize: 2, asgMaxSize: 6, asgDesiredCapacity: 3 });
    expect(synth).toHaveResourceWithProperties(AutoscalingGroup, { min_size: 2, max_size: 6, desired_capacity: 3 });
  });

  test("override: asgDesiredCapacity defaults to asgMinSize", () => {
    expect(build({ asgMinSize: 2 }).synth).toHaveResourceWithProperties(AutoscalingGroup, { min_size: 2, desired_capacity: 2 });
  });

  test("override: rootVolumeSizeGiB", () => {
    expect(only(build({ rootVolumeSizeGiB: 50 }).synth, "aws_launch_template")[1].block_device_mappings[0].ebs.volume_size).toBe(50);
  });

  test("override: containerInsights enhanced", () => {
    expect(build({ containerInsights: "enhanced" }).synth).toHaveResourceWithProperties(EcsCluster, { setting: [{ name: "containerInsights", value: "enhanced" }] });
  });

  test("override: targetCapacityPercent", () => {
    const [, cp] = only(build({ targetCapacityPercent: 80 }).synth, "aws_ecs_capacity_provider");
    expect(cp.auto_scaling_group_provider.managed_scaling.target_capacity).toBe(80);
  });

  test("override: instanceRefresh off", () => {
    const [, asg] = only(build({ instanceRefresh: false }).synth, "aws_autoscaling_group");
    expect(asg).not.toHaveProperty("instance_refresh");
    expect(asg.protect_from_scale_in).toBe(true);
  });

  test("override: namePrefix names cluster, template, group and provider", () => {
    const { synth } = build({ namePrefix: "shop-prod" });
    expect(only(synth, "aws_ecs_cluster")[1].name).toBe("shop-prod");
    expect(only(synth, "aws_launch_template")[1].name).toBe("shop-prod-ecs");
    expect(only(synth, "aws_autoscaling_group")[1].name).toBe("shop-prod-ecs");
    expect(only(synth, "aws_ecs_capacity_provider")[1].name).toBe("shop-prod");
  });

  test("ENI check passes: 2 x t3.small hold 4 tasks (3 ENIs - 1 primary = 2 each)", () => {
    expect(() => build({ instanceType: "t3.small", asgMaxSize: 2, maxTasks: 4 })).not.toThrow();
  });

  test("throws when the group cannot hold blue and green at their maximum: 2 x t3.small and 5 tasks", () => {
    const attempt = () => build({ instanceType: "t3.small", asgMaxSize: 2, maxTasks: 5 });
    expect(attempt).toThrow(/5 tasks need 5 task ENIs/);
    expect(attempt).toThrow(/asg_max_size 2 x t3\.small \(2 task ENIs each in awsvpc mode: max ENIs - 1\) holds 4/);
    expect(attempt).toThrow(/Raise asg_max_size to 3, choose an instance type with more ENIs/);
  });

  test("throws when the instance type is not in the ENI table, saying how to add it", () => {
    const attempt = () => build({ instanceType: "x9.huge" });
    expect(attempt).toThrow(/instanceType \(instance_type\) "x9\.huge" is not in the ENI table; known: t3\.nano/);
    expect(attempt).toThrow(/describe-instance-types --instance-types x9\.huge .* into MAX_ENIS in lib\/ecs-capacity\.ts/);
  });

  test.each<[string, Partial<EcsCapacityProps>, RegExp]>([
    ["asgMinSize exceeds asgMaxSize", { asgMinSize: 3, asgMaxSize: 2, maxTasks: 4 }, /asgMinSize \(3\) exceeds asgMaxSize \(2\)/],
    ["asgDesiredCapacity is above asgMaxSize", { asgMaxSize: 2, maxTasks: 4, asgDesiredCapacity: 5 }, /asgDesiredCapacity 5 is outside asgMinSize\.\.asgMaxSize \(1\.\.2\)/],
    ["asgDesiredCapacity is below asgMinSize", { asgMinSize: 2, asgDesiredCapacity: 1 }, /asgDesiredCapacity 1 is outside asgMinSize\.\.asgMaxSize \(2\.\.4\)/],
    ["asgMaxSize is 0", { asgMinSize: 0, asgMaxSize: 0 }, /asgMaxSize \(asg_max_size\) must be an integer in 1\.\.1000, got 0/],
    ["rootVolumeSizeGiB is below the AMI's 30 GiB", { rootVolumeSizeGiB: 20 }, /rootVolumeSizeGiB .* must be an integer in 30\.\.16384, got 20/],
    ["targetCapacityPercent is above 100", { targetCapacityPercent: 101 }, /targetCapacityPercent must be an integer in 1\.\.100, got 101/],
    ["maxTasks is 0", { maxTasks: 0 }, /maxTasks must be an integer in 1\.\.100000, got 0/],
    ["privateSubnetIds is empty", { privateSubnetIds: [] }, /privateSubnetIds is empty/],
    ["namePrefix starts with a prefix ECS reserves", { namePrefix: "ecs-dev" }, /may not start with "aws", "ecs" or "fargate"; got "ecs-dev"/],
    ["namePrefix has characters a cluster name cannot", { namePrefix: "web app" }, /namePrefix must be letters, digits, "-" and "_" .* got "web app"/],
    ["containerInsights is not enabled/enhanced", { containerInsights: "disabled" as "enabled" }, /containerInsights must be "enabled" or "enhanced", got "disabled"/],
  ])("throws when %s", (_, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe("ENI table", () => {
  test("tasks per instance is max ENIs - 1 (t3.small 2, t3a.small 1, m5.4xlarge 7)", () => {
    expect(tasksPerInstance("t3.small")).toBe(2);
    expect(tasksPerInstance("t3a.small")).toBe(1);
    expect(tasksPerInstance("m5.4xlarge")).toBe(7);
  });

  test("covers t3/t3a nano..2xlarge and m5/m6i/m7i/c5/c6i/c7i/r5/r6i large..4xlarge", () => {
    const expected = [
      ...["t3", "t3a"].flatMap((f) => ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"].map((s) => `${f}.${s}`)),
      ...["m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i"].flatMap((f) => ["large", "xlarge", "2xlarge", "4xlarge"].map((s) => `${f}.${s}`)),
    ];
    expect(Object.keys(MAX_ENIS).sort()).toEqual(expected.sort());
    expect(MAX_ENIS["c6i.4xlarge"]).toBe(8);
    expect(MAX_ENIS["r5.large"]).toBe(3);
    expect(Object.isFrozen(MAX_ENIS)).toBe(true);
  });
});
