#!/usr/bin/env node
/**
 * plan-summary: Markdown for a pull-request comment from `terraform show -json <planfile>`.
 *
 *   npm run --silent plan-summary -- dev=plans/dev.json prod=plans/prod.json [--stacks cdktf.out/stacks [--config config]] [--out comment.md]
 *
 * With --stacks, each environment's synthesized `<stacks>/<env>/cdk.tf.json` tells which
 * attributes Terraform ignores (drift in them is owned by ecs-shift or autoscaling); with
 * --config too, the policy pack runs on it with the config's exceptions, which the summary
 * lists. Exit 0 with the summary on stdout (or in --out), 2 on bad input.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { environmentSection, ignoredChangesOf, planSummary, type EnvironmentPlan, type PlanJson } from "./summary";

export class PlanSummaryError extends Error {}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PlanSummaryError(`${what} ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PlanSummaryError(`${what} ${file} is not JSON (${(e as Error).message}); give the output of \`terraform show -json <planfile>\``);
  }
}

/** `env=file` arguments into environment plans, with what the synthesized stacks (and the config's policy exceptions) add. */
export async function environmentsFrom(args: readonly string[], stacksDir?: string, configDir?: string): Promise<EnvironmentPlan[]> {
  if (args.length === 0) throw new PlanSummaryError("name at least one plan as <env>=<terraform show -json output>, e.g. dev=.offline-plan/dev/plan.json");
  if (configDir && !stacksDir) throw new PlanSummaryError("--config needs --stacks: the policy pack runs on the synthesized stacks");
  // The config loader and policy pack take seconds to load: only when --config asks for them.
  const policy = configDir ? await import("./policy") : undefined;
  const exceptions = policy && configDir ? await policy.policyExceptionsByStack(configDir) : undefined;
  const seen = new Set<string>();
  return args.map((arg) => {
    const m = /^([a-z][a-z0-9-]*)=(.+)$/.exec(arg);
    if (!m) throw new PlanSummaryError(`${JSON.stringify(arg)} is not <env>=<file>, e.g. dev=.offline-plan/dev/plan.json`);
    const [, name, file] = m;
    if (seen.has(name)) throw new PlanSummaryError(`environment ${name} is given twice`);
    seen.add(name);
    const plan = readJson(file, `plan of ${name}:`) as PlanJson;
    if (typeof plan !== "object" || plan === null || typeof plan.format_version !== "string") {
      throw new PlanSummaryError(`plan of ${name}: ${file} has no format_version; give the output of \`terraform show -json <planfile>\`, not the plan file itself`);
    }
    if (!stacksDir) return { name, plan };
    const stackJson = readJson(path.join(stacksDir, name, "cdk.tf.json"), `synthesized stack of ${name}:`);
    const env: EnvironmentPlan = { name, plan, ignoredChanges: ignoredChangesOf(stackJson) };
    if (!policy || !exceptions) return env;
    const own = exceptions.get(name);
    if (!own) throw new PlanSummaryError(`--config ${configDir} has no stack ${name} (stacks: ${[...exceptions.keys()].join(", ")})`);
    return policy.withPolicy(env, stackJson, own);
  });
}

export function program(): Command {
  return new Command("plan-summary")
    .description("Markdown summary of Terraform JSON plans, for a pull-request comment")
    .argument("[env=plan.json...]", "environment name and the output of `terraform show -json <planfile>`")
    .option("--stacks <dir>", "synthesized stacks (cdktf.out/stacks): the attributes Terraform ignores, per environment")
    .option("--config <dir>", "with --stacks: the project's config/, whose policy exceptions the summary lists")
    .option("--title <text>", "heading of the comment", "Terraform plan")
    .option("--out <file>", "write the summary to this file instead of stdout")
    .option("--sections-only", "only the environment sections, without the comment marker and heading (to join several jobs' sections)")
    .showHelpAfterError();
}

export async function main(argv: readonly string[]): Promise<number> {
  const cmd = program().exitOverride();
  try {
    cmd.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const opts = cmd.opts<{ stacks?: string; config?: string; title: string; out?: string; sectionsOnly?: boolean }>();
  try {
    const envs = await environmentsFrom(cmd.args, opts.stacks, opts.config);
    const text = opts.sectionsOnly ? envs.map(environmentSection).join("\n") : planSummary(envs, opts.title);
    if (opts.out) fs.writeFileSync(opts.out, text);
    else process.stdout.write(text);
    return 0;
  } catch (e) {
    // A ConfigError can come only from --config, which has loaded the config module by then.
    if (e instanceof PlanSummaryError || (opts.config && e instanceof (await import("../config")).ConfigError)) {
      process.stderr.write(`plan-summary: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`plan-summary: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
