/**
 * Local-AWS figures for `npm run bench` (issue 14), each as a ratio to the one-resource app's
 * `terraform init + apply` against the same local AWS (moto through scripts/local/moto_server.py),
 * measured in the same run:
 *  1. `npm run local -- up`: the state stack and dev, applied (side by side) on a fresh server;
 *  2. the whole rehearsal: `jest test/local-rehearsal.test.ts` (up, plans, shifts, release,
 *     destroy, down). Target: under 3 minutes on 2 cores.
 * Run alone with `node dist/scripts/bench-local.js`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { apply, down, localPaths, prepareLocalDir, startMoto, stopMoto, up } from "./local";

const ROOT = path.resolve(__dirname, "..", "..");

function seconds(ms: number): number {
  return +(ms / 1000).toFixed(1);
}

/** The one-resource app (scripts/bench/one-resource-app.ts), synthesized. */
function baselineStack(dir: string): string {
  const out = path.join(dir, "cdktf.out");
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "bench", "one-resource-app.ts")], {
    cwd: ROOT,
    env: { ...process.env, CDKTF_OUTDIR: out, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`synthesizing the one-resource app failed:\n${r.stderr}`);
  return fs.readFileSync(path.join(out, "stacks", "baseline", "cdk.tf.json"), "utf8");
}

export async function benchLocal(): Promise<object> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-local-"));
  try {
    // Baseline: init + apply of one S3 bucket against a fresh local AWS.
    const basePaths = localPaths(path.join(dir, "baseline"));
    const server = await startMoto(basePaths);
    let baselineMs: number;
    try {
      const json = baselineStack(dir);
      const t0 = performance.now();
      prepareLocalDir(json, basePaths.workDir("baseline"), server.url);
      await apply(basePaths.workDir("baseline"));
      baselineMs = performance.now() - t0;
    } finally {
      await stopMoto(basePaths);
    }
    process.stderr.write(`  one-resource app, init + apply: ${seconds(baselineMs)} s\n`);

    // up: the state stack and dev on a fresh server, in a project of its own.
    const project = path.join(dir, "project");
    fs.cpSync(path.join(ROOT, "config"), path.join(project, "config"), { recursive: true });
    const t1 = performance.now();
    await up({ projectDir: project });
    const upMs = performance.now() - t1;
    await down({ projectDir: project });
    process.stderr.write(`  npm run local -- up (state + dev): ${seconds(upMs)} s\n`);

    // The whole rehearsal, as npm test runs it.
    const t2 = performance.now();
    const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "jest", "bin", "jest.js"), "test/local-rehearsal.test.ts"], { cwd: ROOT, encoding: "utf8" });
    const rehearsalMs = performance.now() - t2;
    if (r.status !== 0) throw new Error(`the rehearsal failed:\n${r.stdout}\n${r.stderr}`);
    process.stderr.write(`  rehearsal (jest test/local-rehearsal.test.ts): ${seconds(rehearsalMs)} s\n`);

    return {
      baselineApplyS: seconds(baselineMs),
      up: { s: seconds(upMs), ratioToBaseline: +(upMs / baselineMs).toFixed(2) },
      rehearsal: { s: seconds(rehearsalMs), ratioToBaseline: +(rehearsalMs / baselineMs).toFixed(2), targetS: 180 },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchLocal()
    .then((r) => process.stdout.write(JSON.stringify(r, null, 2) + "\n"))
    .catch((e: unknown) => {
      process.stderr.write(`bench-local: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    });
}
