/**
 * ecs-shift timings against the local endpoint (ELBv2, CloudWatch, and S3 for the Terraform
 * lock check that `shift` makes: the outputs carry a state_backend), as ratios to a bare
 * `node -e "require('@aws-sdk/client-elastic-load-balancing-v2')"` measured in the same run.
 * Target: at most 2.5x. Run alone with `node dist/scripts/bench-cli.js`.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { AwsEndpoint, deployedOutputs, deployedState } from "../test/support/aws-endpoint";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "lib", "traffic", "cli.js");

function timeOnce(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(process.execPath, args, { env, cwd: ROOT }, (err, _out, stderr) => (err ? reject(new Error(`${args.join(" ")}: ${stderr}`)) : resolve(performance.now() - t0)));
  });
}

async function median(runs: number, fn: (i: number) => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await fn(i));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function benchCli(runs = Number(process.env.BENCH_CLI_RUNS ?? 10)): Promise<object> {
  const ep = new AwsEndpoint(deployedState());
  const url = await ep.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-cli-"));
  const outputs = path.join(dir, "outputs.json");
  fs.writeFileSync(outputs, JSON.stringify(deployedOutputs()));
  const env = { ...process.env, AWS_ACCESS_KEY_ID: "bench", AWS_SECRET_ACCESS_KEY: "bench", AWS_EC2_METADATA_DISABLED: "true", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  const sel = ["--env", "dev", "--outputs-file", outputs, "--endpoint-url", url];
  try {
    const baseline = await median(runs, () => timeOnce(["-e", "require('@aws-sdk/client-elastic-load-balancing-v2')"], env));
    const status = await median(runs, () => timeOnce([CLI, "status", ...sel], env));
    // Alternate full shifts so every run really writes.
    const shift = await median(runs, (i) => timeOnce([CLI, "shift", "--to", i % 2 === 0 ? "green" : "blue", ...sel], env));
    const r = (x: number) => +(x / baseline).toFixed(2);
    process.stderr.write(`  node + ELBv2 SDK: ${baseline.toFixed(0)} ms; status ${status.toFixed(0)} ms (${r(status)}x); shift ${shift.toFixed(0)} ms (${r(shift)}x)\n`);
    return { runs, baselineMs: Math.round(baseline), statusMs: Math.round(status), shiftMs: Math.round(shift), statusRatio: r(status), shiftRatio: r(shift), target: 2.5 };
  } finally {
    await ep.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchCli().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`));
}
