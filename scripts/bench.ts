/**
 * `npm run bench`: every figure is a ratio to a baseline measured in the same run, on the same
 * machine, so the numbers travel between machines.
 *  1. `cdktf synth` of every stack (dev, prod, state, with the policy pack's checks) vs
 *     `cdktf synth` of a one-resource app (target <= 1.5x).
 *  2. Offline plan time per stack (init + validate + plan), vs the one-resource app's plan.
 *  3. `ecs-shift status` / `shift` vs `node -e "require('@aws-sdk/client-elastic-load-balancing-v2')"`
 *     (target <= 2.5x); `shift` with 50 ms injected per call (target <= 1.2 s in all); the time
 *     from an alarm's transition to ALARM to the restored weights read back (target <= poll + 2 s),
 *     from scripts/bench-cli.
 *  4. `npm run local -- up` and the whole local rehearsal vs the one-resource app's apply against
 *     the same local AWS, from scripts/bench-local.
 * Results print as a table and as JSON (bench-results/latest.json).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { plan, prepareOfflineDir, validate } from "./offline";

const ROOT = path.resolve(__dirname, "..", "..");
const CDKTF = path.join(ROOT, "node_modules", "cdktf-cli", "bundle", "bin", "cdktf");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeIt(label: string, fn: () => void, runs = RUNS): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  const m = median(times);
  process.stderr.write(`  ${label}: median ${m.toFixed(0)} ms over ${runs} runs\n`);
  return m;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
}

/** A throwaway cdktf project whose app is the compiled one-resource baseline. */
function baselineProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-baseline-"));
  fs.writeFileSync(
    path.join(dir, "cdktf.json"),
    // Run the same way as the project's own app (cdktf.json): TypeScript through tsx.
    JSON.stringify({ language: "typescript", app: `node --import tsx ${path.join(ROOT, "scripts", "bench", "one-resource-app.ts")}`, sendCrashReports: "false" }),
  );
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`, runs: RUNS };

  process.stderr.write("synth (cdktf synth, the CLI users run):\n");
  const base = baselineProject();
  const baseSynth = timeIt("one-resource app", () => run(process.execPath, [CDKTF, "synth", "--output", path.join(base, "cdktf.out")], base));
  const ourSynth = timeIt("dev + prod + state stacks, policy checked", () => run(process.execPath, [CDKTF, "synth"], ROOT));
  results.synth = { baselineMs: Math.round(baseSynth), stacksMs: Math.round(ourSynth), ratio: +(ourSynth / baseSynth).toFixed(2), target: 1.5 };

  process.stderr.write("offline plan (init + validate + plan, real provider):\n");
  const planOf = (json: string, dir: string) => () => {
    prepareOfflineDir(json, dir);
    validate(dir);
    plan(dir);
  };
  const baseJson = fs.readFileSync(path.join(base, "cdktf.out", "stacks", "baseline", "cdk.tf.json"), "utf8");
  const basePlan = timeIt("one-resource app", planOf(baseJson, path.join(base, "plan")), 1);
  const plans: Record<string, unknown> = {};
  for (const env of ["dev", "prod", "state"]) {
    const json = fs.readFileSync(path.join(ROOT, "cdktf.out", "stacks", env, "cdk.tf.json"), "utf8");
    const resources = Object.values(JSON.parse(json).resource ?? {}).reduce((n: number, byName) => n + Object.keys(byName as object).length, 0);
    const ms = timeIt(`${env} (${resources} resources)`, planOf(json, path.join(ROOT, ".offline-plan", `bench-${env}`)), 1);
    plans[env] = { resources, ms: Math.round(ms), ratioToBaseline: +(ms / basePlan).toFixed(2) };
  }
  results.offlinePlan = { baselineMs: Math.round(basePlan), ...plans };
  fs.rmSync(base, { recursive: true, force: true });

  process.stderr.write("ecs-shift (against the local ELBv2 endpoint):\n");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { benchCli } = require("./bench-cli") as { benchCli: () => Promise<unknown> };
  results.cli = await benchCli();

  process.stderr.write("local AWS (moto), apply vs the one-resource app's apply:\n");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  results.local = await (require("./bench-local") as typeof import("./bench-local")).benchLocal();

  fs.mkdirSync(path.join(ROOT, "bench-results"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, "bench-results", "latest.json"), JSON.stringify(results, null, 2) + "\n");
  process.stdout.write(JSON.stringify(results, null, 2) + "\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
