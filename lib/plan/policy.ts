/**
 * The policy pack's verdict on a stack, for the plan summary: which findings the config's
 * exceptions cover (with their reasons) and which exceptions match nothing any more.
 */
import { loadProjectConfig, STATE_STACK_ID } from "../config";
import { evaluatePolicy, findingTarget, type PolicyException } from "../policy";
import type { EnvironmentPlan } from "./summary";

/** Each stack's `policy_exceptions` from `config/` (environments by name, the state stack as `state`). */
export async function policyExceptionsByStack(configDir: string): Promise<Map<string, readonly PolicyException[]>> {
  const { environments, state } = await loadProjectConfig(configDir);
  const byStack = new Map<string, readonly PolicyException[]>(environments.map((e) => [e.environment, e.policyExceptions]));
  if (state) byStack.set(STATE_STACK_ID, state.policyExceptions);
  return byStack;
}

/** `env` with the excepted findings and unused exceptions of its synthesized stack. */
export function withPolicy(env: EnvironmentPlan, stackJson: unknown, exceptions: readonly PolicyException[]): EnvironmentPlan {
  const report = evaluatePolicy(env.name, stackJson, exceptions);
  return {
    ...env,
    policyExceptions: report.excepted.map((f) => ({ rule: f.rule, address: findingTarget(f), reason: f.reason })),
    unusedPolicyExceptions: report.unusedExceptions.map((e) => ({ rule: e.rule, reason: e.reason })),
  };
}
