/**
 * The security policy pack (issue #6): rules mirroring checkov / Trivy on every synthesized
 * stack, with the deliberate exceptions written down in config.
 *
 * - `evaluatePolicy(stack, terraformJson, exceptions)`: pure, on one stack's synthesized JSON.
 * - `applyPolicy(stack, exceptions)`: the same as a cdktf validation, so synth fails on a violation.
 */
export { applyPolicy, type ApplyPolicyOptions } from "./apply";
export { evaluatePolicy, findingTarget, formatExcepted, formatExceptedByRule, formatUnused, formatViolation, patternMatches } from "./engine";
export { RULE_IDS, RULES } from "./rules";
export type { PolicyException, PolicyFinding, PolicyReport, PolicyRule, RuleHit, StackView, TfResource } from "./types";
