import { SecurityGroups, type SecurityGroupsProps } from "../lib/security-groups";
import { resourcesOf, synthWith } from "./support/scope";

const base: SecurityGroupsProps = { namePrefix: "svc-dev", vpcId: "vpc-1", testListenerCidrs: ["203.0.113.0/24"], containerPort: 8080 };
const synth = (props: Partial<SecurityGroupsProps> = {}) => synthWith((s) => new SecurityGroups(s, "sg", { ...base, ...props }));
const rules = (s: string, kind: "ingress" | "egress") => Object.values(resourcesOf(s, `aws_vpc_security_group_${kind}_rule`));

describe("SecurityGroups", () => {
  test("defaults: 80/443 from anywhere, test port only from the test range, tasks only from the ALB, instances no ingress", () => {
    const s = synth();
    const groups = resourcesOf(s, "aws_security_group");
    const id = (frag: string) => `\${aws_security_group.${Object.keys(groups).find((n) => n.includes(frag))}.id}`;
    const ingress = rules(s, "ingress");
    const summary = ingress.map((r) => `${r.security_group_id}|${r.from_port}|${r.cidr_ipv4 ?? r.referenced_security_group_id}`).sort();
    expect(summary).toEqual(
      [`${id("alb")}|80|0.0.0.0/0`, `${id("alb")}|443|0.0.0.0/0`, `${id("alb")}|8443|203.0.113.0/24`, `${id("tasks")}|8080|${id("alb")}`].sort(),
    );
    expect(ingress.filter((r) => r.security_group_id === id("instances"))).toHaveLength(0);
    // 0.0.0.0/0 ingress only on the production listener ports
    for (const r of ingress.filter((r) => r.cidr_ipv4 === "0.0.0.0/0")) expect([80, 443]).toContain(r.from_port);
    // ALB egress only to the tasks on the container port
    const albEgress = rules(s, "egress").filter((r) => r.security_group_id === id("alb"));
    expect(albEgress).toEqual([expect.objectContaining({ from_port: 8080, to_port: 8080, referenced_security_group_id: id("tasks") })]);
  });

  test("every rule has a description and no rule opens all ports", () => {
    const s = synth();
    for (const r of [...rules(s, "ingress"), ...rules(s, "egress")]) {
      expect(r.description).toEqual(expect.any(String));
      expect(r.description.length).toBeGreaterThan(10);
      expect(r.ip_protocol).toBe("tcp");
      expect(r.from_port).toBe(r.to_port);
    }
  });

  test("override: listener ports and ingress ranges", () => {
    const s = synth({ ingressCidrs: ["198.51.100.0/24"], listenerPorts: [80], testListenerPort: 9443 });
    const ingress = rules(s, "ingress");
    expect(ingress.filter((r) => r.from_port === 80).map((r) => r.cidr_ipv4)).toEqual(["198.51.100.0/24"]);
    expect(ingress.some((r) => r.from_port === 443)).toBe(false);
    expect(ingress.some((r) => r.from_port === 9443 && r.cidr_ipv4 === "203.0.113.0/24")).toBe(true);
  });

  test.each(["0.0.0.0/0", "::/0"])("throws when the test listener is opened to %s", (cidr) => {
    expect(() => synth({ testListenerCidrs: [cidr] })).toThrow(new RegExp(`must not contain ${cidr.replace(/[./]/g, "\\$&")}`));
  });

  test("throws when the test port collides with a listener port", () => {
    expect(() => synth({ testListenerPort: 443 })).toThrow(/testListenerPort 443 collides with a listener port/);
  });
});
