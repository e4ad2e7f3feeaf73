import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { DEFAULT_MANAGED_RULE_GROUPS, WebAcl, type WebAclProps } from "../lib/waf";
import { resourcesOf, synthWith } from "./support/scope";

const LB = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/svc-prod/0123456789abcdef";
const synth = (props: Partial<WebAclProps> = {}) => synthWith((s) => new WebAcl(s, "waf", { namePrefix: "svc-prod", loadBalancerArn: LB, ...props }));

describe("WebAcl", () => {
  test("defaults: a regional web ACL allowing by default, the three AWS managed groups in order, then a per-IP rate limit of 2000; associated to the load balancer", () => {
    const s = synth();
    expect(s).toHaveResourceWithProperties(Wafv2WebAcl, { name: "svc-prod", scope: "REGIONAL", default_action: { allow: {} } });
    expect(s).toHaveResourceWithProperties(Wafv2WebAclAssociation, { resource_arn: LB });
    const [acl] = Object.values(resourcesOf(s, "aws_wafv2_web_acl"));
    expect(acl.rule.map((r: any) => [r.priority, r.name])).toEqual([
      [0, "AWSManagedRulesCommonRuleSet"],
      [1, "AWSManagedRulesKnownBadInputsRuleSet"],
      [2, "AWSManagedRulesAmazonIpReputationList"],
      [3, "rate-limit-per-ip"],
    ]);
    expect(acl.rule[0].statement).toEqual({ managed_rule_group_statement: { name: "AWSManagedRulesCommonRuleSet", vendor_name: "AWS" } });
    expect(acl.rule[0].override_action).toEqual({ none: {} });
    expect(acl.rule[3].statement).toEqual({ rate_based_statement: { limit: 2000, aggregate_key_type: "IP" } });
    expect(acl.rule[3].action).toEqual({ block: {} });
    expect([...DEFAULT_MANAGED_RULE_GROUPS]).toEqual(acl.rule.slice(0, 3).map((r: any) => r.name));
  });

  test("override: rule groups and rate limit", () => {
    const [acl] = Object.values(resourcesOf(synth({ managedRuleGroups: ["AWSManagedRulesSQLiRuleSet"], rateLimit: 500 }), "aws_wafv2_web_acl"));
    expect(acl.rule.map((r: any) => r.name)).toEqual(["AWSManagedRulesSQLiRuleSet", "rate-limit-per-ip"]);
    expect(acl.rule[1].statement.rate_based_statement.limit).toBe(500);
  });

  test.each<[string, Partial<WebAclProps>, RegExp]>([
    ["the rate limit is below 10", { rateLimit: 5 }, /rateLimit must be a whole number 10..2000000000, got 5/],
    ["a group is not an AWS managed one", { managedRuleGroups: ["MyRules"] }, /managedRuleGroups has "MyRules"/],
    ["a group is listed twice", { managedRuleGroups: ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesCommonRuleSet"] }, /lists a group twice/],
  ])("throws when %s", (_n, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
