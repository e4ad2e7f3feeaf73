/**
 * `npm run policy`: the policy pack's verdict on every stack of the app, as a table of rules x
 * stacks (pass / FAIL / excepted [n] / "-" when the stack has none of the rule's resource
 * types), then the reasons of the exceptions, every violation (rule, address, message, fix) and
 * every stale exception. Exits 1 on any violation (or a config error), else 0.
 *
 * The stacks are built in-process, as main.ts composes them, and synthesized with
 * `Testing.synth` (no files written): main.ts's own synth stops at the first violation, before
 * a full table could be drawn.
 */
import { App, Testing, type TerraformStack } from "cdktf";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, loadProjectConfig } from "../lib/config";
import { evaluatePolicy, formatUnused, formatViolation, RULES, type PolicyException, type PolicyReport } from "../lib/policy";
import { stackView } from "../lib/policy/terraform";
import { ServiceStack } from "../stacks/service-stack";
import { STATE_STACK_ID, StateBackendStack } from "../stacks/state-backend-stack";

const ROOT = path.resolve(__dirname, "..", "..");

interface Checked {
  readonly report: PolicyReport;
  /** Resource types present in the stack. */
  readonly types: ReadonlySet<string>;
  readonly source: string;
}

/** The Terraform types a rule looks at (from its resourceType, e.g. "aws_lb, aws_alb"). */
const typesOf = (resourceType: string) => resourceType.split(/[,\s]+/).filter((t) => /^aws_[a-z0-9_]+$/.test(t));

function check(id: string, stack: TerraformStack, exceptions: readonly PolicyException[], source: string): Checked {
  const json: unknown = JSON.parse(Testing.synth(stack));
  return {
    report: evaluatePolicy(id, json, exceptions),
    types: new Set(
      stackView(json)
        .resources()
        .map((r) => r.type)
    ),
    source,
  };
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join("  ")
      .trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
}

async function main(): Promise<number> {
  const { environments, state } = await loadProjectConfig(path.join(ROOT, "config"));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-"));
  try {
    const app = new App({ outdir, skipValidation: true });
    const checked: Checked[] = [];
    // As main.ts composes the app.
    if (state) checked.push(check(STATE_STACK_ID, new StateBackendStack(app, STATE_STACK_ID, { config: state }), state.policyExceptions, state.sourceFile));
    for (const config of environments) checked.push(check(config.environment, new ServiceStack(app, config.environment, { config }), config.policyExceptions, config.sourceFile));

    const notes: string[] = [];
    const noteOf = (rule: string, reason: string) => {
      const text = `${rule}: ${reason}`;
      if (!notes.includes(text)) notes.push(text);
      return notes.indexOf(text) + 1;
    };
    const rows: string[][] = [["rule", ...checked.map((c) => c.report.stack)]];
    for (const rule of RULES) {
      const types = typesOf(rule.resourceType);
      rows.push([
        rule.id,
        ...checked.map(({ report, types: present }) => {
          const failed = report.violations.filter((v) => v.rule === rule.id).length;
          if (failed > 0) return failed === 1 ? "FAIL" : `FAIL x${failed}`;
          const excepted = report.excepted.filter((f) => f.rule === rule.id);
          if (excepted.length > 0) return `excepted ${[...new Set(excepted.map((f) => `[${noteOf(rule.id, f.reason)}]`))].join("")}`;
          return types.length > 0 && !types.some((t) => present.has(t)) ? "-" : "pass";
        }),
      ]);
    }

    const out: string[] = [...table(rows), ""];
    if (notes.length > 0) out.push("Excepted, with the reasons written down in config:", ...notes.map((n, i) => `  [${i + 1}] ${n}`), "");
    const violations = checked.flatMap(({ report }) => report.violations.map((v) => `  ${report.stack}: ${formatViolation(v)}`));
    if (violations.length > 0) out.push("Violations:", ...violations, "");
    const unused = checked.flatMap(({ report, source }) => report.unusedExceptions.map((e) => `  ${report.stack}: warning: ${formatUnused(e, path.relative(ROOT, source))}`));
    if (unused.length > 0) out.push("Stale exceptions:", ...unused, "");
    const count = (f: (r: PolicyReport) => number) => checked.reduce((n, c) => n + f(c.report), 0);
    out.push(
      `policy: ${RULES.length} rules x ${checked.length} stacks: ${count((r) => r.violations.length)} violations, ${count((r) => r.excepted.length)} excepted findings, ${count(
        (r) => r.unusedExceptions.length
      )} stale exceptions`
    );
    process.stdout.write(`${out.join("\n")}\n`);
    return violations.length > 0 ? 1 : 0;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(e instanceof ConfigError ? `${e.message}\n` : `${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  }
);
