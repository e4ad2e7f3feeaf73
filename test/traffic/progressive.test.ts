/**
 * Progressive shifts and the Terraform lock check, end to end: the built CLI under node, the real
 * AWS SDK clients (ELBv2, CloudWatch, S3, DynamoDB) over HTTP to the local endpoint. A bake's
 * surprises (an alarm, unhealthy targets, an operator's edit, a signal) are injected by the
 * endpoint at a given poll, so no test depends on timing. Bakes are 1-3 s.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARNS, AwsEndpoint, deployedOutputs, deployedState, lockInfo, STATE, type Obj } from "../support/aws-endpoint";
import { assertBuilt, cli, countAfter, events, startCli } from "../support/ecs-shift";

let ep: AwsEndpoint;
let dir: string;
let outputsFile: string;

beforeAll(() => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "progressive-"));
  outputsFile = path.join(dir, "outputs.json");
  fs.writeFileSync(outputsFile, JSON.stringify(deployedOutputs()));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  ep = new AwsEndpoint(deployedState());
  await ep.start();
});
afterEach(() => ep.stop());

const envArgs = (file = outputsFile) => ["--env", "dev", "--outputs-file", file, "--endpoint-url", ep.url];
/** Outputs of the dev stack with another state_backend. */
function outputsWith(stateBackend: unknown): string {
  const o = deployedOutputs();
  o.dev.state_backend = stateBackend;
  const file = path.join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(o));
  return file;
}
const ruleWeights = () => {
  const tgs = (ep.state.rules[ARNS.rule].actions[0].ForwardConfig as Obj).TargetGroups as Obj[];
  return Object.fromEntries(tgs.map((g) => [g.TargetGroupArn === ARNS.blue ? "blue" : "green", g.Weight]));
};
const written = () => ep.ruleWrites.map((w) => ({ blue: w[ARNS.blue], green: w[ARNS.green] }));
const testTarget = () => ep.state.listeners[ARNS.testListener].defaultActions[0].TargetGroupArn;
const setGreenWeights = (state: typeof ep.state, blue: number, green: number) => {
  const tgs = (state.rules[ARNS.rule].actions[0].ForwardConfig as Obj).TargetGroups as Obj[];
  tgs[0].Weight = blue;
  tgs[1].Weight = green;
};
const BAKE = ["--bake", "3s", "--poll", "200ms"];
const LOCK_KEY = `${STATE.key}.tflock`;

describe("progressive shift", () => {
  test("a full canary run: 10 %, a clean bake watching alarms and health, then 100 %; only weights written; one JSON event per line", async () => {
    const conditions = JSON.stringify(ep.state.rules[ARNS.rule].conditions);
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", "--bake", "1s", "--poll", "200ms", "--json", ...envArgs()]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(written()).toEqual([
      { blue: 90, green: 10 },
      { blue: 0, green: 100 },
    ]);
    expect(ruleWeights()).toEqual({ blue: 0, green: 100 });
    // Only the weights changed: stickiness and order kept, conditions never sent back.
    expect(ep.state.rules[ARNS.rule].actions[0]).toMatchObject({ Type: "forward", Order: 1, ForwardConfig: { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 } } });
    expect(JSON.stringify(ep.state.rules[ARNS.rule].conditions)).toBe(conditions);
    expect(testTarget()).toBe(ARNS.blue);
    expect(ep.state.rules[ARNS.rule].tags).toMatchObject({ "ecs-shift:previous": "blue=100 green=0", "ecs-shift:previous-test": "green", "ecs-shift:state": "done", "ecs-shift:steps": "90:10/0:100" });

    const ev = events(r.stdout);
    const kinds = ev.map((e) => e.event);
    expect(kinds.slice(0, 4)).toEqual(["start", "lock", "gates", "step"]);
    expect(kinds.slice(-3)).toEqual(["step", "test-listener", "end"]);
    const polls = ev.filter((e) => e.event === "poll");
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.every((p) => p.step === 1 && p.weights.green === 10)).toBe(true);
    expect(polls[0]).toMatchObject({ alarms: { "webapp-dev-green-target-5xx": "OK", "webapp-dev-green-p99-latency": "OK" }, health: { healthy: 1, registered: 1 }, decision: "wait" });
    expect(polls[polls.length - 1].decision).toBe("next");
    expect(ev[0]).toMatchObject({ to: "green", before: { blue: 100, green: 0 }, steps: [{ blue: 90, green: 10 }, { blue: 0, green: 100 }], bakeSeconds: 1 });
    expect(ev[1]).toMatchObject({ checked: [`s3://${STATE.bucket}/${LOCK_KEY}`], held: [] });
    expect(ev[ev.length - 1]).toMatchObject({ event: "end", outcome: "completed", exitCode: 0, live: { blue: 0, green: 100 } });
    // The bake polled the target colour's alarms, never the live colour's.
    expect(ep.calls.filter((c) => c === "DescribeAlarms").length).toBeGreaterThanOrEqual(3);
  });

  test("text output shows step, weights, time left and alarm states", async () => {
    const r = await cli(["shift", "--to", "green", "--steps", "50,100", "--bake", "1s", "--poll", "300ms", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("step 1/2: blue 50 / green 50 written and verified; baking 1s");
    expect(r.stdout).toMatch(/ {2}step 1\/2: blue 50 \/ green 50; \d\.\ds left; targets 1\/1 healthy; alarms: webapp-dev-green-target-5xx OK, webapp-dev-green-p99-latency OK/);
    expect(r.stdout).toContain("shifted: blue=100,green=0 -> blue=0,green=100 in 2 steps with 1s bakes");
  });

  test("an alarm going to ALARM mid-bake: the pre-shift weights are restored at once and verified, exit 4", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 2) state.alarms["webapp-dev-green-p99-latency"] = "ALARM";
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,50,100", ...BAKE, "--json", ...envArgs()]);
    expect(r.code).toBe(4);
    expect(written()).toEqual([
      { blue: 90, green: 10 },
      { blue: 100, green: 0 },
    ]);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(testTarget()).toBe(ARNS.green); // never moved
    expect(r.stderr).toContain("rolled back: alarm in ALARM: webapp-dev-green-p99-latency. The pre-shift weights blue=100,green=0 are live again (verified).");
    const ev = events(r.stdout);
    expect(ev.filter((e) => e.event === "step").map((e) => e.step)).toEqual([1]);
    expect(ev.find((e) => e.event === "poll" && e.decision === "restore")).toMatchObject({ alarms: { "webapp-dev-green-p99-latency": "ALARM" } });
    expect(ev.slice(-3).map((e) => e.event)).toEqual(["rollback", "restored", "end"]);
    expect(ev[ev.length - 1]).toMatchObject({ outcome: "restored", exitCode: 4, live: { blue: 100, green: 0 } });
  });

  test("targets turning unhealthy mid-bake: restore, exit 4, what was seen is printed", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeTargetHealth" && countAfter(calls, "ModifyRule", "DescribeTargetHealth") === 2) state.targetGroups[ARNS.green].targets[0].state = "unhealthy";
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    expect(r.code).toBe(4);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(r.stdout).toContain("ROLLBACK at step 1: unhealthy targets: 0/1 healthy (states: unhealthy)");
    expect(r.stdout).toContain("restored: blue 100 / green 0 (verified)");
    expect(r.stderr).toContain("rolled back: unhealthy targets");
  });

  test.each(["SIGINT", "SIGTERM"] as const)("%s mid-bake restores the pre-shift weights, exit 4", async (signal) => {
    const run = startCli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    ep.faults.onCall = (action, _state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 2) run.child.kill(signal);
    };
    const r = await run.done;
    expect(r.signal).toBeNull(); // it handled the signal instead of dying mid-shift
    expect(r.code).toBe(4);
    expect(written()).toEqual([
      { blue: 90, green: 10 },
      { blue: 100, green: 0 },
    ]);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(r.stderr).toContain(`${signal} received: stopping and restoring the pre-shift weights`);
    expect(r.stderr).toContain(`rolled back: interrupted by ${signal}`);
  });

  test("an operator's edit mid-bake: stop, do not overwrite it, report what was seen, exit 5", async () => {
    ep.faults.onCall = (action, state, calls) => {
      // poll 2 of the first bake (the first DescribeRules after the write is its read-back)
      if (action === "DescribeRules" && countAfter(calls, "ModifyRule", "DescribeRules") === 3) setGreenWeights(state, 50, 50);
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, "--json", ...envArgs()]);
    expect(r.code).toBe(5);
    expect(ruleWeights()).toEqual({ blue: 50, green: 50 }); // theirs, untouched
    expect(written()).toEqual([{ blue: 90, green: 10 }]);
    expect(r.stderr).toContain("stopped: someone else changed the weights: expected blue=90,green=10, found blue=50,green=50. ecs-shift did not overwrite it; live weights: blue=50,green=50.");
    expect(events(r.stdout).slice(-2)).toMatchObject([
      { event: "stopped", weights: { blue: 50, green: 50 } },
      { event: "end", outcome: "stopped", exitCode: 5 },
    ]);
  });

  test("a restore that cannot be written: exit 3, the live weights and how to restore them by hand", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) {
        state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
        ep.faults.deny = ["ModifyRule"];
      }
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    expect(r.code).toBe(3);
    expect(ruleWeights()).toEqual({ blue: 90, green: 10 });
    expect(r.stderr).toContain("ROLLBACK FAILED after alarm in ALARM: webapp-dev-green-target-5xx");
    expect(r.stderr).toContain("access denied");
    expect(r.stderr).toContain("Live weights: blue=90,green=10; the pre-shift weights were blue=100,green=0. Restore them by hand now: ecs-shift shift --to blue --percent 100");
  });

  test("a lost restore write is seen by reading back and tried again", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) {
        state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
        ep.faults.loseNextWrite = true;
      }
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    expect(r.code).toBe(4);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(ep.calls.filter((c) => c === "ModifyRule")).toHaveLength(3); // step 1, the lost restore, the restore
  });

  test("--final-bake keeps watching after 100 % and restores on ALARM (the old colour is still warm)", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 2) state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
    };
    const r = await cli(["shift", "--to", "green", "--strategy", "all-at-once", "--final-bake", "3s", "--poll", "200ms", ...envArgs()]);
    expect(r.code).toBe(4);
    expect(written()).toEqual([
      { blue: 0, green: 100 },
      { blue: 100, green: 0 },
    ]);
    expect(testTarget()).toBe(ARNS.green); // moved only after a clean final bake
  });

  test("--strategy all-at-once moves everything in one verified step", async () => {
    const r = await cli(["shift", "--to", "green", "--strategy", "all-at-once", "--json", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(written()).toEqual([{ blue: 0, green: 100 }]);
    expect(events(r.stdout).some((e) => e.event === "poll")).toBe(false);
  });

  test("--dry-run checks the lock and the gates, prints the plan, writes nothing", async () => {
    const r = await cli(["shift", "--to", "green", "--strategy", "linear10-1m", "--dry-run", "--json", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(ep.writes()).toBe(0);
    expect(ep.calls).toContain("GetObject");
    const ev = events(r.stdout);
    expect(ev[0].steps.map((s: { green: number }) => s.green)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(ev[ev.length - 1]).toMatchObject({ outcome: "dry-run", exitCode: 0 });
  });

  test("a gate failing before the first step: exit 1, nothing written", async () => {
    ep.state.targetGroups[ARNS.green].targets = [{ id: "10.0.0.1", state: "unhealthy" }];
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, "--json", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(ep.writes()).toBe(0);
    expect(events(r.stdout).pop()).toMatchObject({ event: "end", outcome: "refused", exitCode: 1 });
  });

  test.each([
    [["--strategy", "canary10-5m", "--steps", "10,100"], /--strategy canary10-5m sets the steps and the bake/],
    [["--steps", "10,50", "--bake", "1s"], /--steps must end at 100/],
    [["--steps", "10,100", "--percent", "10"], /--percent goes without --steps\/--strategy/],
    [["--steps", "10,100", "--bake", "5"], /--bake must be a duration such as 30s, 5m/],
    [["--steps", "10,100", "--bake", "1s", "--poll", "10ms"], /--poll must be at least 100ms/],
  ])("bad input %j: exit 2, nothing sent", async (args, message) => {
    const r = await cli(["shift", "--to", "green", ...args, ...envArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(ep.calls).toEqual([]);
  });
});

describe("Terraform state lock", () => {
  test("a held S3 lock file: shift refuses, naming who holds it and since when, exit 1, nothing written", async () => {
    ep.state.s3[STATE.bucket][LOCK_KEY] = lockInfo();
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `refused, nothing changed: the Terraform state lock is held: s3://${STATE.bucket}/${LOCK_KEY} is held by alice@build-7 for a Terraform apply since 2026-11-30T09:15:02.123456789Z`,
    );
    expect(r.stderr).toContain("lock ID 8a1b3c5d-7e9f-4a2b-8c4d-6e8f0a2b4c6d");
    expect(r.stderr).toContain("terraform force-unlock");
    expect(ep.writes()).toBe(0);
    expect(ep.calls).not.toContain("AddTags");
  });

  test("without the lock, the same shift goes ahead (the refusal above is the lock's doing)", async () => {
    const r = await cli(["shift", "--to", "green", "--json", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).lock).toEqual({ checked: [`s3://${STATE.bucket}/${LOCK_KEY}`], held: [], forced: false });
    expect(ep.calls).toContain("GetObject");
  });

  test("a progressive shift checks the lock before the first step", async () => {
    ep.state.s3[STATE.bucket][LOCK_KEY] = lockInfo();
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the Terraform state lock is held");
    expect(ep.writes()).toBe(0);
  });

  test("revert refuses too", async () => {
    ep.state.rules[ARNS.rule].tags["ecs-shift:previous"] = "blue=0,green=100";
    ep.state.s3[STATE.bucket][LOCK_KEY] = lockInfo({ Who: "bob@laptop", Operation: "OperationTypeApply" });
    const r = await cli(["revert", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is held by bob@laptop for a Terraform apply");
    expect(ep.writes()).toBe(0);
  });

  test("--force overrides a held lock, loudly on stderr", async () => {
    ep.state.s3[STATE.bucket][LOCK_KEY] = lockInfo();
    const r = await cli(["shift", "--to", "green", "--force", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("WARNING: --force overrides the Terraform state lock: s3://");
    expect(ruleWeights()).toEqual({ blue: 0, green: 100 });
  });

  test("a plan's lock does not refuse (a plan only reads); it is mentioned on stderr", async () => {
    ep.state.s3[STATE.bucket][LOCK_KEY] = lockInfo({ Operation: "OperationTypePlan" });
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("for a Terraform plan since");
  });

  test("a DynamoDB lock item (older Terraform) refuses; the -md5 digest item alone does not", async () => {
    const file = outputsWith({ type: "s3", bucket: STATE.bucket, key: STATE.key, region: STATE.region, use_lockfile: false, dynamodb_table: STATE.table });
    const lockId = `${STATE.bucket}/${STATE.key}`;
    ep.state.dynamodb[STATE.table] = { [`${lockId}-md5`]: { LockID: { S: `${lockId}-md5` }, Digest: { S: "0123456789abcdef" } } };
    const free = await cli(["shift", "--to", "green", "--percent", "10", ...envArgs(file)]);
    expect(free.code).toBe(0);
    expect(ep.calls).toContain("GetItem");
    expect(ep.calls).not.toContain("GetObject"); // use_lockfile false: no lock file to read

    ep.state.dynamodb[STATE.table][lockId] = { LockID: { S: lockId }, Info: { S: lockInfo({ Who: "carol@ci" }) } };
    const held = await cli(["shift", "--to", "green", ...envArgs(file)]);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain(`dynamodb://${STATE.table}/${lockId} is held by carol@ci for a Terraform apply`);
    expect(ruleWeights()).toEqual({ blue: 90, green: 10 });
  });

  test("explicit --state-bucket/--state-key/--lock-table for a load balancer selected by ARN", async () => {
    ep.state.dynamodb[STATE.table] = { [`${STATE.bucket}/${STATE.key}`]: { LockID: { S: `${STATE.bucket}/${STATE.key}` }, Info: { S: lockInfo() } } };
    const r = await cli([
      "shift", "--to", "green", "--rule-arn", ARNS.rule, "--endpoint-url", ep.url,
      "--state-bucket", STATE.bucket, "--state-key", STATE.key, "--lock-table", STATE.table, "--no-state-lockfile",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`dynamodb://${STATE.table}/`);
    expect(ep.writes()).toBe(0);
  });

  test("AccessDenied on the lock file is an error naming the missing permissions, never 'unlocked': exit 3", async () => {
    ep.faults.deny = ["GetObject"];
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`reading the Terraform lock s3://${STATE.bucket}/${LOCK_KEY}: access denied. The caller needs s3:GetObject on arn:aws:s3:::${STATE.bucket}/${LOCK_KEY} and s3:ListBucket on arn:aws:s3:::${STATE.bucket}`);
    expect(ep.writes()).toBe(0);
  });

  test("AccessDenied on the lock table names dynamodb:GetItem: exit 3", async () => {
    const file = outputsWith({ type: "s3", bucket: STATE.bucket, key: STATE.key, region: STATE.region, use_lockfile: true, dynamodb_table: STATE.table });
    ep.state.dynamodb[STATE.table] = {};
    ep.faults.deny = ["GetItem"];
    const r = await cli(["shift", "--to", "green", ...envArgs(file)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`needs dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:<account>:table/${STATE.table}`);
    expect(ep.writes()).toBe(0);
  });

  test("a local backend has no lock to check: said in --json, not a failure", async () => {
    const file = outputsWith({ type: "local", path: "terraform.dev.tfstate" });
    const r = await cli(["shift", "--to", "green", "--json", ...envArgs(file)]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).lock).toMatchObject({ checked: [], held: [], note: expect.stringContaining("local backend (terraform.dev.tfstate") });
    expect(ep.calls).not.toContain("GetObject");
  });

  test("outputs without state_backend: a warning on stderr, the shift goes ahead", async () => {
    const o = deployedOutputs();
    delete o.dev.state_backend;
    const file = path.join(dir, "outputs-old.json");
    fs.writeFileSync(file, JSON.stringify(o));
    const r = await cli(["shift", "--to", "green", ...envArgs(file)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: the Terraform lock is not checked: the outputs have no state_backend output");
  });
});

test("--help documents the new exit codes", async () => {
  const r = await cli(["shift", "--help"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("4  progressive shift stopped (alarm, unhealthy targets, blind poll, SIGINT/SIGTERM)");
  expect(r.stdout).toContain("5  someone else changed the rule during the shift");
  expect(r.stdout).toContain("canary10-5m");
});
