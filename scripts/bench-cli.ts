/**
 * ecs-shift timings against the local endpoint (ELBv2, CloudWatch, and S3 for the Terraform
 * lock check that `shift` makes: the outputs carry a state_backend), as ratios to a bare
 * `node -e "require('@aws-sdk/client-elastic-load-balancing-v2')"` measured in the same run.
 *  - `status` and `shift` with an instant endpoint: target at most 2.5x.
 *  - `shift` with 50 ms injected on every call (a real region's round trip): the number of round
 *    trips on the critical path shows; target at most 1.2 s in all (the bash + AWS CLI flip it
 *    replaces takes about 3 s).
 *  - alarm-driven rollback: from the alarm turning to ALARM to the restored weights read back,
 *    with --poll 1s; target at most the poll interval plus 2 s.
 * Run alone with `node dist/scripts/bench-cli.js`.
 */
import { execFile, spawn } from "node:child_process";
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

/** Milliseconds from the alarm's flip to the restore's read-back, for one progressive shift with --poll `pollMs`. */
async function alarmToRestore(env: NodeJS.ProcessEnv, outputs: string, pollMs: number): Promise<number> {
  const ep = new AwsEndpoint(deployedState());
  const url = await ep.start();
  let flipped = 0;
  let restored = 0;
  let alarmsSeen = 0;
  let restoreWrite = false;
  ep.faults.onCall = (action, state) => {
    if (action === "DescribeAlarms" && ++alarmsSeen === 3 && !flipped) {
      // Flip between two polls: the worst case is a full poll interval.
      setTimeout(() => {
        state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
        flipped = performance.now();
      }, 10);
    }
    if (action === "ModifyRule" && flipped) restoreWrite = true;
    else if (action === "DescribeRules" && restoreWrite && !restored) restored = performance.now();
  };
  try {
    await new Promise<void>((resolve) => {
      const c = spawn(process.execPath, [CLI, "shift", "--to", "green", "--steps", "10,100", "--bake", "60s", "--poll", `${pollMs}ms`, "--env", "dev", "--outputs-file", outputs, "--endpoint-url", url], { env, stdio: "ignore" });
      c.on("close", () => resolve());
    });
  } finally {
    await ep.stop();
  }
  if (!flipped || !restored) throw new Error("alarm-to-restore: the restore was not seen");
  return restored - flipped;
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
    ep.faults.latencyMs = 50;
    const calls0 = ep.calls.length;
    const shift50 = await median(runs, (i) => timeOnce([CLI, "shift", "--to", i % 2 === 0 ? "green" : "blue", ...sel], env));
    const callsPerShift = Math.round((ep.calls.length - calls0) / runs);
    ep.faults.latencyMs = 0;
    const pollMs = 1000;
    const restoreMs = await median(Math.min(runs, 3), () => alarmToRestore(env, outputs, pollMs));
    const r = (x: number) => +(x / baseline).toFixed(2);
    process.stderr.write(
      `  node + ELBv2 SDK: ${baseline.toFixed(0)} ms; status ${status.toFixed(0)} ms (${r(status)}x); shift ${shift.toFixed(0)} ms (${r(shift)}x); ` +
        `shift at 50 ms per call ${shift50.toFixed(0)} ms (${callsPerShift} calls); alarm to restored (poll 1s) ${restoreMs.toFixed(0)} ms\n`,
    );
    return {
      runs,
      baselineMs: Math.round(baseline),
      statusMs: Math.round(status),
      shiftMs: Math.round(shift),
      statusRatio: r(status),
      shiftRatio: r(shift),
      target: 2.5,
      shiftAt50msPerCallMs: Math.round(shift50),
      callsPerShift,
      shiftAt50msTargetMs: 1200,
      alarmToRestoredMs: Math.round(restoreMs),
      alarmToRestoredPollMs: pollMs,
      alarmToRestoredTargetMs: pollMs + 2000,
    };
  } finally {
    await ep.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchCli().then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`));
}
