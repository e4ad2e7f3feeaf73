/**
 * Offline planning: run the real Terraform and the real AWS provider on a synthesized stack
 * with no AWS account. The synthesized stack is never edited: it is copied into a work
 * directory of its own and an override file (`offline_override.tf.json`) beside the copy
 * swaps in a local backend and a provider that makes no credential or metadata call.
 * So a later `cdktf deploy` can never pick up dummy keys by accident.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { countChanges, type Counts as PlanCounts, type PlanJson } from "../lib/plan/summary";

/** Environment variable naming a provider filesystem mirror (`terraform init -plugin-dir`). */
export const PLUGIN_DIR_ENV = "TERRAFORM_PLUGIN_DIR";

export class TerraformError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n${output}`.trimEnd());
    this.name = "TerraformError";
  }
}

/**
 * The override: provider settings that skip every AWS call and neutralise account pinning and
 * role assumption (both would call AWS), plus a local backend in the work directory.
 */
export function offlineOverride(): Record<string, unknown> {
  return {
    terraform: { backend: { local: { path: "offline.tfstate" } } },
    provider: {
      aws: {
        access_key: "offline-plan-dummy-access-key",
        secret_key: "offline-plan-dummy-secret-key",
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: "true",
        skip_region_validation: true,
        allowed_account_ids: null,
        forbidden_account_ids: null,
        assume_role: null,
      },
    },
  };
}

/** Environment for Terraform: no version checkpoint, no prompts, a CLI config file that exists. */
export function terraformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  if (env.TF_CLI_CONFIG_FILE && !fs.existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  return env;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function terraform(dir: string, args: readonly string[]): RunResult {
  const r = spawnSync("terraform", args, { cwd: dir, env: terraformEnv(), encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(
        "terraform was not found on PATH. Install Terraform >= 1.10 " +
          "(https://developer.hashicorp.com/terraform/install) and run again.",
      );
    }
    throw r.error;
  }
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function mustSucceed(what: string, r: RunResult): RunResult {
  if (r.code !== 0) throw new TerraformError(`terraform ${what} failed (exit ${r.code}):`, `${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Copies the synthesized stack JSON into `workDir` with the offline override beside it and runs
 * `terraform init` (from the mirror in TERRAFORM_PLUGIN_DIR when set). Idempotent: a second
 * call reuses the initialised providers.
 */
export function prepareOfflineDir(stackJson: string, workDir: string): void {
  fs.mkdirSync(workDir, { recursive: true });
  for (const f of fs.readdirSync(workDir)) {
    if (f.endsWith(".tf.json") || f.startsWith("offline.tfstate") || f.endsWith(".tfplan")) fs.rmSync(path.join(workDir, f));
  }
  fs.writeFileSync(path.join(workDir, "cdk.tf.json"), stackJson);
  fs.writeFileSync(path.join(workDir, "offline_override.tf.json"), JSON.stringify(offlineOverride(), null, 2) + "\n");
  const args = ["init", "-input=false", "-no-color", "-reconfigure"];
  const pluginDir = process.env[PLUGIN_DIR_ENV];
  if (pluginDir) {
    if (!fs.existsSync(pluginDir)) {
      throw new Error(`${PLUGIN_DIR_ENV}=${pluginDir} does not exist. Point it at a provider mirror or unset it.`);
    }
    args.push(`-plugin-dir=${pluginDir}`);
  }
  mustSucceed("init", terraform(workDir, args));
}

export function validate(workDir: string): RunResult {
  return mustSucceed("validate", terraform(workDir, ["validate", "-no-color"]));
}

export type { Counts as PlanCounts, PlanJson } from "../lib/plan/summary";

export interface OfflinePlan {
  /** Human-readable plan as `terraform plan` printed it. */
  readonly text: string;
  /** `terraform show -json` of the saved plan. */
  readonly json: PlanJson;
  readonly planFile: string;
  readonly counts: PlanCounts;
}

export interface PlanOptions {
  /**
   * Refresh resources from AWS first. Offline this is only possible with an empty state (no
   * resource to refresh); a plan against a prepared state must pass false.
   * @default true
   */
  readonly refresh?: boolean;
}

/** `terraform plan` into `<workDir>/offline.tfplan`, then `terraform show -json` of it. */
export function plan(workDir: string, options: PlanOptions = {}): OfflinePlan {
  const planFile = path.join(workDir, "offline.tfplan");
  const args = ["plan", "-input=false", "-no-color", "-lock=false", "-out=offline.tfplan"];
  if (options.refresh === false) args.push("-refresh=false");
  const text = mustSucceed("plan", terraform(workDir, args)).stdout;
  const shown = mustSucceed("show", terraform(workDir, ["show", "-json", "offline.tfplan"])).stdout;
  const json = JSON.parse(shown) as PlanJson;
  return { text, json, planFile, counts: countChanges(json) };
}

export function summaryLine(env: string, c: PlanCounts): string {
  return `${env}: ${c.add} to add, ${c.change} to change, ${c.destroy} to destroy, ${c.replace} to replace (offline plan, no AWS credentials used)`;
}
