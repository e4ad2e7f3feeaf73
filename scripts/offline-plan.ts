/**
 * `npm run plan -- <env> [<env> ...]`: synthesize the app, then validate and plan each named
 * environment's stack with the real Terraform and AWS provider, offline (no AWS account).
 * Prints the plan, then one summary line per environment. Writes the saved plan,
 * `terraform show -json` of it (plan.json) and its pull-request summary (summary.md, see
 * lib/plan/summary.ts) to `.offline-plan/<env>/`, and all environments' summaries together to
 * `.offline-plan/summary.md`.
 *
 * Set TERRAFORM_PLUGIN_DIR to a provider filesystem mirror on a machine without internet.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { policyExceptionsByStack, withPolicy } from "../lib/plan/policy";
import { ignoredChangesOf, planSummary, type EnvironmentPlan } from "../lib/plan/summary";
import { plan, prepareOfflineDir, summaryLine, TerraformError, validate } from "./offline";

const ROOT = path.resolve(__dirname, "..", "..");
const OUTDIR = path.join(ROOT, "cdktf.out");

function fail(message: string): never {
  process.stderr.write(`plan: ${message}\n`);
  process.exit(1);
}

function synthesize(): void {
  // The app itself (what `cdktf synth` runs, without the CLI's 3 s of start-up).
  const r = spawnSync(process.execPath, [path.join(ROOT, "dist", "main.js")], {
    cwd: ROOT,
    env: { ...process.env, CDKTF_OUTDIR: OUTDIR, CHECKPOINT_DISABLE: "1" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) fail("synthesis failed (see above); no plan was made.");
}

/** The stack ids in the manifest the synthesis just wrote. */
function synthesizedStacks(): string[] {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(OUTDIR, "manifest.json"), "utf8")) as { stacks?: Record<string, unknown> };
    return Object.keys(manifest.stacks ?? {});
  } catch {
    return [];
  }
}

async function main(argv: string[]): Promise<void> {
  const envs = argv.filter((a) => !a.startsWith("-"));
  if (envs.length === 0) fail("name at least one environment, e.g. `npm run plan -- dev`.");
  synthesize();
  // The synthesis above already validated the config; this only reads each stack's exceptions.
  const exceptions = await policyExceptionsByStack(path.join(ROOT, "config"));
  const summaries: string[] = [];
  const planned: EnvironmentPlan[] = [];
  // Only the stacks of this synthesis (its manifest): synthesis is all or nothing (lib/synth.ts),
  // and a directory left by an older run is never planned.
  const synthesized = synthesizedStacks();
  for (const env of envs) {
    const stackFile = path.join(OUTDIR, "stacks", env, "cdk.tf.json");
    if (!synthesized.includes(env) || !fs.existsSync(stackFile)) {
      fail(`no stack "${env}" was synthesized (stacks: ${synthesized.join(", ") || "none"}). Add config/${env}.tfvars to create it.`);
    }
    const workDir = path.join(ROOT, ".offline-plan", env);
    try {
      const stackJson = fs.readFileSync(stackFile, "utf8");
      prepareOfflineDir(stackJson, workDir);
      validate(workDir);
      const result = plan(workDir);
      fs.writeFileSync(path.join(workDir, "plan.json"), JSON.stringify(result.json));
      const parsed = JSON.parse(stackJson) as unknown;
      const environment = withPolicy({ name: env, plan: result.json, ignoredChanges: ignoredChangesOf(parsed) }, parsed, exceptions.get(env) ?? []);
      fs.writeFileSync(path.join(workDir, "summary.md"), planSummary([environment], `Terraform plan (offline): ${env}`));
      planned.push(environment);
      process.stdout.write(`\n===== ${env} =====\n${result.text}\n`);
      summaries.push(summaryLine(env, result.counts));
    } catch (e) {
      if (e instanceof TerraformError) fail(`${env}: ${e.message}`);
      throw e;
    }
  }
  const combined = path.join(ROOT, ".offline-plan", "summary.md");
  fs.writeFileSync(combined, planSummary(planned, "Terraform plan (offline)"));
  process.stdout.write(`\n${summaries.join("\n")}\nPull-request summary: ${path.relative(ROOT, combined)}\n`);
}

main(process.argv.slice(2)).catch((e: unknown) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
