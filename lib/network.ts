import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Construct } from "constructs";
import type { NatGatewayMode } from "./config/types";
import { serviceTrust } from "./iam-policy";

export interface NetworkProps {
  /** Prefix of every resource name, e.g. `webapp-dev`. */
  readonly namePrefix: string;
  /** The VPC's IPv4 range. */
  readonly vpcCidr: string;
  /** Availability zones, at least two; subnets are created in this order. */
  readonly availabilityZones: readonly string[];
  /** One public subnet CIDR per availability zone (load balancer and NAT gateways). */
  readonly publicSubnetCidrs: readonly string[];
  /** One private subnet CIDR per availability zone (EC2 instances and tasks). */
  readonly privateSubnetCidrs: readonly string[];
  /**
   * One shared NAT gateway, or one per availability zone (egress survives an AZ outage).
   * @default "one_per_az"
   */
  readonly natGatewayMode?: NatGatewayMode;
  /** Retention of the VPC flow log group. @default 30 */
  readonly flowLogRetentionInDays?: number;
  /** Region of the stack: the flow-logs role trusts VPC Flow Logs of this region only. */
  readonly region: string;
  /**
   * The stack's account (a token at synth: the ECR repository's `registry_id`): the flow-logs
   * role's trust requires `aws:SourceAccount` = this account and `aws:SourceArn` in it.
   */
  readonly accountId: string;
  /** Permissions boundary of the flow-logs role (lib/boundary.ts). */
  readonly permissionsBoundaryArn: string;
  /** @default "aws" */
  readonly partition?: string;
}

/**
 * VPC with public and private subnets across the zones, an internet gateway, NAT per the
 * mode, route tables, a default security group with no rules, and flow logs of ALL traffic to
 * CloudWatch Logs.
 */
export class Network extends Construct {
  public readonly vpc: Vpc;
  /** In availability-zone order. */
  public readonly publicSubnets: Subnet[];
  /** In availability-zone order. */
  public readonly privateSubnets: Subnet[];
  public readonly natGateways: NatGateway[];
  public readonly flowLogGroup: CloudwatchLogGroup;
  /** The role VPC Flow Logs assumes to write `flowLogGroup`; whoever deploys must be allowed to pass it. */
  public readonly flowLogsRole: IamRole;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const natGatewayMode = props.natGatewayMode ?? "one_per_az";
    const retentionInDays = props.flowLogRetentionInDays ?? 30;
    const azs = props.availabilityZones;
    if (azs.length < 2) throw new Error(`Network: availabilityZones needs at least 2 zones, got ${JSON.stringify(azs)}`);
    for (const [name, list] of [
      ["publicSubnetCidrs", props.publicSubnetCidrs],
      ["privateSubnetCidrs", props.privateSubnetCidrs],
    ] as const) {
      if (list.length !== azs.length) {
        throw new Error(`Network: ${name} needs one CIDR per availability zone (${azs.length}), got ${list.length}: ${JSON.stringify(list)}`);
      }
    }
    const name = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: name("vpc"),
    });

    // The default security group allows all traffic between its members; nothing should use
    // it, so it is emptied (CIS AWS 5.4).
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id, tags: name("default-do-not-use") });

    const igw = new InternetGateway(this, "igw", { vpcId: this.vpc.id, tags: name("igw") });

    const publicRoutes = new RouteTable(this, "public-rt", { vpcId: this.vpc.id, tags: name("public") });
    new Route(this, "public-default", { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id });

    this.publicSubnets = azs.map((az, i) => {
      const subnet = new Subnet(this, `public-${az}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: props.publicSubnetCidrs[i],
        // Only the load balancer and NAT gateways live here, each with its own address.
        mapPublicIpOnLaunch: false,
        tags: { ...name(`public-${az}`), Tier: "public" },
      });
      new RouteTableAssociation(this, `public-${az}-rta`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
      return subnet;
    });

    const natAzs = natGatewayMode === "single" ? [azs[0]] : azs;
    this.natGateways = natAzs.map((az) => {
      const eip = new Eip(this, `nat-eip-${az}`, { domain: "vpc", tags: name(`nat-${az}`), dependsOn: [igw] });
      return new NatGateway(this, `nat-${az}`, {
        allocationId: eip.id,
        subnetId: this.publicSubnets[azs.indexOf(az)].id,
        tags: name(`nat-${az}`),
        dependsOn: [igw],
      });
    });

    this.privateSubnets = azs.map((az, i) => {
      const subnet = new Subnet(this, `private-${az}`, {
        vpcId: this.vpc.id,
        availabilityZone: az,
        cidrBlock: props.privateSubnetCidrs[i],
        mapPublicIpOnLaunch: false,
        tags: { ...name(`private-${az}`), Tier: "private" },
      });
      const rt = new RouteTable(this, `private-${az}-rt`, { vpcId: this.vpc.id, tags: name(`private-${az}`) });
      const nat = natGatewayMode === "single" ? this.natGateways[0] : this.natGateways[i];
      new Route(this, `private-${az}-default`, { routeTableId: rt.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id });
      new RouteTableAssociation(this, `private-${az}-rta`, { subnetId: subnet.id, routeTableId: rt.id });
      return subnet;
    });

    // Flow logs: every accepted and rejected flow, kept for `retentionInDays`.
    this.flowLogGroup = new CloudwatchLogGroup(this, "flow-logs", {
      name: `/vpc/${props.namePrefix}/flow-logs`,
      retentionInDays,
    });
    this.flowLogsRole = new IamRole(this, "flow-logs-role", {
      name: `${props.namePrefix}-vpc-flow-logs`,
      // Confused deputy: only flow logs of this account, in this region, may use the role.
      assumeRolePolicy: serviceTrust("vpc-flow-logs.amazonaws.com", {
        account: props.accountId,
        sourceArn: `arn:${props.partition ?? "aws"}:ec2:${props.region}:${props.accountId}:vpc-flow-log/*`,
      }),
      permissionsBoundary: props.permissionsBoundaryArn,
    });
    const role = this.flowLogsRole;
    new IamRolePolicy(this, "flow-logs-policy", {
      role: role.id,
      name: "write-flow-logs",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [this.flowLogGroup.arn, `${this.flowLogGroup.arn}:log-stream:*`],
          },
        ],
      }),
    });
    new FlowLog(this, "flow-log", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: name("flow-log"),
    });
  }
}
