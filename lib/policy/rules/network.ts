/** Network rules: security groups and their rules, default security groups, flow logs, public IPs. */
import { block, blocks, bool, isOpenCidr, num, referencesIn, strings } from "../terraform";
import type { PolicyRule, RuleHit, StackView, TfResource } from "../types";
import { LB_TYPES, LISTENER_TYPES } from "./load-balancer";
import { hits } from "./util";

const SG_RULE_TYPES = ["aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"];

/** One security group rule, whichever of the four ways Terraform spells it. */
interface SgRule {
  readonly resource: TfResource;
  /** `ingress[0]` for a rule inline in an aws_security_group. */
  readonly part?: string;
  readonly direction: "ingress" | "egress";
  /** Address of the group it belongs to, when that group is in the stack. */
  readonly group?: string;
  /** "-1" for all protocols. */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  /** IPv4 and IPv6 ranges it admits (not security group or prefix list sources). */
  readonly cidrs: readonly string[];
  readonly description?: unknown;
}

const groupOf = (v: unknown) => [...referencesIn(v)].find((a) => a.startsWith("aws_security_group.") || a.startsWith("aws_default_security_group."));
const protocolOf = (v: unknown) => {
  const p = String(v ?? "-1").toLowerCase();
  return p === "all" ? "-1" : p;
};

function sgRules(view: StackView): SgRule[] {
  const out: SgRule[] = [];
  for (const sg of view.resources("aws_security_group", "aws_default_security_group")) {
    for (const direction of ["ingress", "egress"] as const) {
      blocks(sg.body[direction]).forEach((r, i) =>
        out.push({
          resource: sg,
          part: `${direction}[${i}]`,
          direction,
          group: sg.address,
          protocol: protocolOf(r.protocol),
          fromPort: num(r.from_port),
          toPort: num(r.to_port),
          cidrs: [...strings(r.cidr_blocks), ...strings(r.ipv6_cidr_blocks)],
          description: r.description,
        })
      );
    }
  }
  for (const r of view.resources("aws_security_group_rule")) {
    out.push({
      resource: r,
      direction: r.body.type === "egress" ? "egress" : "ingress",
      group: groupOf(r.body.security_group_id),
      protocol: protocolOf(r.body.protocol),
      fromPort: num(r.body.from_port),
      toPort: num(r.body.to_port),
      cidrs: [...strings(r.body.cidr_blocks), ...strings(r.body.ipv6_cidr_blocks)],
      description: r.body.description,
    });
  }
  for (const type of ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"]) {
    for (const r of view.resources(type)) {
      out.push({
        resource: r,
        direction: type.endsWith("ingress_rule") ? "ingress" : "egress",
        group: groupOf(r.body.security_group_id),
        protocol: protocolOf(r.body.ip_protocol),
        fromPort: num(r.body.from_port),
        toPort: num(r.body.to_port),
        cidrs: [...strings(r.body.cidr_ipv4), ...strings(r.body.cidr_ipv6)],
        description: r.body.description,
      });
    }
  }
  return out;
}

const allPorts = (r: SgRule) => r.protocol === "-1" || ((r.fromPort ?? 0) <= 1 && (r.toPort ?? 65535) >= 65535);
const ports = (r: SgRule) => (r.protocol === "-1" ? "all traffic" : r.fromPort === r.toPort ? `${r.protocol} ${r.fromPort}` : `${r.protocol} ${r.fromPort}-${r.toPort}`);
const ruleHit = (r: SgRule, detail?: string): RuleHit => ({ resource: r.resource, part: r.part, detail });

/**
 * Ports the internet may reach on `group`: the listener ports of the load balancers it is
 * attached to, when it is attached to load balancers only. Empty for any other group.
 */
function publicListenerPorts(view: StackView, group: string): Set<number> {
  const users = view.referrers(group).filter((r) => !SG_RULE_TYPES.includes(r.type) && r.type !== "aws_security_group");
  if (users.length === 0 || !users.every((u) => LB_TYPES.includes(u.type) && strings(u.body.security_groups).some((s) => s.includes(`${group}.`)))) return new Set();
  const result = new Set<number>();
  for (const lb of users) {
    for (const listener of view.referrers(lb.address, ...LISTENER_TYPES)) {
      const port = num(listener.body.port);
      if (port !== undefined) result.add(port);
    }
  }
  return result;
}

export const NETWORK_RULES: PolicyRule[] = [
  {
    id: "SG-DESCRIPTION",
    mirrors: ["CKV_AWS_23", "AVD-AWS-0099"],
    resourceType: "aws_security_group",
    message: "the security group has no description of what it is for",
    fix: 'give the security group a description (Terraform\'s default "Managed by Terraform" says nothing)',
    check: (view) =>
      hits(view.resources("aws_security_group"), (sg) => {
        const d = sg.body.description;
        return !(typeof d === "string" && d.trim() !== "" && d !== "Managed by Terraform");
      }),
  },
  {
    id: "SG-RULE-DESCRIPTION",
    mirrors: ["CKV_AWS_23", "AVD-AWS-0124"],
    resourceType: "aws_security_group_rule, aws_vpc_security_group_ingress_rule, aws_vpc_security_group_egress_rule, aws_security_group",
    message: "the security group rule has no description of why it exists",
    fix: "give every security group rule a description naming its peer and purpose",
    check: (view) =>
      sgRules(view)
        .filter((r) => !(typeof r.description === "string" && r.description.trim() !== ""))
        .map((r) => ruleHit(r, `${r.direction} ${ports(r)}`)),
  },
  {
    id: "SG-PUBLIC-INGRESS",
    mirrors: ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "AVD-AWS-0107"],
    resourceType: "aws_security_group_rule, aws_vpc_security_group_ingress_rule, aws_security_group",
    message: "ingress from anywhere (0.0.0.0/0 or ::/0) other than to a load balancer's listener port",
    fix: "admit only known ranges (ingress_cidrs, test_listener_cidrs) or another security group; only a group attached to load balancers alone may open their listener ports to the internet",
    check: (view) =>
      sgRules(view)
        .filter((r) => r.direction === "ingress" && r.cidrs.some(isOpenCidr))
        .filter((r) => {
          const open = r.group ? publicListenerPorts(view, r.group) : new Set<number>();
          return !(r.protocol === "tcp" && r.fromPort !== undefined && r.fromPort === r.toPort && open.has(r.fromPort));
        })
        .map((r) => ruleHit(r, `${ports(r)} from ${r.cidrs.filter(isOpenCidr).join(", ")}`)),
  },
  {
    id: "SG-ALL-PORTS-INGRESS",
    mirrors: ["CKV_AWS_277"],
    resourceType: "aws_security_group_rule, aws_vpc_security_group_ingress_rule, aws_security_group",
    message: "ingress on all ports (or all protocols)",
    fix: "open only the ports the service listens on",
    check: (view) =>
      sgRules(view)
        .filter((r) => r.direction === "ingress" && allPorts(r))
        .map((r) => ruleHit(r, ports(r))),
  },
  {
    id: "SG-OPEN-EGRESS",
    mirrors: ["CKV_AWS_382", "AVD-AWS-0104"],
    resourceType: "aws_security_group_rule, aws_vpc_security_group_egress_rule, aws_security_group",
    message: "egress to anywhere (0.0.0.0/0 or ::/0)",
    fix: "send egress to a security group, prefix list (e.g. VPC endpoints) or known ranges; where AWS endpoints have no fixed ranges, keep it to 443 and write the exception down",
    check: (view) =>
      sgRules(view)
        .filter((r) => r.direction === "egress" && r.cidrs.some(isOpenCidr))
        .map((r) => ruleHit(r, `${ports(r)} to ${r.cidrs.filter(isOpenCidr).join(", ")}`)),
  },
  {
    id: "SG-DEFAULT-RESTRICTED",
    mirrors: ["CKV2_AWS_12", "AVD-AWS-0173"],
    resourceType: "aws_vpc",
    message: "the VPC's default security group is not emptied: members can talk to each other on every port",
    fix: "add an aws_default_security_group for the VPC with no ingress and no egress (lib/network.ts does)",
    check: (view) =>
      view.resources("aws_vpc").flatMap((vpc): RuleHit[] => {
        const defaults = view.referrers(vpc.address, "aws_default_security_group");
        if (defaults.length === 0) return [{ resource: vpc, detail: "no aws_default_security_group" }];
        return defaults
          .filter((sg) => blocks(sg.body.ingress).length > 0 || blocks(sg.body.egress).length > 0 || view.referrers(sg.address, ...SG_RULE_TYPES).length > 0)
          .map((sg) => ({ resource: sg, detail: "it has rules" }));
      }),
  },
  {
    id: "SG-ATTACHED",
    mirrors: ["CKV2_AWS_5"],
    resourceType: "aws_security_group",
    message: "the security group is attached to nothing: an unused group is clutter that someone will attach by mistake",
    fix: "attach it (load balancer, launch template, ECS service, ...) or delete it",
    check: (view) => hits(view.resources("aws_security_group"), (sg) => view.referrers(sg.address).filter((r) => !SG_RULE_TYPES.includes(r.type) && r.type !== "aws_security_group").length === 0),
  },
  {
    id: "VPC-FLOW-LOGS",
    mirrors: ["CKV2_AWS_11", "AVD-AWS-0178"],
    resourceType: "aws_vpc",
    message: "the VPC has no flow log: accepted and rejected traffic is not recorded",
    fix: 'add an aws_flow_log with vpc_id = the VPC and traffic_type = "ALL" (lib/network.ts does)',
    check: (view) => hits(view.resources("aws_vpc"), (vpc) => !view.referrers(vpc.address, "aws_flow_log").some((f) => referencesIn(f.body.vpc_id).has(vpc.address))),
  },
  {
    id: "SUBNET-NO-PUBLIC-IP",
    mirrors: ["CKV_AWS_130", "AVD-AWS-0164"],
    resourceType: "aws_subnet",
    message: "the subnet gives every instance launched in it a public IP",
    fix: "set map_public_ip_on_launch = false; load balancers and NAT gateways bring their own addresses",
    check: (view) => hits(view.resources("aws_subnet"), (s) => bool(s.body.map_public_ip_on_launch) === true),
  },
  {
    id: "EC2-NO-PUBLIC-IP",
    mirrors: ["CKV_AWS_88", "CKV_AWS_389", "AVD-AWS-0009"],
    resourceType: "aws_launch_template, aws_launch_configuration, aws_instance",
    message: "instances get a public IP address",
    fix: "set associate_public_ip_address = false and reach the internet through the NAT gateway",
    check: (view) => [
      ...hits(view.resources("aws_launch_template"), (lt) => blocks(lt.body.network_interfaces).some((ni) => bool(ni.associate_public_ip_address) === true)),
      ...hits(view.resources("aws_launch_configuration", "aws_instance"), (r) => bool(r.body.associate_public_ip_address) === true),
    ],
  },
  {
    id: "ECS-SERVICE-NO-PUBLIC-IP",
    mirrors: ["CKV_AWS_333"],
    resourceType: "aws_ecs_service",
    message: "the service's tasks get public IP addresses",
    fix: "set network_configuration.assign_public_ip = false and run the tasks in private subnets",
    check: (view) => hits(view.resources("aws_ecs_service"), (s) => bool(block(s.body.network_configuration).assign_public_ip) === true),
  },
];
