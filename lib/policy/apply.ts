/**
 * Runs the policy pack on a stack at synth: a cdktf validation, so `app.synth()` (`cdktf synth`,
 * `npm run plan`) fails on any violation, one line each, before the stack is written.
 */
import type { TerraformStack } from "cdktf";
import { evaluatePolicy, formatExceptedByRule, formatUnused, formatViolation } from "./engine";
import type { PolicyException, PolicyReport } from "./types";

export interface ApplyPolicyOptions {
  /** The config file the exceptions come from, named in the unused-exception warnings. @default - not named */
  readonly source?: string;
  /** Receives the summary and one line per excepted rule (its findings and the reason). @default - written to stdout */
  readonly info?: (line: string) => void;
  /** Receives one line per unused exception. @default - written to stderr */
  readonly warn?: (line: string) => void;
  /** Receives the report of every evaluation (e.g. for a test or a summary). @default - none */
  readonly onReport?: (report: PolicyReport) => void;
}

/**
 * Adds the pack to `stack` as a validation. At synth it evaluates the stack's own JSON with
 * `exceptions`: violations fail the synth (one line each: rule, address, message, fix);
 * excepted findings are reported with their reason and unused exceptions as warnings, on every
 * synth, without failing it. A stale exception hides nothing, but a resource that later
 * matches it again would be excepted silently, so it is shown until it is deleted.
 *
 * Info goes to stdout and warnings to stderr: a clean synth writes nothing on stderr.
 */
export function applyPolicy(stack: TerraformStack, exceptions: readonly PolicyException[], options: ApplyPolicyOptions = {}): void {
  const info = options.info ?? ((line: string) => process.stdout.write(`${line}\n`));
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const id = stack.node.id;
  stack.node.addValidation({
    validate: () => {
      const report = evaluatePolicy(id, stack.toTerraform(), exceptions);
      options.onReport?.(report);
      info(`policy ${id}: ${report.rulesChecked} rules, ${report.violations.length} violations, ${report.excepted.length} excepted, ${report.unusedExceptions.length} unused exceptions`);
      for (const line of formatExceptedByRule(report.excepted)) info(`policy ${id}: ${line}`);
      for (const e of report.unusedExceptions) warn(`policy ${id}: warning: ${formatUnused(e, options.source)}`);
      return report.violations.map(formatViolation);
    },
  });
}
