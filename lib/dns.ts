import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Token } from "cdktf";
import { Construct } from "constructs";

/** A lowercase DNS name such as `app.example.com` (the config's `domain_name` rule). */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** A Route 53 hosted zone id such as `Z0123456789ABC` (the config's `hosted_zone_id` rule). */
const ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

/** Throws unless `value` is a token (checked by Terraform later) or matches `pattern`. */
function check(construct: string, prop: string, value: string, pattern: RegExp, allowed: string): void {
  if (!Token.isUnresolved(value) && !pattern.test(value)) {
    throw new Error(`${construct}: ${prop} must be ${allowed}, got ${JSON.stringify(value)}`);
  }
}

export interface DnsCertificateProps {
  /** The service's name, e.g. `app.example.com`: the certificate's only name. */
  readonly domainName: string;
  /** Route 53 public hosted zone holding `domainName`; the validation record goes there. */
  readonly hostedZoneId: string;
}

/**
 * An ACM certificate for one domain, validated through a DNS record in the hosted zone.
 * `certificateArn` comes from the validation, so a listener using it waits until the
 * certificate is issued.
 */
export class DnsCertificate extends Construct {
  public readonly certificate: AcmCertificate;
  /** The validation record ACM looks for. */
  public readonly validationRecord: Route53Record;
  /** The issued certificate's ARN (from `aws_acm_certificate_validation`): give this to listeners. */
  public readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: DnsCertificateProps) {
    super(scope, id);
    check("DnsCertificate", "domainName", props.domainName, DNS_NAME, "a lowercase DNS name such as app.example.com");
    check("DnsCertificate", "hostedZoneId", props.hostedZoneId, ZONE_ID, "a Route 53 hosted zone id such as Z0123456789ABC");

    this.certificate = new AcmCertificate(this, "certificate", {
      domainName: props.domainName,
      validationMethod: "DNS",
      // ECDSA P-256: smaller and faster handshakes; every TLS 1.2+ client supports it.
      keyAlgorithm: "EC_prime256v1",
      // A replacement is issued before the old one goes, so listeners never point at nothing.
      lifecycle: { createBeforeDestroy: true },
    });

    // `domain_validation_options` is a set, known only after the certificate exists. With one
    // domain and no alternative names it holds exactly one element, so no for_each is needed:
    // cdktf reads a set-typed list's element as `tolist(<set>)[0]`, which Terraform accepts and
    // plans as "known after apply".
    const option = this.certificate.domainValidationOptions.get(0);
    this.validationRecord = new Route53Record(this, "validation", {
      zoneId: props.hostedZoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      // ACM uses the same CNAME for a domain in every certificate of the account: a re-issued
      // certificate, or another environment validating the same name, finds it already there.
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "validated", {
      certificateArn: this.certificate.arn,
      validationRecordFqdns: [this.validationRecord.fqdn],
    });
    this.certificateArn = validation.certificateArn;
  }
}

export interface DnsAliasProps {
  /** The name to publish, e.g. `app.example.com`. */
  readonly domainName: string;
  /** Route 53 public hosted zone holding `domainName`. */
  readonly hostedZoneId: string;
  /** The load balancer's DNS name (`Lb.dnsName`). */
  readonly targetDnsName: string;
  /** The load balancer's canonical hosted zone id (`Lb.zoneId`). */
  readonly targetZoneId: string;
}

/**
 * A and AAAA alias records pointing the domain at the load balancer, with target health
 * evaluated. On an IPv4-only load balancer the AAAA alias answers with no address and clients
 * use the A record; it starts answering as soon as the load balancer is dual-stack.
 */
export class DnsAlias extends Construct {
  public readonly records: { readonly a: Route53Record; readonly aaaa: Route53Record };

  constructor(scope: Construct, id: string, props: DnsAliasProps) {
    super(scope, id);
    check("DnsAlias", "domainName", props.domainName, DNS_NAME, "a lowercase DNS name such as app.example.com");
    check("DnsAlias", "hostedZoneId", props.hostedZoneId, ZONE_ID, "a Route 53 hosted zone id such as Z0123456789ABC");
    const alias = (type: "A" | "AAAA") =>
      new Route53Record(this, type.toLowerCase(), {
        zoneId: props.hostedZoneId,
        name: props.domainName,
        type,
        alias: { name: props.targetDnsName, zoneId: props.targetZoneId, evaluateTargetHealth: true },
      });
    this.records = { a: alias("A"), aaaa: alias("AAAA") };
  }
}
