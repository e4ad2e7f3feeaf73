/**
 * The policy pack: every rule, each mirroring the checkov / Trivy checks scanners apply to the
 * resource types these stacks synthesize. Ids are stable (exceptions in config name them);
 * the README's "Policy checks" table lists them all.
 */
import { COMPUTE_RULES } from "./rules/compute";
import { DATA_RULES } from "./rules/data";
import { HARDENING_RULES } from "./rules/hardening";
import { IAM_RULES } from "./rules/iam";
import { LOAD_BALANCER_RULES } from "./rules/load-balancer";
import { NETWORK_RULES } from "./rules/network";
import type { PolicyRule } from "./types";

export const RULES: readonly PolicyRule[] = Object.freeze([...LOAD_BALANCER_RULES, ...NETWORK_RULES, ...COMPUTE_RULES, ...IAM_RULES, ...DATA_RULES, ...HARDENING_RULES]);

/** Every rule id, in table order. */
export const RULE_IDS: readonly string[] = Object.freeze(RULES.map((r) => r.id));

{
  const seen = new Set<string>();
  for (const id of RULE_IDS) {
    if (seen.has(id)) throw new Error(`policy: rule id ${id} is defined twice`);
    seen.add(id);
  }
}
