import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Runs the real Terraform CLI with the real AWS provider on synthesized JSON, offline.
 * The provider comes from `TERRAFORM_PLUGIN_DIR` (a filesystem mirror) when it is set,
 * else Terraform downloads it as usual.
 */

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fails with a clear message when Terraform is not installed: never skips. */
export function requireTerraform(): string {
  const probe = spawnSync("terraform", ["version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "Terraform >= 1.10 is required on PATH for these tests but was not found. " +
        "Install it from https://developer.hashicorp.com/terraform/install (or your package manager) and re-run.",
    );
  }
  return probe.stdout.split("\n")[0];
}

/** Environment for Terraform: no checkpoint calls, no input, and a CLI config that exists. */
export function terraformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  if (env.TF_CLI_CONFIG_FILE && !fs.existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  return env;
}

export function terraform(dir: string, args: string[]): TerraformResult {
  const r = spawnSync("terraform", args, { cwd: dir, env: terraformEnv(), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

export function terraformInit(dir: string): void {
  const args = ["init", "-input=false", "-no-color", "-backend=false"];
  if (process.env.TERRAFORM_PLUGIN_DIR) args.push(`-plugin-dir=${process.env.TERRAFORM_PLUGIN_DIR}`);
  const r = terraform(dir, args);
  if (r.code !== 0) throw new Error(`terraform init failed in ${dir}:\n${r.stdout}\n${r.stderr}`);
}

/** Offline provider settings for a stack JSON written by tests (no backend, dummy credentials). */
export const OFFLINE_PROVIDER_OVERRIDE = {
  provider: {
    aws: {
      access_key: "offline-plan-access-key",
      secret_key: "offline-plan-secret-key",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: "true",
      skip_region_validation: true,
    },
  },
};

/**
 * Writes `stackJson` (a synthesized cdktf stack) into a fresh temp dir with an offline provider
 * override, runs `terraform init`, and returns the dir.
 */
export function prepareOffline(stackJson: string, name = "tf"): string {
  requireTerraform();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const parsed = JSON.parse(stackJson);
  delete parsed.terraform?.backend;
  fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify(parsed, null, 2));
  fs.writeFileSync(path.join(dir, "offline_override.tf.json"), JSON.stringify(OFFLINE_PROVIDER_OVERRIDE, null, 2));
  terraformInit(dir);
  return dir;
}

/** `terraform validate` on synthesized JSON; throws with Terraform's own diagnostics on failure. */
export function expectValidTerraform(stackJson: string): void {
  const dir = prepareOffline(stackJson, "validate");
  try {
    const r = terraform(dir, ["validate", "-no-color"]);
    if (r.code !== 0) throw new Error(`terraform validate failed:\n${r.stdout}\n${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function gitRoot(): string {
  return execFileSync("git", ["rev-parse", "--show-toplevel"], { encoding: "utf8" }).trim();
}
