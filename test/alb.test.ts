import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { BlueGreenLoadBalancer, type BlueGreenLoadBalancerProps } from "../lib/alb";
import { DnsAlias, DnsCertificate } from "../lib/dns";
import { resourcesOf, synthWith } from "./support/scope";

const base: BlueGreenLoadBalancerProps = {
  namePrefix: "svc-dev",
  vpcId: "vpc-1",
  publicSubnetIds: ["subnet-a", "subnet-b"],
  securityGroupId: "sg-alb",
  containerPort: 8080,
  allowPlainHttp: true,
};
const CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/abc";
const synth = (props: Partial<BlueGreenLoadBalancerProps> = {}) => synthWith((s) => new BlueGreenLoadBalancer(s, "alb", { ...base, ...props }));
const rule = (s: string) => Object.values(resourcesOf(s, "aws_lb_listener_rule"))[0];
const tgKey = (s: string, colour: string) => Object.keys(resourcesOf(s, "aws_lb_target_group")).find((k) => k.includes(`tg-${colour}`));
const listenerOnPort = (s: string, port: number) => Object.values(resourcesOf(s, "aws_lb_listener")).find((l) => l.port === port);

describe("BlueGreenLoadBalancer", () => {
  test("defaults: internet-facing, invalid headers dropped, two ip target groups with dev-tight health checks", () => {
    const s = synth();
    expect(s).toHaveResourceWithProperties(Lb, { name: "svc-dev", internal: false, drop_invalid_header_fields: true, enable_deletion_protection: false });
    for (const colour of ["blue", "green"]) {
      expect(s).toHaveResourceWithProperties(LbTargetGroup, {
        name: `svc-dev-${colour}`,
        target_type: "ip",
        port: 8080,
        deregistration_delay: "30",
        tags: { Color: colour },
        health_check: expect.objectContaining({ path: "/health", interval: 10, timeout: 5, healthy_threshold: 2, unhealthy_threshold: 3, matcher: "200-299" }),
      });
    }
    expect(Object.values(resourcesOf(s, "aws_lb"))[0]).not.toHaveProperty("access_logs");
  });

  test("defaults: plain HTTP production listener with a 404 default and the weighted rule blue 100 / green 0", () => {
    const s = synth();
    expect(listenerOnPort(s, 80)).toEqual(expect.objectContaining({ protocol: "HTTP", default_action: [expect.objectContaining({ type: "fixed-response" })] }));
    const r = rule(s);
    expect(r.priority).toBe(100);
    expect(r.condition).toEqual([{ path_pattern: { values: ["/*"] } }]);
    expect(r.action).toEqual([
      {
        type: "forward",
        forward: {
          target_group: [
            { arn: `\${aws_lb_target_group.${tgKey(s, "blue")}.arn}`, weight: 100 },
            { arn: `\${aws_lb_target_group.${tgKey(s, "green")}.arn}`, weight: 0 },
          ],
        },
      },
    ]);
  });

  test("the CLI owns the rule's action and the test listener's default action", () => {
    const s = synth();
    expect(rule(s).lifecycle).toEqual({ ignore_changes: ["action", "tags", "tags_all"] });
    const test = listenerOnPort(s, 8443);
    expect(test.lifecycle).toEqual({ ignore_changes: ["default_action"] });
    expect(test.default_action).toEqual([{ type: "forward", target_group_arn: `\${aws_lb_target_group.${tgKey(s, "green")}.arn}` }]);
  });

  test("override: with a certificate, HTTPS on 443 and the test port, 80 redirects", () => {
    const s = synth({ certificateArn: CERT, allowPlainHttp: false, tlsPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" });
    expect(s).toHaveResourceWithProperties(LbListener, { port: 443, protocol: "HTTPS", certificate_arn: CERT, ssl_policy: "ELBSecurityPolicy-TLS13-1-3-2021-06" });
    expect(s).toHaveResourceWithProperties(LbListener, { port: 8443, protocol: "HTTPS", certificate_arn: CERT });
    expect(listenerOnPort(s, 80).default_action).toEqual([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }]);
    expect(rule(s).listener_arn).toMatch(/alb_production_/);
  });

  test("override: green live, stickiness, access logs, deletion protection, slower health checks", () => {
    const s = synth({
      initialWeights: { blue: 0, green: 100 },
      stickinessSeconds: 600,
      accessLogsBucket: "acme-logs",
      deletionProtection: true,
      healthCheckIntervalSeconds: 30,
      healthyThreshold: 5,
      deregistrationDelaySeconds: 120,
    });
    expect(rule(s).action[0].forward.stickiness).toEqual({ enabled: true, duration: 600 });
    expect(rule(s).action[0].forward.target_group.map((t: { weight: number }) => t.weight)).toEqual([0, 100]);
    expect(listenerOnPort(s, 8443).default_action[0].target_group_arn).toContain(tgKey(s, "blue"));
    expect(s).toHaveResourceWithProperties(Lb, { enable_deletion_protection: true, access_logs: { bucket: "acme-logs", prefix: "svc-dev", enabled: true } });
    expect(s).toHaveResourceWithProperties(LbTargetGroup, { deregistration_delay: "120", health_check: expect.objectContaining({ interval: 30, healthy_threshold: 5 }) });
  });

  test.each([
    [{ healthCheckTimeoutSeconds: 10 }, /healthCheckTimeoutSeconds \(10\) must be below healthCheckIntervalSeconds \(10\)/],
    [{ initialWeights: { blue: 0, green: 0 } }, /initialWeights are both 0/],
    [{ initialWeights: { blue: 1000, green: 0 } }, /initialWeights.blue must be a whole number 0..999, got 1000/],
    [{ initialWeights: { blue: 50, green: 50 } }, /cannot tell the idle colour/],
    [{ testListenerPort: 443 }, /testListenerPort must differ from 80 and 443, got 443/],
    [{ allowPlainHttp: false }, /no certificateArn: production traffic would be plain HTTP/],
    [{ healthCheckIntervalSeconds: 400 }, /healthCheckIntervalSeconds must be 5..300, got 400/],
    [{ healthyThreshold: 1 }, /healthyThreshold must be 2..10, got 1/],
    [{ deregistrationDelaySeconds: 4000 }, /deregistrationDelaySeconds must be 0..3600, got 4000/],
    [{ namePrefix: "a-very-long-service-name-prod" }, /exceeds AWS's 32 characters/],
  ])("throws when %j", (props, message) => {
    expect(() => synth(props as Partial<BlueGreenLoadBalancerProps>)).toThrow(message);
  });
});

describe("DNS", () => {
  test("a DNS-validated certificate whose ARN comes from the validation, and an alias to the load balancer", () => {
    const s = synthWith((sc) => {
      const cert = new DnsCertificate(sc, "cert", { domainName: "app.example.com", hostedZoneId: "Z123" });
      const alb = new BlueGreenLoadBalancer(sc, "alb", { ...base, allowPlainHttp: false, certificateArn: cert.certificateArn });
      new DnsAlias(sc, "alias", { domainName: "app.example.com", hostedZoneId: "Z123", targetDnsName: alb.loadBalancer.dnsName, targetZoneId: alb.loadBalancer.zoneId });
    });
    expect(s).toHaveResourceWithProperties(AcmCertificate, { domain_name: "app.example.com", validation_method: "DNS" });
    expect(s).toHaveResourceWithProperties(Route53Record, { zone_id: "Z123", ttl: 300 });
    expect(s).toHaveResourceWithProperties(Route53Record, { name: "app.example.com", type: "A", alias: expect.objectContaining({ evaluate_target_health: true }) });
    expect(listenerOnPort(s, 443).certificate_arn).toMatch(/^\$\{aws_acm_certificate_validation\..*\.certificate_arn\}$/);
  });

  test("throws when the domain is not a DNS name", () => {
    expect(() => synthWith((sc) => new DnsCertificate(sc, "cert", { domainName: "App.Example", hostedZoneId: "Z1" }))).toThrow(/domainName "App.Example" is not a lowercase DNS name/);
  });
});
