import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { BlueGreenLoadBalancer, type BlueGreenLoadBalancerProps } from "../lib/alb";
import { DnsAlias, DnsCertificate } from "../lib/dns";
import { parse, resourcesOf, synthWith } from "./support/scope";
import { validateAndPlan } from "./support/terraform";

/** Dev-like: no certificate, plain HTTP allowed. */
const base: BlueGreenLoadBalancerProps = {
  namePrefix: "webapp-dev",
  vpcId: "vpc-1",
  publicSubnetIds: ["subnet-a", "subnet-b"],
  securityGroupId: "sg-alb",
  containerPort: 8080,
  allowPlainHttp: true,
};
const CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/abc";

let built: BlueGreenLoadBalancer | undefined;
const synth = (props: Partial<BlueGreenLoadBalancerProps> = {}) =>
  synthWith((s) => {
    built = new BlueGreenLoadBalancer(s, "alb", { ...base, ...props });
  });
const only = (s: string, type: string): any => {
  const all = Object.values(resourcesOf(s, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
};
const rule = (s: string) => only(s, "aws_lb_listener_rule");
const tgRef = (s: string, colour: string) => {
  const key = Object.keys(resourcesOf(s, "aws_lb_target_group")).find((k) => k.startsWith(`alb_tg-${colour}_`));
  if (!key) throw new Error(`no tg-${colour}`);
  return `\${aws_lb_target_group.${key}.arn}`;
};
const listenerOnPort = (s: string, port: number) => {
  const hits = Object.values(resourcesOf(s, "aws_lb_listener")).filter((l) => l.port === port);
  if (hits.length !== 1) throw new Error(`expected one listener on ${port}, found ${hits.length}`);
  return hits[0];
};
const ports = (s: string) => Object.values(resourcesOf(s, "aws_lb_listener")).map((l) => l.port).sort((a, b) => a - b);

describe("BlueGreenLoadBalancer", () => {
  test("defaults: internet-facing hardened ALB, plain HTTP on 80 with a 404 default, weighted rule blue 100 / green 0, test listener on green", () => {
    const s = synth();
    const lb = only(s, "aws_lb");
    expect(lb).toEqual(
      expect.objectContaining({
        name: "webapp-dev",
        internal: false,
        load_balancer_type: "application",
        subnets: ["subnet-a", "subnet-b"],
        security_groups: ["sg-alb"],
        drop_invalid_header_fields: true,
        desync_mitigation_mode: "defensive",
        enable_deletion_protection: false,
        idle_timeout: 60,
      }),
    );
    expect(lb).not.toHaveProperty("access_logs");

    expect(ports(s)).toEqual([80, 8443]); // no redirect listener without HTTPS
    expect(built?.redirectListener).toBeUndefined();
    const prod = listenerOnPort(s, 80);
    expect(prod.protocol).toBe("HTTP");
    expect(prod).not.toHaveProperty("ssl_policy");
    expect(prod.default_action).toEqual([{ type: "fixed-response", fixed_response: { content_type: "text/plain", status_code: "404", message_body: "Not found" } }]);

    const r = rule(s);
    expect(r.listener_arn).toMatch(/^\$\{aws_lb_listener\.alb_production_[0-9A-F]+\.arn\}$/);
    expect(r.priority).toBe(100);
    expect(r.condition).toEqual([{ path_pattern: { values: ["/*"] } }]);
    expect(r.action).toEqual([
      {
        type: "forward",
        forward: {
          target_group: [
            { arn: tgRef(s, "blue"), weight: 100 },
            { arn: tgRef(s, "green"), weight: 0 },
          ],
        },
      },
    ]);
    expect(r.action[0].forward).not.toHaveProperty("stickiness");

    const test = listenerOnPort(s, 8443);
    expect(test.protocol).toBe("HTTP");
    expect(test.default_action).toEqual([{ type: "forward", target_group_arn: tgRef(s, "green") }]);
    expect(built?.idleColour).toBe("green");
  });

  test("defaults: two ip target groups named per colour, tagged Color, HTTP to the container port, health check and 30 s drain", () => {
    const s = synth();
    const tgs = resourcesOf(s, "aws_lb_target_group");
    expect(Object.keys(tgs).map((k) => k.replace(/_[0-9A-F]+$/, "")).sort()).toEqual(["alb_tg-blue", "alb_tg-green"]);
    for (const colour of ["blue", "green"]) {
      expect(s).toHaveResourceWithProperties(LbTargetGroup, {
        name: `webapp-dev-${colour}`,
        target_type: "ip",
        protocol: "HTTP",
        port: 8080,
        vpc_id: "vpc-1",
        deregistration_delay: "30",
        tags: { Color: colour },
        health_check: {
          enabled: true,
          protocol: "HTTP",
          port: "traffic-port",
          path: "/health",
          matcher: "200-299",
          interval: 10,
          timeout: 5,
          healthy_threshold: 2,
          unhealthy_threshold: 3,
        },
      });
    }
  });

  test("the CLI owns exactly the rule's action (and its shift-record tags) and the test listener's default_action; nothing else ignores changes", () => {
    const s = synth({ certificateArn: CERT });
    expect(rule(s).lifecycle).toEqual({ ignore_changes: ["action", "tags", "tags_all"] });
    expect(listenerOnPort(s, 8443).lifecycle).toEqual({ ignore_changes: ["default_action"] });
    const withLifecycle = Object.entries(parse(s).resource ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName)
        .filter(([, r]) => r.lifecycle)
        .map(([name]) => `${type}.${name.replace(/_[0-9A-F]+$/, "")}`),
    );
    expect(withLifecycle.sort()).toEqual(["aws_lb_listener.alb_test", "aws_lb_listener_rule.alb_weighted"]);
  });

  test("override: with a certificate, HTTPS on 443 with the TLS policy, 80 redirects (301), the test listener is HTTPS", () => {
    const s = synth({ certificateArn: CERT, allowPlainHttp: false, tlsPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" });
    expect(ports(s)).toEqual([80, 443, 8443]);
    expect(s).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: "HTTPS",
      certificate_arn: CERT,
      ssl_policy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
      default_action: [expect.objectContaining({ type: "fixed-response" })],
    });
    expect(s).toHaveResourceWithProperties(LbListener, { port: 8443, protocol: "HTTPS", certificate_arn: CERT, ssl_policy: "ELBSecurityPolicy-TLS13-1-3-2021-06" });
    const redirect = listenerOnPort(s, 80);
    expect(redirect.protocol).toBe("HTTP");
    expect(redirect.default_action).toEqual([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }]);
    expect(built?.redirectListener).toBeDefined();
    expect(rule(s).listener_arn).toMatch(/alb_production_/);
  });

  test("override: a certificate wins over allowPlainHttp (80 still redirects)", () => {
    const s = synth({ certificateArn: CERT, allowPlainHttp: true });
    expect(listenerOnPort(s, 80).default_action[0].type).toBe("redirect");
    expect(listenerOnPort(s, 443).protocol).toBe("HTTPS");
  });

  test("override: the default TLS policy is TLS 1.3 / 1.2", () => {
    const s = synth({ certificateArn: CERT });
    expect(listenerOnPort(s, 443).ssl_policy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
  });

  test("override: green live with stickiness: weights and stickiness in the forward, test listener on blue", () => {
    const s = synth({ initialWeights: { blue: 0, green: 100 }, stickinessSeconds: 600 });
    const forward = rule(s).action[0].forward;
    expect(forward.target_group).toEqual([
      { arn: tgRef(s, "blue"), weight: 0 },
      { arn: tgRef(s, "green"), weight: 100 },
    ]);
    expect(forward.stickiness).toEqual({ enabled: true, duration: 600 });
    expect(listenerOnPort(s, 8443).default_action).toEqual([{ type: "forward", target_group_arn: tgRef(s, "blue") }]);
    expect(built?.idleColour).toBe("blue");
  });

  test("override: both colours weighted (a canary at creation): the lower weight is the idle colour", () => {
    const s = synth({ initialWeights: { blue: 10, green: 90 } });
    expect(rule(s).action[0].forward.target_group.map((t: { weight: number }) => t.weight)).toEqual([10, 90]);
    expect(listenerOnPort(s, 8443).default_action[0].target_group_arn).toBe(tgRef(s, "blue"));
  });

  test("override: health check, drain, test port, container port", () => {
    const s = synth({
      healthCheckPath: "/ready",
      healthCheckMatcher: "200",
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 10,
      healthyThreshold: 5,
      unhealthyThreshold: 4,
      deregistrationDelaySeconds: 120,
      testListenerPort: 9443,
      containerPort: 3000,
    });
    expect(ports(s)).toEqual([80, 9443]);
    for (const colour of ["blue", "green"]) {
      expect(s).toHaveResourceWithProperties(LbTargetGroup, {
        name: `webapp-dev-${colour}`,
        port: 3000,
        deregistration_delay: "120",
        health_check: expect.objectContaining({ path: "/ready", matcher: "200", interval: 30, timeout: 10, healthy_threshold: 5, unhealthy_threshold: 4 }),
      });
    }
  });

  test("override: a 26-character name prefix still fits every name", () => {
    const s = synth({ namePrefix: "abcdefghijklmnopqrstuvwxyz" });
    expect(s).toHaveResourceWithProperties(LbTargetGroup, { name: "abcdefghijklmnopqrstuvwxyz-green" });
  });

  test("override: access logs under the name prefix, deletion protection, idle timeout", () => {
    const s = synth({ accessLogsBucket: "acme-alb-logs", deletionProtection: true, idleTimeoutSeconds: 120 });
    expect(s).toHaveResourceWithProperties(Lb, {
      enable_deletion_protection: true,
      idle_timeout: 120,
      access_logs: { bucket: "acme-alb-logs", prefix: "webapp-dev", enabled: true },
    });
  });

  test.each<[string, Partial<BlueGreenLoadBalancerProps>, RegExp]>([
    ["the health check timeout is not below the interval", { healthCheckTimeoutSeconds: 10 }, /healthCheckTimeoutSeconds \(10\) must be below healthCheckIntervalSeconds \(10\)/],
    ["the health check timeout is out of range", { healthCheckTimeoutSeconds: 1 }, /healthCheckTimeoutSeconds must be a whole number 2\.\.120, got 1/],
    ["the interval is below 5", { healthCheckIntervalSeconds: 4, healthCheckTimeoutSeconds: 2 }, /healthCheckIntervalSeconds must be a whole number 5\.\.300, got 4/],
    ["the interval is above 300", { healthCheckIntervalSeconds: 301 }, /healthCheckIntervalSeconds must be a whole number 5\.\.300, got 301/],
    ["the healthy threshold is below 2", { healthyThreshold: 1 }, /healthyThreshold must be a whole number 2\.\.10, got 1/],
    ["the unhealthy threshold is above 10", { unhealthyThreshold: 11 }, /unhealthyThreshold must be a whole number 2\.\.10, got 11/],
    ["the deregistration delay is above 3600", { deregistrationDelaySeconds: 3601 }, /deregistrationDelaySeconds must be a whole number 0\.\.3600, got 3601/],
    ["the deregistration delay is negative", { deregistrationDelaySeconds: -1 }, /deregistrationDelaySeconds must be a whole number 0\.\.3600, got -1/],
    ["a weight is above 999", { initialWeights: { blue: 1000, green: 0 } }, /initialWeights\.blue must be a whole number 0\.\.999, got 1000/],
    ["a weight is negative", { initialWeights: { blue: 100, green: -1 } }, /initialWeights\.green must be a whole number 0\.\.999, got -1/],
    ["a weight is fractional", { initialWeights: { blue: 99.5, green: 0 } }, /initialWeights\.blue must be a whole number 0\.\.999, got 99\.5/],
    ["both weights are 0", { initialWeights: { blue: 0, green: 0 } }, /initialWeights are both 0: no colour would receive production traffic/],
    ["the weights are equal", { initialWeights: { blue: 50, green: 50 } }, /initialWeights are equal \(blue 50, green 50\): cannot tell the idle colour/],
    ["the test port is 443", { testListenerPort: 443 }, /testListenerPort must not be 80 or 443 \(the production ports\), got 443/],
    ["the test port is 80", { testListenerPort: 80 }, /testListenerPort must not be 80 or 443 \(the production ports\), got 80/],
    ["the test port is not a port", { testListenerPort: 70000 }, /testListenerPort must be a whole number 1\.\.65535, got 70000/],
    ["there is no certificate and plain HTTP is not allowed", { allowPlainHttp: false }, /no certificateArn: production traffic would be plain HTTP/],
    ["a target group name would exceed 32 characters", { namePrefix: "abcdefghijklmnopqrstuvwxyz1" }, /target group name "abcdefghijklmnopqrstuvwxyz1-green" is 33 characters, AWS allows 32; shorten namePrefix to at most 26/],
    ["the name prefix has bad characters", { namePrefix: "Web_App" }, /namePrefix must be lowercase letters, digits and inner hyphens.*got "Web_App"/],
    ["the name prefix starts with internal-", { namePrefix: "internal-app" }, /not starting with "internal-", got "internal-app"/],
    ["there is only one public subnet", { publicSubnetIds: ["subnet-a"] }, /publicSubnetIds must list at least 2 subnets.*got 1/],
    ["the container port is 0", { containerPort: 0 }, /containerPort must be a whole number 1\.\.65535, got 0/],
    ["stickiness is above 7 days", { stickinessSeconds: 604801 }, /stickinessSeconds must be a whole number 0\.\.604800, got 604801/],
    ["the idle timeout is above 4000", { idleTimeoutSeconds: 4001 }, /idleTimeoutSeconds must be a whole number 1\.\.4000, got 4001/],
    ["the TLS policy allows TLS 1.0", { certificateArn: CERT, tlsPolicy: "ELBSecurityPolicy-2016-08" }, /tlsPolicy must be an ELB security policy with TLS 1\.2 or 1\.3 as the minimum.*got "ELBSecurityPolicy-2016-08"/],
    ["the health check path does not start with /", { healthCheckPath: "health" }, /healthCheckPath must start with \/ and have no spaces, got "health"/],
    ["the matcher is not HTTP codes", { healthCheckMatcher: "ok" }, /healthCheckMatcher must be HTTP codes such as "200" or "200-299", got "ok"/],
  ])("throws when %s", (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test("the richest variant (HTTPS from a DNS certificate, alias, access logs, stickiness) passes terraform validate and an offline plan", () => {
    const s = synthWith((sc) => {
      const cert = new DnsCertificate(sc, "cert", { domainName: "app.example.com", hostedZoneId: "Z0123456789ABC" });
      const alb = new BlueGreenLoadBalancer(sc, "alb", {
        ...base,
        allowPlainHttp: false,
        certificateArn: cert.certificateArn,
        accessLogsBucket: "acme-alb-logs",
        stickinessSeconds: 3600,
        initialWeights: { blue: 90, green: 10 },
        deletionProtection: true,
      });
      new DnsAlias(sc, "alias", { domainName: "app.example.com", hostedZoneId: "Z0123456789ABC", targetDnsName: alb.loadBalancer.dnsName, targetZoneId: alb.loadBalancer.zoneId });
    });
    expect(rule(s).action[0].forward.stickiness).toEqual({ enabled: true, duration: 3600 });
    expect(listenerOnPort(s, 443).certificate_arn).toMatch(/^\$\{aws_acm_certificate_validation\.cert_validated_[0-9A-F]+\.certificate_arn\}$/);

    const plan = validateAndPlan(s, "alb");
    const created = (plan.json.resource_changes ?? []).map((rc) => `${rc.type}:${rc.change.actions.join("+")}`).sort();
    expect(created).toEqual(
      [
        "aws_acm_certificate:create",
        "aws_acm_certificate_validation:create",
        "aws_lb:create",
        "aws_lb_listener:create",
        "aws_lb_listener:create",
        "aws_lb_listener:create",
        "aws_lb_listener_rule:create",
        "aws_lb_target_group:create",
        "aws_lb_target_group:create",
        "aws_route53_record:create",
        "aws_route53_record:create",
        "aws_route53_record:create",
      ].sort(),
    );
  }, 120_000);
});
