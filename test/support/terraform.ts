import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { plan, prepareOfflineDir, validate, type OfflinePlan } from "../../scripts/offline";

/**
 * The real Terraform CLI and AWS provider on synthesized JSON, offline, through the same code
 * as `npm run plan`. The provider comes from TERRAFORM_PLUGIN_DIR (a filesystem mirror) when it
 * is set, else Terraform downloads it as usual.
 */

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

/** A fresh temp dir holding the stack with the offline override, initialised. */
export function prepareOffline(stackJson: string, name = "tf"): string {
  requireTerraform();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  prepareOfflineDir(stackJson, dir);
  return dir;
}

/** `terraform validate` on synthesized JSON; throws with Terraform's own diagnostics on failure. */
export function expectValidTerraform(stackJson: string): void {
  const dir = prepareOffline(stackJson, "validate");
  try {
    validate(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** validate + plan; throws with Terraform's diagnostics on failure. */
export function validateAndPlan(stackJson: string, name: string): OfflinePlan {
  const dir = prepareOffline(stackJson, name);
  try {
    validate(dir);
    return plan(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
