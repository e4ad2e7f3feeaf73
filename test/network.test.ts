import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Network, type NetworkProps } from "../lib/network";
import { resourcesOf, synthWith } from "./support/scope";

const base: NetworkProps = {
  namePrefix: "svc-dev",
  vpcCidr: "10.0.0.0/16",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  publicSubnetCidrs: ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
  privateSubnetCidrs: ["10.0.10.0/24", "10.0.11.0/24", "10.0.12.0/24"],
  region: "eu-west-1",
  accountId: "111111111111",
  permissionsBoundaryArn: "arn:aws:iam::111111111111:policy/svc-dev-boundary",
};
const synth = (props: Partial<NetworkProps> = {}) => synthWith((s) => new Network(s, "network", { ...base, ...props }));

describe("Network", () => {
  test("defaults: DNS on, subnets per AZ without public IPs, one NAT per AZ, flow logs of all traffic", () => {
    const s = synth();
    expect(s).toHaveResourceWithProperties(Vpc, { cidr_block: "10.0.0.0/16", enable_dns_support: true, enable_dns_hostnames: true });
    const subnets = Object.values(resourcesOf(s, "aws_subnet"));
    expect(subnets).toHaveLength(6);
    for (const subnet of subnets) expect(subnet.map_public_ip_on_launch).toBe(false);
    expect(s).toHaveResourceWithProperties(Subnet, { availability_zone: "eu-west-1c", cidr_block: "10.0.12.0/24" });
    expect(Object.keys(resourcesOf(s, "aws_nat_gateway"))).toHaveLength(3);
    // each private route table goes to its own AZ's NAT
    const routes = Object.entries(resourcesOf(s, "aws_route")).filter(([n]) => n.includes("private"));
    const natTargets = new Set(routes.map(([, r]) => r.nat_gateway_id));
    expect(natTargets.size).toBe(3);
    expect(s).toHaveResourceWithProperties(FlowLog, { traffic_type: "ALL", log_destination_type: "cloud-watch-logs" });
    const [group] = Object.values(resourcesOf(s, "aws_cloudwatch_log_group"));
    expect(group.retention_in_days).toBe(30);
    expect(Object.values(resourcesOf(s, "aws_default_security_group"))[0]).not.toHaveProperty("ingress");
  });

  test("the flow log role may only write to its own log group", () => {
    const s = synth();
    const [policy] = Object.values(resourcesOf(s, "aws_iam_role_policy"));
    const doc = JSON.parse(policy.policy);
    const groupName = Object.keys(resourcesOf(s, "aws_cloudwatch_log_group"))[0];
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0].Resource).toEqual([`\${aws_cloudwatch_log_group.${groupName}.arn}`, `\${aws_cloudwatch_log_group.${groupName}.arn}:log-stream:*`]);
    const [role] = Object.values(resourcesOf(s, "aws_iam_role"));
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        // confused deputy: only this account's flow logs, in this region
        Condition: { StringEquals: { "aws:SourceAccount": "111111111111" }, ArnLike: { "aws:SourceArn": "arn:aws:ec2:eu-west-1:111111111111:vpc-flow-log/*" } },
      },
    ]);
    expect(role.permissions_boundary).toBe("arn:aws:iam::111111111111:policy/svc-dev-boundary");
  });

  test("single NAT mode: one NAT gateway shared by every private route table", () => {
    const s = synth({ natGatewayMode: "single", flowLogRetentionInDays: 7 });
    expect(Object.keys(resourcesOf(s, "aws_nat_gateway"))).toHaveLength(1);
    const routes = Object.entries(resourcesOf(s, "aws_route")).filter(([n]) => n.includes("private"));
    expect(routes).toHaveLength(3);
    expect(new Set(routes.map(([, r]) => r.nat_gateway_id)).size).toBe(1);
    expect(Object.values(resourcesOf(s, "aws_cloudwatch_log_group"))[0].retention_in_days).toBe(7);
  });

  test("throws when a subnet list does not match the zones", () => {
    expect(() => synth({ privateSubnetCidrs: ["10.0.10.0/24"] })).toThrow(/privateSubnetCidrs needs one CIDR per availability zone \(3\), got 1/);
  });

  test("throws when fewer than two zones are given", () => {
    expect(() => synth({ availabilityZones: ["eu-west-1a"], publicSubnetCidrs: ["10.0.0.0/24"], privateSubnetCidrs: ["10.0.10.0/24"] })).toThrow(
      /at least 2 zones, got \["eu-west-1a"\]/,
    );
  });
});
