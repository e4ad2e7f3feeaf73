import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Construct } from "constructs";

export interface DnsCertificateProps {
  /** The service's name, e.g. `app.example.com`. */
  readonly domainName: string;
  /** Route 53 public hosted zone holding `domainName`. */
  readonly hostedZoneId: string;
}

/**
 * An ACM certificate for the domain, validated through a DNS record in the hosted zone.
 * `certificateArn` comes from the validation, so listeners wait until the certificate is issued.
 */
export class DnsCertificate extends Construct {
  public readonly certificate: AcmCertificate;
  public readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: DnsCertificateProps) {
    super(scope, id);
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(props.domainName)) {
      throw new Error(`DnsCertificate: domainName ${JSON.stringify(props.domainName)} is not a lowercase DNS name`);
    }
    this.certificate = new AcmCertificate(this, "certificate", {
      domainName: props.domainName,
      validationMethod: "DNS",
      keyAlgorithm: "EC_prime256v1",
      lifecycle: { createBeforeDestroy: true },
    });
    // One domain, so one validation option; the set is read as a list.
    const option = this.certificate.domainValidationOptions.get(0);
    const record = new Route53Record(this, "validation", {
      zoneId: props.hostedZoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "validated", {
      certificateArn: this.certificate.arn,
      validationRecordFqdns: [record.fqdn],
    });
    this.certificateArn = validation.certificateArn;
  }
}

export interface DnsAliasProps {
  readonly domainName: string;
  readonly hostedZoneId: string;
  /** The load balancer's DNS name and hosted zone id. */
  readonly targetDnsName: string;
  readonly targetZoneId: string;
}

/** An A alias record pointing the domain at the (IPv4) load balancer. */
export class DnsAlias extends Construct {
  public readonly record: Route53Record;

  constructor(scope: Construct, id: string, props: DnsAliasProps) {
    super(scope, id);
    this.record = new Route53Record(this, "a", {
      zoneId: props.hostedZoneId,
      name: props.domainName,
      type: "A",
      alias: { name: props.targetDnsName, zoneId: props.targetZoneId, evaluateTargetHealth: true },
    });
  }
}
