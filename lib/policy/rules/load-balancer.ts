/** Load balancer rules: logs, deletion protection, headers, desync, exposure, WAF, HTTPS, TLS. */
import { block, blocks, bool, referencesIn } from "../terraform";
import type { PolicyRule, StackView, TfResource } from "../types";
import { hits } from "./util";

export const LB_TYPES = ["aws_lb", "aws_alb"];
export const LISTENER_TYPES = ["aws_lb_listener", "aws_alb_listener"];
const LISTENER_RULE_TYPES = ["aws_lb_listener_rule", "aws_alb_listener_rule"];
const TARGET_GROUP_TYPES = ["aws_lb_target_group", "aws_alb_target_group"];

/**
 * Security policies whose minimum is TLS 1.2 or 1.3 with forward-secret ciphers only: the same
 * set the config's `tls_policy` and lib/alb.ts accept. Older ones still speak TLS 1.0/1.1 or
 * offer non-forward-secret ciphers.
 */
export const MODERN_TLS_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS13-1-2-(Res-)?(Ext[12]-)?|FS-1-2-Res-)/;

const lbKind = (lb: TfResource) => String(lb.body.load_balancer_type ?? "application");
const isInternetFacing = (lb: TfResource) => bool(lb.body.internal) !== true && lbKind(lb) !== "gateway";

/** The load balancer a listener belongs to, when it is in the stack. */
function loadBalancerOf(view: StackView, listener: TfResource): TfResource | undefined {
  for (const address of referencesIn(listener.body.load_balancer_arn)) {
    const lb = view.resource(address);
    if (lb && LB_TYPES.includes(lb.type)) return lb;
  }
  return undefined;
}

/** Listeners of application load balancers (or of load balancers outside the stack: assumed application). */
function applicationListeners(view: StackView): TfResource[] {
  return view.resources(...LISTENER_TYPES).filter((l) => {
    const lb = loadBalancerOf(view, l);
    return lb === undefined || lbKind(lb) === "application";
  });
}

const redirectsToHttps = (action: Record<string, unknown>) => action.type === "redirect" && block(action.redirect).protocol === "HTTPS";

export const LOAD_BALANCER_RULES: PolicyRule[] = [
  {
    id: "LB-ACCESS-LOGS",
    mirrors: ["CKV_AWS_91"],
    resourceType: "aws_lb",
    message: "load balancer access logs are off: requests cannot be traced or audited",
    fix: "set create_access_logs_bucket = true (the stack creates the bucket, lib/access-log-bucket.ts; prod's default) or access_logs_bucket (an existing bucket the regional ELB account may write to)",
    check: (view) =>
      hits(
        view.resources(...LB_TYPES).filter((lb) => lbKind(lb) !== "gateway"),
        (lb) => {
          const logs = block(lb.body.access_logs);
          return !(bool(logs.enabled) === true && typeof logs.bucket === "string" && logs.bucket !== "");
        }
      ),
  },
  {
    id: "LB-DELETION-PROTECTION",
    mirrors: ["CKV_AWS_150"],
    resourceType: "aws_lb",
    message: "deletion protection is off: one mistaken destroy takes the service offline",
    fix: "set deletion_protection = true (enable_deletion_protection on the aws_lb)",
    check: (view) => hits(view.resources(...LB_TYPES), (lb) => bool(lb.body.enable_deletion_protection) !== true),
  },
  {
    id: "LB-DROP-INVALID-HEADERS",
    mirrors: ["CKV_AWS_131", "AVD-AWS-0052"],
    resourceType: "aws_lb",
    message: "the load balancer passes headers with invalid characters on to the targets (request smuggling)",
    fix: "set drop_invalid_header_fields = true on the application load balancer",
    check: (view) =>
      hits(
        view.resources(...LB_TYPES).filter((lb) => lbKind(lb) === "application"),
        (lb) => bool(lb.body.drop_invalid_header_fields) !== true
      ),
  },
  {
    id: "LB-DESYNC-MITIGATION",
    mirrors: ["CKV_AWS_328"],
    resourceType: "aws_lb",
    message: "HTTP desync mitigation is in monitor mode: requests that are a known smuggling risk reach the targets",
    fix: 'set desync_mitigation_mode = "defensive" (or "strictest")',
    check: (view) =>
      hits(
        view.resources(...LB_TYPES).filter((lb) => lbKind(lb) === "application"),
        (lb) => {
          const mode = lb.body.desync_mitigation_mode;
          return mode !== undefined && mode !== "defensive" && mode !== "strictest" && `desync_mitigation_mode ${JSON.stringify(mode)}`;
        }
      ),
  },
  {
    id: "LB-INTERNET-FACING",
    mirrors: ["AVD-AWS-0053"],
    resourceType: "aws_lb",
    message: "the load balancer is internet-facing",
    fix: "set internal = true unless the internet is meant to reach it; then write the exception down with its reason",
    check: (view) => hits(view.resources(...LB_TYPES), (lb) => isInternetFacing(lb)),
  },
  {
    id: "LB-WAF",
    mirrors: ["CKV2_AWS_28"],
    resourceType: "aws_lb",
    message: "the internet-facing application load balancer has no WAF web ACL",
    fix: "set waf_enabled = true (lib/waf.ts: AWS managed rule groups and a per-IP rate limit; prod's default), or associate your own AWS WAFv2 web ACL with aws_wafv2_web_acl_association",
    check: (view) =>
      hits(
        view.resources(...LB_TYPES).filter((lb) => lbKind(lb) === "application" && isInternetFacing(lb)),
        (lb) => view.referrers(lb.address, "aws_wafv2_web_acl_association", "aws_wafregional_web_acl_association").length === 0
      ),
  },
  {
    id: "LB-LISTENER-HTTPS",
    mirrors: ["CKV_AWS_2", "CKV2_AWS_20", "AVD-AWS-0054"],
    resourceType: "aws_lb_listener",
    message: "the listener serves plain HTTP instead of only redirecting to HTTPS",
    fix: "give the environment a certificate (certificate_arn, or domain_name + hosted_zone_id): production moves to HTTPS on 443 and port 80 only redirects",
    check: (view) =>
      hits(applicationListeners(view), (l) => {
        if (String(l.body.protocol ?? "HTTP").toUpperCase() !== "HTTP") return false;
        const defaults = blocks(l.body.default_action);
        const rules = view.referrers(l.address, ...LISTENER_RULE_TYPES).flatMap((r) => blocks(r.body.action));
        const serving = [...defaults, ...rules].filter((a) => !redirectsToHttps(a));
        return serving.length > 0 && `port ${String(l.body.port)}: ${[...new Set(serving.map((a) => String(a.type)))].join(", ")}`;
      }),
  },
  {
    id: "LB-TLS-POLICY",
    mirrors: ["CKV_AWS_103", "AVD-AWS-0047"],
    resourceType: "aws_lb_listener",
    message: "the HTTPS listener allows TLS below 1.2 or ciphers without forward secrecy",
    fix: 'set tls_policy to a TLS 1.2+ forward-secret policy, e.g. "ELBSecurityPolicy-TLS13-1-2-2021-06" (the default)',
    check: (view) =>
      hits(
        view.resources(...LISTENER_TYPES).filter((l) => ["HTTPS", "TLS"].includes(String(l.body.protocol ?? "").toUpperCase())),
        (l) =>
          !(typeof l.body.ssl_policy === "string" && MODERN_TLS_POLICY.test(l.body.ssl_policy)) &&
          `ssl_policy ${l.body.ssl_policy === undefined ? "not set (AWS picks ELBSecurityPolicy-2016-08)" : JSON.stringify(l.body.ssl_policy)}`
      ),
  },
  {
    id: "LB-TG-HTTPS",
    mirrors: ["CKV_AWS_378"],
    resourceType: "aws_lb_target_group",
    message: "the target group sends plain HTTP from the load balancer to the targets",
    fix: 'serve TLS in the container and set the target group protocol = "HTTPS", or write the exception down (TLS ends at the load balancer)',
    check: (view) => hits(view.resources(...TARGET_GROUP_TYPES), (tg) => String(tg.body.protocol ?? "").toUpperCase() === "HTTP"),
  },
];
