import { Wafv2WebAcl, type Wafv2WebAclRule } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Construct } from "constructs";

/** The AWS managed rule groups a web ACL gets by default, in priority order. */
export const DEFAULT_MANAGED_RULE_GROUPS = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"] as const;

export interface WebAclProps {
  /** Names the web ACL and its metrics, e.g. `webapp-prod`. */
  readonly namePrefix: string;
  /** ARN of the application load balancer to protect. */
  readonly loadBalancerArn: string;
  /** AWS managed rule groups (vendor AWS), in priority order. @default DEFAULT_MANAGED_RULE_GROUPS */
  readonly managedRuleGroups?: readonly string[];
  /** Requests per 5 minutes from one client IP before it is blocked, 10..2,000,000,000. @default 2000 */
  readonly rateLimit?: number;
}

/** The web ACL's rules: each managed group in order, then the rate-based rule. Pure. */
export function webAclRules(namePrefix: string, groups: readonly string[], rateLimit: number): Wafv2WebAclRule[] {
  const visibility = (metric: string) => ({ cloudwatchMetricsEnabled: true, metricName: `${namePrefix}-${metric}`, sampledRequestsEnabled: true });
  return [
    ...groups.map((name, i) => ({
      name,
      priority: i,
      // "none": the group's own actions (block) apply.
      overrideAction: { none: {} },
      // `statement` is untyped in the binding: snake_case as Terraform reads it.
      statement: { managed_rule_group_statement: { name, vendor_name: "AWS" } },
      visibilityConfig: visibility(name),
    })),
    {
      name: "rate-limit-per-ip",
      priority: groups.length,
      action: { block: {} },
      statement: { rate_based_statement: { limit: rateLimit, aggregate_key_type: "IP" } },
      visibilityConfig: visibility("rate-limit"),
    },
  ];
}

/**
 * An AWS WAFv2 web ACL (regional) on the load balancer: the AWS managed rule groups, then a
 * rate-based rule per client IP. Requests no rule blocks are allowed.
 */
export class WebAcl extends Construct {
  public readonly webAcl: Wafv2WebAcl;
  public readonly association: Wafv2WebAclAssociation;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const groups = props.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
    const rateLimit = props.rateLimit ?? 2000;
    if (!Number.isInteger(rateLimit) || rateLimit < 10 || rateLimit > 2_000_000_000) throw new Error(`WebAcl: rateLimit must be a whole number 10..2000000000, got ${rateLimit}`);
    for (const g of groups) if (!/^AWSManagedRules[A-Za-z0-9]+$/.test(g)) throw new Error(`WebAcl: managedRuleGroups has ${JSON.stringify(g)}; AWS managed rule group names start with AWSManagedRules`);
    if (new Set(groups).size !== groups.length) throw new Error(`WebAcl: managedRuleGroups lists a group twice: ${JSON.stringify(groups)}`);
    this.webAcl = new Wafv2WebAcl(this, "web-acl", {
      name: props.namePrefix,
      description: `Managed rule groups and a per-IP rate limit in front of ${props.namePrefix}`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      rule: webAclRules(props.namePrefix, groups, rateLimit),
      visibilityConfig: { cloudwatchMetricsEnabled: true, metricName: props.namePrefix, sampledRequestsEnabled: true },
    });
    this.association = new Wafv2WebAclAssociation(this, "association", { resourceArn: props.loadBalancerArn, webAclArn: this.webAcl.arn });
  }
}
