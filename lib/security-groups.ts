import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";

export interface SecurityGroupsProps {
  /** Prefix of every resource name, e.g. `webapp-dev`. */
  readonly namePrefix: string;
  readonly vpcId: string;
  /** Who may reach the production listener ports. @default ["0.0.0.0/0"] */
  readonly ingressCidrs?: readonly string[];
  /** Production listener ports open to `ingressCidrs`. @default [80, 443] */
  readonly listenerPorts?: readonly number[];
  /** The test listener's port. @default 8443 */
  readonly testListenerPort?: number;
  /** Who may reach the test listener; never the whole internet. */
  readonly testListenerCidrs: readonly string[];
  /** The port the container listens on. */
  readonly containerPort: number;
}

/**
 * Three groups: the load balancer (listener ports from the configured ranges, test port only
 * from the test ranges), the tasks (container port only from the load balancer) and the EC2
 * instances (no ingress). Every rule is a separate resource with a description.
 */
export class SecurityGroups extends Construct {
  public readonly loadBalancer: SecurityGroup;
  public readonly tasks: SecurityGroup;
  public readonly instances: SecurityGroup;

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    const ingressCidrs = props.ingressCidrs ?? ["0.0.0.0/0"];
    const listenerPorts = props.listenerPorts ?? [80, 443];
    const testListenerPort = props.testListenerPort ?? 8443;
    for (const c of props.testListenerCidrs) {
      if (c === "0.0.0.0/0" || c === "::/0") {
        throw new Error(`SecurityGroups: testListenerCidrs must not contain ${c}: the test listener serves the idle, unreleased colour. Give your office/VPN ranges.`);
      }
    }
    if (props.testListenerCidrs.length === 0) throw new Error("SecurityGroups: testListenerCidrs is empty; give at least one range allowed to run smoke tests");
    if (listenerPorts.includes(testListenerPort)) {
      throw new Error(`SecurityGroups: testListenerPort ${testListenerPort} collides with a listener port (${listenerPorts.join(", ")})`);
    }

    const group = (gid: string, description: string) =>
      new SecurityGroup(this, gid, {
        name: `${props.namePrefix}-${gid}`,
        description,
        vpcId: props.vpcId,
        tags: { Name: `${props.namePrefix}-${gid}` },
        lifecycle: { createBeforeDestroy: true },
      });
    this.loadBalancer = group("alb", "Load balancer: listener ports from the configured ranges");
    this.tasks = group("tasks", "ECS tasks: container port from the load balancer only");
    this.instances = group("instances", "ECS container instances: no ingress");

    const cidrKey = (c: string) => c.replace(/[./:]/g, "-");
    for (const port of listenerPorts) {
      for (const cidr of ingressCidrs) {
        new VpcSecurityGroupIngressRule(this, `alb-in-${port}-${cidrKey(cidr)}`, {
          securityGroupId: this.loadBalancer.id,
          description: `Production listener ${port} from ${cidr}`,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: cidr,
        });
      }
    }
    for (const cidr of props.testListenerCidrs) {
      new VpcSecurityGroupIngressRule(this, `alb-in-test-${cidrKey(cidr)}`, {
        securityGroupId: this.loadBalancer.id,
        description: `Test listener ${testListenerPort} (idle colour) from ${cidr}`,
        ipProtocol: "tcp",
        fromPort: testListenerPort,
        toPort: testListenerPort,
        cidrIpv4: cidr,
      });
    }
    new VpcSecurityGroupEgressRule(this, "alb-out-tasks", {
      securityGroupId: this.loadBalancer.id,
      description: `To tasks on the container port ${props.containerPort} (traffic and health checks)`,
      ipProtocol: "tcp",
      fromPort: props.containerPort,
      toPort: props.containerPort,
      referencedSecurityGroupId: this.tasks.id,
    });

    new VpcSecurityGroupIngressRule(this, "tasks-in-alb", {
      securityGroupId: this.tasks.id,
      description: `Container port ${props.containerPort} from the load balancer only`,
      ipProtocol: "tcp",
      fromPort: props.containerPort,
      toPort: props.containerPort,
      referencedSecurityGroupId: this.loadBalancer.id,
    });
    // Wide egress, written down: tasks reach ECR, SSM, CloudWatch Logs and their own
    // dependencies over HTTPS through the NAT gateway; those AWS endpoints have no fixed
    // ranges. Only 443 is open; DNS to the VPC resolver is not filtered by security groups.
    new VpcSecurityGroupEgressRule(this, "tasks-out-https", {
      securityGroupId: this.tasks.id,
      description: "HTTPS to AWS APIs (ECR, SSM, Logs) and dependencies via NAT",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
    // Same reason for the instances: the ECS agent talks to ECS, ECR and CloudWatch over HTTPS.
    new VpcSecurityGroupEgressRule(this, "instances-out-https", {
      securityGroupId: this.instances.id,
      description: "HTTPS to the ECS, ECR and CloudWatch APIs via NAT (ECS agent)",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
  }
}
