/**
 * `policy_exceptions`, the same key in `config/<env>.tfvars` and `config/state.hcl`: the
 * deliberate exceptions to the policy pack (lib/policy), a map keyed by rule id so adding one
 * never renumbers the others:
 *
 *     policy_exceptions = {
 *       "LB-INTERNET-FACING" = {
 *         reason    = "The load balancer is the service's public entry point."
 *         resources = ["aws_lb.alb_*"]
 *       }
 *     }
 *
 * Every entry needs a reason a reviewer can judge; `resources` (Terraform addresses or globs,
 * optionally `#part`) narrows it, and without it the exception covers every finding of the rule.
 */
import { z } from "zod";
import { RULE_IDS } from "../policy/rules";
import type { PolicyException } from "../policy/types";
import { nearestKey, show } from "./hcl";
import { CONFIG_RULE_IDS } from "./rules";

/** Shortest reason accepted: a sentence, not "ok" or "todo". */
export const MIN_REASON_LENGTH = 12;

/** `<type>.<name>` with `*` / `?` globs, optionally `#<part>` (an IAM statement Sid, a container name). */
const PATTERN = /^[A-Za-z0-9_*?-]+\.[A-Za-z0-9_*?.[\]-]+(#[^\s#]+)?$/;

/** The zod field of `policy_exceptions`. */
export function policyExceptionsSchema() {
  return z
    .record(
      z.string(),
      z
        .object({
          reason: z.string(),
          resources: z.array(z.string()).min(1).optional(),
        })
        .strict()
    )
    .default({});
}

export type PolicyExceptionsValue = z.infer<ReturnType<typeof policyExceptionsSchema>>;

/** Rule ids that exist, reasons that say something, patterns that look like Terraform addresses. */
export function checkPolicyExceptions(value: PolicyExceptionsValue, problem: (key: string, message: string) => void): void {
  for (const [rule, entry] of Object.entries(value)) {
    const key = `policy_exceptions.${rule}`;
    if (!RULE_IDS.includes(rule) && !CONFIG_RULE_IDS.includes(rule)) {
      const known = [...RULE_IDS, ...CONFIG_RULE_IDS];
      const near = nearestKey(rule, known);
      problem(key, `given rule ${show(rule)}, which is no rule of the policy pack${near ? `; did you mean ${show(near)}?` : ""} Allowed: ${known.join(", ")}`);
    }
    if (entry.reason.trim().length < MIN_REASON_LENGTH) {
      problem(`${key}.reason`, `given ${show(entry.reason)}; every exception needs a reason of at least ${MIN_REASON_LENGTH} characters saying why the finding is accepted`);
    }
    (entry.resources ?? []).forEach((pattern, i) => {
      if (!PATTERN.test(pattern)) {
        problem(`${key}.resources[${i}]`, `given ${show(pattern)}; expected a Terraform address or glob such as "aws_lb.*" or "aws_iam_role_policy.github_deploy-policy_*#RegistryLogin"`);
      }
    });
  }
}

/**
 * The map as the list lib/policy takes (one exception per rule id, so their order does not
 * matter). Exceptions to the config layer's own rules (CONFIG_RULE_IDS) were used at load time
 * and are not the policy pack's.
 */
export function toPolicyExceptions(value: PolicyExceptionsValue): PolicyException[] {
  return Object.entries(value).filter(([rule]) => !CONFIG_RULE_IDS.includes(rule)).map(([rule, e]) => ({ rule, reason: e.reason.trim(), ...(e.resources ? { resources: [...e.resources] } : {}) }));
}
