/**
 * ecs-shift under faults, end to end: the built CLI under node, the real AWS SDK over HTTP to the
 * local endpoint, which injects the fault at a given call: kill -9 when a call arrives, a call
 * held in flight (released by the test, or never answered), an outage window, throttling per
 * action, and two CLI processes on one rule (told apart by their access key ids). Every test
 * asserts on the endpoint's state: the weights, the test listener, the journal tags, the writes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARNS, AwsEndpoint, deployedOutputs, deployedState, type Obj, type State } from "../support/aws-endpoint";
import { assertBuilt, cli, countAfter, events, startCli } from "../support/ecs-shift";

let ep: AwsEndpoint;
let dir: string;
let outputsFile: string;

beforeAll(() => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "faults-"));
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
const ruleWeights = () => {
  const tgs = (ep.state.rules[ARNS.rule].actions[0].ForwardConfig as Obj).TargetGroups as Obj[];
  return Object.fromEntries(tgs.map((g) => [g.TargetGroupArn === ARNS.blue ? "blue" : "green", g.Weight]));
};
const setWeights = (state: State, blue: number, green: number) => {
  const tgs = (state.rules[ARNS.rule].actions[0].ForwardConfig as Obj).TargetGroups as Obj[];
  tgs[0].Weight = blue;
  tgs[1].Weight = green;
};
const written = () => ep.ruleWrites.map((w) => ({ blue: w[ARNS.blue], green: w[ARNS.green] }));
const testTarget = () => ep.state.listeners[ARNS.testListener].defaultActions[0].TargetGroupArn;
const tags = () => ep.state.rules[ARNS.rule].tags;
const ageLease = (ms = 10 * 60_000) => (tags()["ecs-shift:heartbeat"] = new Date(Date.now() - ms).toISOString());
const BAKE = ["--bake", "3s", "--poll", "200ms"];
const FAST = ["--request-timeout", "300ms"];
/** No output line may carry these. */
const LIES = /\bNaN\b|\bundefined\b/;

describe("1. write-ahead journal: kill -9 between the first weight write and anything after it", () => {
  test("revert restores this shift's own pre-shift weights, not an older record's", async () => {
    // An older, finished shift from green to blue is on record: its pre-shift weights are 0/100.
    Object.assign(tags(), { "ecs-shift:previous": "blue=0 green=100", "ecs-shift:previous-test": "blue", "ecs-shift:state": "done", "ecs-shift:id": "older" });
    const run = startCli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    ep.faults.onCall = (action) => {
      if (action === "ModifyRule") run.child.kill("SIGKILL");
    };
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(ruleWeights()).toEqual({ blue: 90, green: 10 }); // the write landed
    ep.faults.onCall = undefined;
    // Recorded before the write, and read back: this shift, in progress, from 100/0.
    expect(tags()).toMatchObject({ "ecs-shift:state": "in-progress", "ecs-shift:previous": "blue=100 green=0", "ecs-shift:previous-test": "green", "ecs-shift:steps": "90:10/0:100" });

    // Its lease is fresh: nobody may write yet (it could be alive), and status says who and since when.
    const early = await cli(["revert", ...envArgs()]);
    expect(early.code).toBe(5);
    expect(early.stderr).toMatch(/ecs-shift run \S+ by jest holds the lease on this rule \(last heartbeat \d+s ago\)/);
    expect(ep.writes()).toBe(1);

    ageLease();
    const st = await cli(["status", ...envArgs()]);
    expect(st.stdout).toMatch(/INTERRUPTED at step 0 of 2: no heartbeat for 10m0\ds \(the process died or was killed\)/);
    expect(st.stdout).toContain(`to restore:    ecs-shift revert --env dev --outputs-file ${outputsFile} --endpoint-url ${ep.url} --force`);
    expect(st.stdout).not.toMatch(LIES);
    expect((await cli(["revert", ...envArgs()])).code).toBe(5); // stale, but only --force takes it over

    const r = await cli(["revert", "--force", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(testTarget()).toBe(ARNS.green);
    // The entry keeps what it recorded: killed before step 1 was recorded.
    expect(tags()).toMatchObject({ "ecs-shift:state": "reverted", "ecs-shift:lease": "none", "ecs-shift:step": "0", "ecs-shift:previous": "blue=100 green=0" });
  });

  test("nothing is written when the journal cannot be recorded", async () => {
    ep.faults.deny = ["AddTags"];
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(3);
    expect(ep.writes()).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
  });
});

describe("6. revert is idempotent", () => {
  test("a second revert is a no-op that says so; the failed canary never comes back", async () => {
    expect((await cli(["shift", "--to", "green", "--percent", "10", ...envArgs()])).code).toBe(0);
    expect((await cli(["revert", ...envArgs()])).code).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    const writes = ep.writes();
    const again = await cli(["revert", ...envArgs()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already reverted: shift \S+ by jest/);
    expect(ep.writes()).toBe(writes);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
  });
});

describe("2. bounded calls", () => {
  test("an endpoint that never answers: status ends, exit 3, the live weights are unknown, --json says so", async () => {
    ep.faults.hang = ["DescribeRules"];
    const r = await cli(["status", "--json", ...FAST, ...envArgs()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/reading rule .*no answer from the endpoint within the request timeout, after 4 attempts/);
    expect(JSON.parse(r.stdout)).toEqual({ command: "status", error: expect.stringContaining("request timeout"), exitCode: 3, liveWeights: null });
    expect(ep.hung.length).toBe(4);
  });

  test("a shift whose reads hang past --timeout: nothing written, exit 3, the command to run again", async () => {
    ep.faults.hang = ["DescribeTargetHealth"];
    const r = await cli(["shift", "--to", "green", "--timeout", "1s", ...envArgs()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no answer within --timeout 1s before the first write");
    expect(r.stderr).toContain("Nothing was written");
    expect(ep.writes()).toBe(0);
    expect(ep.calls).not.toContain("AddTags");
  });

  test("SIGINT while a bake's call hangs: the restore does not wait for it", async () => {
    // The gate's and the first poll's health reads are answered; the second poll's is never answered.
    const held = ep.hold("DescribeTargetHealth", { skip: 2 });
    const run = startCli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...FAST, ...envArgs()]);
    await held.arrived;
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(4);
    expect(written()).toEqual([
      { blue: 90, green: 10 },
      { blue: 100, green: 0 },
    ]);
    expect(tags()).toMatchObject({ "ecs-shift:state": "restored", "ecs-shift:lease": "none" });
  });
});

describe("3. a restore that outlasts outages", () => {
  const alarmAfterStep1 = () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
    };
  };

  test("503 on every call for a while (longer than the SDK's retries): restored once it is back, verified, exit 4", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) {
        state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
        // The rest of this poll may take up to 12 of these (3 calls x 4 SDK attempts); the restore gets the others.
        ep.faults.outageFor = 24;
      }
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, "--json", ...envArgs()]);
    expect(r.code).toBe(4);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(r.stderr).toMatch(/restore attempt 1 failed: .*ServiceUnavailable/);
    expect(r.stderr).toContain("The pre-shift weights blue=100,green=0 are live again (verified)");
    expect(events(r.stdout).some((e) => e.event === "restore-retry")).toBe(true);
    expect(tags()["ecs-shift:state"]).toBe("restored");
  });

  test("eight throttles in a row on ModifyRule: still restored, exit 4", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) {
        state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
        ep.faults.throttleByAction = { ModifyRule: 8 };
      }
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    expect(r.code).toBe(4);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(ep.faults.throttleByAction).toEqual({ ModifyRule: 0 });
  });

  test("past --restore-timeout: ROLLBACK FAILED with the live weights (unknown), the command to run, no NaN", async () => {
    alarmAfterStep1();
    const base = ep.faults.onCall!;
    ep.faults.onCall = (action, state, calls, caller) => {
      base(action, state, calls, caller);
      if (state.alarms["webapp-dev-green-target-5xx"] === "ALARM") ep.faults.outage = true;
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, "--restore-timeout", "2s", "--json", ...envArgs()]);
    expect(r.code).toBe(3);
    // (The outage may already hide the poll that saw the alarm: either way a restore is due.)
    expect(r.stderr).toMatch(/ROLLBACK FAILED after (alarm in ALARM|could not check the bake).*: reading rule .*ServiceUnavailable.*\(kept trying for 2s\)/);
    expect(r.stderr).toContain("Live weights: unknown (the rule could not be read); the pre-shift weights were blue=100,green=0");
    const sel = `--env dev --outputs-file ${outputsFile} --endpoint-url ${ep.url}`;
    expect(r.stderr).toContain(`Restore them by hand now: ecs-shift shift --to blue --percent 100 ${sel}, or \`ecs-shift revert ${sel}\``);
    expect(r.stderr + r.stdout).not.toMatch(LIES);
    expect(events(r.stdout).pop()).toMatchObject({ event: "end", outcome: "restore-failed", exitCode: 3, liveWeights: null });
    // Once the endpoint is back, the printed command finishes the job.
    ep.faults.outage = false;
    ep.faults.onCall = undefined;
    expect(ruleWeights()).toEqual({ blue: 90, green: 10 });
    // Its lease could not be released during the outage: as the message says, once stale, --force.
    expect(r.stderr).toMatch(/If it names this run's lease \(\S+\), it is stale 60s after its last heartbeat: then add --force/);
    expect((await cli(["revert", ...envArgs()])).code).toBe(5);
    ageLease();
    const fix = await cli(["revert", "--force", ...envArgs()]);
    expect(fix.code).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
  });
});

describe("4/5. signals at every point", () => {
  test("SIGINT during the last step's write: restored (not completed), exit 4, test listener never moved", async () => {
    const held = ep.hold("ModifyRule", { skip: 1 });
    const run = startCli(["shift", "--to", "green", "--steps", "10,100", "--bake", "1s", "--poll", "200ms", ...envArgs()]);
    await held.arrived;
    run.child.kill("SIGINT");
    await run.stderrShows(/SIGINT received: stopping/);
    held.release();
    const r = await run.done;
    expect(r.code).toBe(4);
    expect(written()).toEqual([
      { blue: 90, green: 10 },
      { blue: 0, green: 100 },
      { blue: 100, green: 0 },
    ]);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(testTarget()).toBe(ARNS.green);
    expect(r.stderr).toContain("SIGINT received: stopping and restoring the pre-shift weights");
  });

  test("SIGINT during a plain shift's write: the write lands, then it is restored and recorded, exit 4", async () => {
    const held = ep.hold("ModifyRule");
    const run = startCli(["shift", "--to", "green", ...envArgs()]);
    await held.arrived;
    run.child.kill("SIGINT");
    await run.stderrShows(/SIGINT received: stopping/);
    held.release();
    const r = await run.done;
    expect(r.signal).toBeNull();
    expect(r.code).toBe(4);
    expect(written()).toEqual([
      { blue: 0, green: 100 },
      { blue: 100, green: 0 },
    ]);
    expect(testTarget()).toBe(ARNS.green);
    expect(tags()).toMatchObject({ "ecs-shift:state": "restored", "ecs-shift:lease": "none" });
  });

  test("SIGTERM during the test listener move: weights and test listener both restored, exit 4", async () => {
    const held = ep.hold("ModifyListener");
    const run = startCli(["shift", "--to", "green", ...envArgs()]);
    await held.arrived;
    run.child.kill("SIGTERM");
    await run.stderrShows(/SIGTERM received: stopping/);
    held.release();
    const r = await run.done;
    expect(r.code).toBe(4);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(testTarget()).toBe(ARNS.green);
  });

  test("SIGINT during the gates: stops at once, nothing written, no 'restoring'", async () => {
    const held = ep.hold("DescribeTargetHealth");
    const run = startCli(["shift", "--to", "green", ...envArgs()]);
    await held.arrived;
    run.child.kill("SIGINT");
    const r = await run.done;
    held.release();
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("interrupted by SIGINT before anything was written; nothing changed");
    expect(r.stderr).not.toContain("restoring");
    expect(ep.writes()).toBe(0);
    expect(ep.calls).not.toContain("AddTags");
  });

  test("a second signal does not abort a restore in flight", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
    };
    const held = ep.hold("ModifyRule", { skip: 1 }); // the restore's write
    const run = startCli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    await held.arrived;
    run.child.kill("SIGTERM");
    await run.stderrShows(/SIGTERM received/);
    run.child.kill("SIGINT");
    await run.stderrShows(/received again: still stopping/);
    held.release();
    const r = await run.done;
    expect(r.signal).toBeNull();
    expect(r.code).toBe(4);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
  });
});

describe("7. concurrent writers: the lease", () => {
  test("a write that would land between another run's read and write: the second run refuses (exit 5), nothing of it written", async () => {
    const held = ep.hold("ModifyRule", { caller: "AKIDFIRST" });
    const a = startCli(["shift", "--to", "green", "--percent", "10", ...envArgs()], { env: { AWS_ACCESS_KEY_ID: "AKIDFIRST", ECS_SHIFT_ACTOR: "first" } });
    await held.arrived;
    const b = await cli(["shift", "--to", "green", ...envArgs()], { env: { AWS_ACCESS_KEY_ID: "AKIDSECOND", ECS_SHIFT_ACTOR: "second" } });
    expect(b.code).toBe(5);
    expect(b.stderr).toMatch(/ecs-shift run \S+ by first holds the lease on this rule \(last heartbeat \d+s ago\).*Nothing was written/);
    held.release();
    const ra = await a.done;
    expect(ra.code).toBe(0);
    expect(written()).toEqual([{ blue: 90, green: 10 }]);
    expect(ruleWeights()).toEqual({ blue: 90, green: 10 });
    expect(tags()).toMatchObject({ "ecs-shift:by": "first", "ecs-shift:state": "done", "ecs-shift:lease": "none" });
  });

  test("another run during an automatic restore: refused, the restore completes and is verified", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
    };
    const held = ep.hold("ModifyRule", { skip: 1, caller: "AKIDFIRST" });
    const a = startCli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()], { env: { AWS_ACCESS_KEY_ID: "AKIDFIRST" } });
    await held.arrived;
    const b = await cli(["shift", "--to", "green", "--percent", "50", "--force", ...envArgs()], { env: { AWS_ACCESS_KEY_ID: "AKIDSECOND" } });
    expect(b.code).toBe(5);
    held.release();
    const ra = await a.done;
    expect(ra.code).toBe(4);
    expect(written()).toEqual([
      { blue: 90, green: 10 },
      { blue: 100, green: 0 },
    ]);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
  });

  test("opposite shifts at once: one goes through, the other stops with exit 5; the test listener ends on the idle colour", async () => {
    setWeights(ep.state, 50, 50);
    const held = ep.hold("AddTags", { caller: "AKIDFIRST" }); // the first run's lease write
    const a = startCli(["shift", "--to", "green", ...envArgs()], { env: { AWS_ACCESS_KEY_ID: "AKIDFIRST" } });
    await held.arrived;
    const b = await cli(["shift", "--to", "blue", ...envArgs()], { env: { AWS_ACCESS_KEY_ID: "AKIDSECOND" } });
    expect(b.code).toBe(0);
    held.release();
    const ra = await a.done;
    expect(ra.code).toBe(5);
    expect(ra.stderr).toContain("changed since it was read");
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(testTarget()).toBe(ARNS.green); // idle colour
    expect(written()).toEqual([{ blue: 100, green: 0 }]);
    // The second run's journal survives the first run's abandoned attempt.
    expect(tags()).toMatchObject({ "ecs-shift:state": "done", "ecs-shift:previous": "blue=50 green=50", "ecs-shift:lease": "none" });
  });

  test("a lease taken over mid-bake (stale, --force): the first run stops without writing again", async () => {
    const a = startCli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()], { env: { AWS_ACCESS_KEY_ID: "AKIDFIRST" } });
    ep.faults.onCall = (action, state, calls, caller) => {
      if (caller === "AKIDFIRST" && action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) {
        Object.assign(state.rules[ARNS.rule].tags, { "ecs-shift:lease": "someone-else", "ecs-shift:lease-by": "bob", "ecs-shift:heartbeat": new Date().toISOString() });
      }
    };
    const r = await a.done;
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("another ecs-shift run took over the lease: run someone-else by bob");
    expect(written()).toEqual([{ blue: 90, green: 10 }]);
  });
});

describe("8. input checked before any call: exit 2, nothing sent", () => {
  const ruleInOtherRegion = ARNS.rule.replace("eu-west-1", "us-east-1");
  test.each([
    [["status", "--rule-arn", ruleInOtherRegion, "--region", "eu-west-1"], /is in region us-east-1, but --region is eu-west-1/],
    [["status", "--rule-arn", ARNS.rule, "--test-listener-arn", ARNS.rule], /--test-listener-arn .* is not an ELBv2 listener ARN \(that is a listener rule's ARN/],
    [["status", "--rule-arn", ARNS.rule, "--test-listener-arn", ""], /--test-listener-arn is empty/],
    [["status", "--rule-arn", ""], /--rule-arn is empty/],
    [["shift", "--to", "green", "--rule-arn", ARNS.rule, "--alarm", ""], /--alarm "" is empty/],
    [["status", "--rule-arn", ARNS.rule, "--endpoint-url", "localhost"], /--endpoint-url must be a URL/],
  ])("%j", async (args, message) => {
    const endpoint = args.includes("--endpoint-url") ? [] : ["--endpoint-url", ep.url];
    const r = await cli([...args, ...endpoint]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(ep.calls).toEqual([]);
  });

  test("the production listener given as --test-listener-arn: refused (exit 2), its action untouched", async () => {
    const prod443 = ARNS.listener.replace(/[0-9a-f]{16}$/, "443443443443443a");
    const fixed = [{ Type: "fixed-response", Order: 1, FixedResponseConfig: { StatusCode: "404", ContentType: "text/plain" } }];
    ep.state.listeners[prod443] = { arn: prod443, port: 443, defaultActions: structuredClone(fixed), tags: {} };
    const r = await cli(["shift", "--to", "green", "--rule-arn", ARNS.rule, "--test-listener-arn", prod443, "--endpoint-url", ep.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--test-listener-arn ${prod443} is not this rule's test listener: its default action is fixed-response`);
    expect(ep.state.listeners[prod443].defaultActions).toEqual(fixed);
    expect(ep.writes()).toBe(0);
    expect(ep.calls).not.toContain("AddTags");
  });
});

describe("5 (gates). an alarm gate that checked nothing does not pass", () => {
  test("a misspelt --alarm refuses (exit 1), nothing written; --force overrides it loudly", async () => {
    const r = await cli(["shift", "--to", "green", "--alarm", "webapp-dev-green-5xxx", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("green alarms that do not exist (misspelt, or another region?): webapp-dev-green-5xxx");
    expect(ep.writes()).toBe(0);
    const f = await cli(["shift", "--to", "green", "--alarm", "webapp-dev-green-5xxx", "--force", ...envArgs()]);
    expect(f.code).toBe(0);
    expect(f.stderr).toContain("WARNING: --force overrides a failed gate: green alarms that do not exist");
  });

  test("an alarm deleted mid-bake: the bake cannot see it, so it restores (exit 4)", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 1) delete state.alarms["webapp-dev-green-p99-latency"];
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", ...BAKE, ...envArgs()]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("rolled back: alarms not found (a bake that cannot see an alarm is not clean): webapp-dev-green-p99-latency");
    expect(written()).toEqual([
      { blue: 90, green: 10 },
      { blue: 100, green: 0 },
    ]);
  });

  test("60 alarms: the one in ALARM on the second page is seen (NextToken followed)", async () => {
    const names = Array.from({ length: 60 }, (_, i) => `webapp-dev-green-alarm-${String(i).padStart(2, "0")}`);
    for (const n of names) ep.state.alarms[n] = "OK";
    ep.state.alarms[names[55]] = "ALARM";
    const o = deployedOutputs();
    o.dev.green_alarm_names = names;
    const file = path.join(dir, "outputs-60.json");
    fs.writeFileSync(file, JSON.stringify(o));
    const r = await cli(["shift", "--to", "green", ...envArgs(file)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`green alarms in ALARM: ${names[55]}`);
    expect(ep.writes()).toBe(0);
  });

  test("target groups over several pages (NextMarker followed)", async () => {
    ep.pageSize = 1;
    const r = await cli(["status", "--json", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ live: "blue", weights: { blue: 100, green: 0 } });
    expect(ep.count("DescribeTargetGroups")).toBe(2);
  });
});

describe("9. honest failures", () => {
  test("the test listener move fails after the weights moved: says traffic moved, the live weights, the journal, the next command", async () => {
    ep.faults.deny = ["ModifyListener"];
    const r = await cli(["shift", "--to", "green", "--json", ...envArgs()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("TRAFFIC MOVED: the live weights are blue=0,green=100 (read again just now; before this run: blue=100,green=0)");
    expect(r.stderr).toMatch(/The journal on rule \S+ says in-progress for run \S+\. Next: `ecs-shift revert --env dev/);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: "shift", exitCode: 3, liveWeights: { blue: 0, green: 100 }, trafficMoved: true });
    expect(ruleWeights()).toEqual({ blue: 0, green: 100 });
    // revert is not a no-op: it puts the pre-shift weights back.
    ep.faults.deny = [];
    const back = await cli(["revert", ...envArgs()]);
    expect(back.code).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
  });

  test.each([["status"], ["shift", "--to", "green"], ["revert"]])("--json %j failing: one JSON document with error, exitCode, liveWeights", async (...args) => {
    ep.faults.deny = ["DescribeTargetHealth", "DescribeTags"];
    const r = await cli([...args, "--json", ...envArgs()]);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ command: args[0], exitCode: 3, error: expect.stringContaining("access denied") });
    expect(doc).toHaveProperty("liveWeights");
    expect(r.stdout).not.toMatch(LIES);
  });

  test("--json with a missing required option: exit 2 and the one failure document, nothing sent", async () => {
    const r = await cli(["shift", "--json", ...envArgs()]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ command: "shift", error: "required option '--to <colour>' not specified", exitCode: 2, liveWeights: null });
    expect(ep.calls).toEqual([]);
  });

  test("a rule at 0/0 serves nothing: live: none, idle exits 1", async () => {
    setWeights(ep.state, 0, 0);
    const s = await cli(["status", ...envArgs()]);
    expect(s.stdout).toContain("live:          none");
    const i = await cli(["idle", ...envArgs()]);
    expect(i.code).toBe(1);
    expect(i.stdout).toBe("");
    expect(i.stderr).toContain("both weights are 0");
  });

  test("status with a record that lacks who and when never prints undefined", async () => {
    tags()["ecs-shift:previous"] = "blue=0,green=100";
    const r = await cli(["status", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(LIES);
  });
});

describe("9 (speed). alarm-driven rollback", () => {
  test("the poll that sees ALARM is followed by the restore's write, with no further poll in between", async () => {
    ep.faults.onCall = (action, state, calls) => {
      if (action === "DescribeAlarms" && countAfter(calls, "ModifyRule", "DescribeAlarms") === 2) state.alarms["webapp-dev-green-target-5xx"] = "ALARM";
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", "--bake", "30s", "--poll", "300ms", ...envArgs()]);
    expect(r.code).toBe(4);
    const flip = ep.calls.indexOf("DescribeAlarms", ep.calls.indexOf("DescribeAlarms", ep.calls.indexOf("ModifyRule") + 1) + 1);
    const restoreWrite = ep.calls.indexOf("ModifyRule", flip);
    expect(restoreWrite).toBeGreaterThan(flip);
    expect(ep.calls.slice(flip + 1, restoreWrite)).not.toContain("DescribeAlarms");
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
  });

  test("the default poll is 5s", async () => {
    const r = await cli(["shift", "--help"]);
    expect(r.stdout).toMatch(/--poll <duration>[^-]*\(default: "5s"\)/);
  });
});
