import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone";
import { TerraformOutput } from "cdktf";
import { DnsAlias, DnsCertificate, type DnsAliasProps, type DnsCertificateProps } from "../lib/dns";
import { parse, resourcesOf, synthWith } from "./support/scope";

// terraform validate and an offline plan of these constructs run in test/alb.test.ts, on the
// richest variant (HTTPS from a DnsCertificate, with a DnsAlias): one Terraform run per file.

const ZONE = "Z0123456789ABC";
const certProps: DnsCertificateProps = { domainName: "app.example.com", hostedZoneId: ZONE };
const aliasProps: DnsAliasProps = {
  domainName: "app.example.com",
  hostedZoneId: ZONE,
  targetDnsName: "webapp-dev-123.eu-west-1.elb.amazonaws.com",
  targetZoneId: "Z32O12XQLNTSW2",
};
const keyOf = (s: string, type: string) => {
  const keys = Object.keys(resourcesOf(s, type));
  if (keys.length !== 1) throw new Error(`expected one ${type}, found ${keys.length}`);
  return keys[0];
};

describe("DnsCertificate", () => {
  test("defaults: a DNS-validated ECDSA certificate, its one validation record, and a validation whose ARN is the construct's certificateArn", () => {
    const s = synthWith((sc) => {
      const cert = new DnsCertificate(sc, "cert", certProps);
      new TerraformOutput(sc, "arn", { value: cert.certificateArn });
    });
    const certKey = keyOf(s, "aws_acm_certificate");
    expect(s).toHaveResourceWithProperties(AcmCertificate, {
      domain_name: "app.example.com",
      validation_method: "DNS",
      key_algorithm: "EC_prime256v1",
      lifecycle: { create_before_destroy: true },
    });

    // The set of validation options is read as a list (tolist) and its only element used.
    const option = (field: string) => `\${tolist(aws_acm_certificate.${certKey}.domain_validation_options).0.${field}}`;
    const record = Object.values(resourcesOf(s, "aws_route53_record"))[0];
    expect(Object.keys(resourcesOf(s, "aws_route53_record"))).toHaveLength(1);
    expect(record).toEqual({
      zone_id: ZONE,
      name: expect.any(String),
      type: expect.any(String),
      records: [expect.any(String)],
      ttl: 300,
      allow_overwrite: true,
    });
    expect(record.name).toBe(option("resource_record_name"));
    expect(record.type).toBe(option("resource_record_type"));
    expect(record.records[0]).toBe(option("resource_record_value"));

    const recordKey = keyOf(s, "aws_route53_record");
    expect(s).toHaveResourceWithProperties(AcmCertificateValidation, {
      certificate_arn: `\${aws_acm_certificate.${certKey}.arn}`,
      validation_record_fqdns: [`\${aws_route53_record.${recordKey}.fqdn}`],
    });
    expect(parse(s).output?.arn.value).toBe(`\${aws_acm_certificate_validation.${keyOf(s, "aws_acm_certificate_validation")}.certificate_arn}`);
  });

  test("override: a hosted zone id from another resource (a token) is accepted as is", () => {
    const s = synthWith((sc) => {
      const zone = new Route53Zone(sc, "zone", { name: "example.com" });
      new DnsCertificate(sc, "cert", { domainName: "app.example.com", hostedZoneId: zone.zoneId });
    });
    expect(Object.values(resourcesOf(s, "aws_route53_record"))[0].zone_id).toBe(`\${aws_route53_zone.${keyOf(s, "aws_route53_zone")}.zone_id}`);
  });

  test.each<[string, Partial<DnsCertificateProps>, RegExp]>([
    ["the domain is not lowercase", { domainName: "App.Example.com" }, /DnsCertificate: domainName must be a lowercase DNS name such as app\.example\.com, got "App\.Example\.com"/],
    ["the domain has no dot", { domainName: "localhost" }, /domainName must be a lowercase DNS name.*got "localhost"/],
    ["the domain is a wildcard", { domainName: "*.example.com" }, /domainName must be a lowercase DNS name.*got "\*\.example\.com"/],
    ["the hosted zone id is not one", { hostedZoneId: "/hostedzone/Z0123" }, /DnsCertificate: hostedZoneId must be a Route 53 hosted zone id such as Z0123456789ABC, got "\/hostedzone\/Z0123"/],
  ])("throws when %s", (_, props, message) => {
    expect(() => synthWith((sc) => new DnsCertificate(sc, "cert", { ...certProps, ...props }))).toThrow(message);
  });
});

describe("DnsAlias", () => {
  test("defaults: A and AAAA alias records to the load balancer, evaluating target health", () => {
    const s = synthWith((sc) => new DnsAlias(sc, "alias", aliasProps));
    const records = Object.values(resourcesOf(s, "aws_route53_record"));
    expect(records.map((r) => r.type).sort()).toEqual(["A", "AAAA"]);
    for (const type of ["A", "AAAA"]) {
      expect(s).toHaveResourceWithProperties(Route53Record, {
        zone_id: ZONE,
        name: "app.example.com",
        type,
        alias: { name: "webapp-dev-123.eu-west-1.elb.amazonaws.com", zone_id: "Z32O12XQLNTSW2", evaluate_target_health: true },
      });
    }
    for (const r of records) expect(r).not.toHaveProperty("ttl"); // alias records carry no TTL of their own
  });

  test.each<[string, Partial<DnsAliasProps>, RegExp]>([
    ["the domain is not a DNS name", { domainName: "app_example" }, /DnsAlias: domainName must be a lowercase DNS name such as app\.example\.com, got "app_example"/],
    ["the hosted zone id is not one", { hostedZoneId: "zone-1" }, /DnsAlias: hostedZoneId must be a Route 53 hosted zone id such as Z0123456789ABC, got "zone-1"/],
  ])("throws when %s", (_, props, message) => {
    expect(() => synthWith((sc) => new DnsAlias(sc, "alias", { ...aliasProps, ...props }))).toThrow(message);
  });
});
