/**
 * ecs-shift end to end: the built CLI under `node`, the real AWS SDK talking real HTTP to the
 * local ELBv2/CloudWatch endpoint in test/support. Nothing is mocked at the SDK level; every
 * test asserts on the endpoint's state afterwards.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARNS, AwsEndpoint, deployedOutputs, deployedState, type Obj } from "../support/aws-endpoint";
import { assertBuilt, cli } from "../support/ecs-shift";

let ep: AwsEndpoint;
let outputsFile: string;

beforeAll(() => {
  assertBuilt();
  outputsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "shift-")), "outputs.json");
  fs.writeFileSync(outputsFile, JSON.stringify(deployedOutputs()));
});
beforeEach(async () => {
  ep = new AwsEndpoint(deployedState());
  await ep.start();
});
afterEach(() => ep.stop());

const envArgs = () => ["--env", "dev", "--outputs-file", outputsFile, "--endpoint-url", ep.url];
const ruleWeights = () => {
  const tgs = (ep.state.rules[ARNS.rule].actions[0].ForwardConfig as Obj).TargetGroups as Obj[];
  return Object.fromEntries(tgs.map((g) => [g.TargetGroupArn === ARNS.blue ? "blue" : "green", g.Weight]));
};
const testTarget = () => ep.state.listeners[ARNS.testListener].defaultActions[0].TargetGroupArn;
const setTargets = (arn: string, states: Array<"healthy" | "unhealthy" | "initial">) => {
  ep.state.targetGroups[arn].targets = states.map((state, i) => ({ id: `10.0.0.${i + 1}`, state }));
};

describe("status", () => {
  test("prints the live colour, weights, test listener and health", async () => {
    const r = await cli(["status", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("live:          blue");
    expect(r.stdout).toContain("weights:       blue 100 / green 0");
    expect(r.stdout).toContain("test listener: green");
    expect(r.stdout).toContain("blue 2/2 healthy, green 1/1 healthy");
    expect(ep.writes()).toBe(0);
  });

  test("--json prints exactly one JSON document on stdout", async () => {
    const r = await cli(["status", "--json", ...envArgs()]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ command: "status", live: "blue", weights: { blue: 100, green: 0 }, testListener: "green", health: { green: { healthy: 1, registered: 1 } } });
  });
});

describe("shift", () => {
  test("a full shift moves all traffic, keeps stickiness and conditions, points the test listener at the now idle colour, and records", async () => {
    const conditionsBefore = JSON.stringify(ep.state.rules[ARNS.rule].conditions);
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 0, green: 100 });
    const forward = ep.state.rules[ARNS.rule].actions[0];
    expect(forward).toMatchObject({ Type: "forward", Order: 1, ForwardConfig: { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 } } });
    expect(JSON.stringify(ep.state.rules[ARNS.rule].conditions)).toBe(conditionsBefore);
    expect(testTarget()).toBe(ARNS.blue);
    // A tag value may not hold a comma (AWS: [\p{L}\p{Z}\p{N}_.:/=+\-@]*), so the weights are space-separated.
    expect(ep.state.rules[ARNS.rule].tags).toMatchObject({ "ecs-shift:previous": "blue=100 green=0", "ecs-shift:previous-test": "green", "ecs-shift:by": "jest", "ecs-shift:state": "done" });
    expect(ep.state.rules[ARNS.rule].tags["ecs-shift:at"]).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test("a partial shift gives the colour N% and leaves the test listener alone", async () => {
    const r = await cli(["shift", "--to", "green", "--percent", "10", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 90, green: 10 });
    expect(testTarget()).toBe(ARNS.green);
  });

  test("revert restores the weights and test listener recorded before the last shift", async () => {
    expect((await cli(["shift", "--to", "green", ...envArgs()])).code).toBe(0);
    const r = await cli(["revert", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(testTarget()).toBe(ARNS.green);
    // The journal keeps the shift that was reverted (a second revert must not undo the first).
    const s = JSON.parse((await cli(["status", "--json", ...envArgs()])).stdout);
    expect(s.previous).toMatchObject({ weights: { blue: 100, green: 0 }, testListener: "green" });
    expect(s.journal).toMatchObject({ state: "reverted" });
  });

  test("--dry-run prints what would change and writes nothing", async () => {
    const r = await cli(["shift", "--to", "green", "--dry-run", "--json", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dryRun: true, changed: false, before: { blue: 100, green: 0 }, after: { blue: 0, green: 100 } });
    expect(ep.writes()).toBe(0);
    expect(ep.calls).not.toContain("AddTags");
  });

  test("works on a listener's default action (--listener-arn) with an explicit test listener", async () => {
    const r = await cli(["shift", "--to", "green", "--percent", "50", "--listener-arn", ARNS.listener, "--test-listener-arn", ARNS.testListener, "--endpoint-url", ep.url]);
    expect(r.code).toBe(0);
    const tgs = (ep.state.listeners[ARNS.listener].defaultActions[0].ForwardConfig as Obj).TargetGroups as Obj[];
    expect(tgs.map((g) => g.Weight)).toEqual([50, 50]);
    expect(ep.calls).toContain("ModifyListener");
    expect(ep.calls).not.toContain("ModifyRule");
  });
});

describe("gates: nothing is written when one refuses", () => {
  test("unhealthy targets in the target colour: exit 1", async () => {
    setTargets(ARNS.green, ["healthy", "unhealthy"]);
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("refused, nothing changed: green has 1/2 healthy targets");
    expect(ep.writes()).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
  });

  test("no registered targets: exit 1", async () => {
    setTargets(ARNS.green, []);
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("green has no registered targets");
    expect(ep.writes()).toBe(0);
  });

  test("an alarm of the target colour in ALARM: exit 1", async () => {
    ep.state.alarms["webapp-dev-green-p99-latency"] = "ALARM";
    const r = await cli(["shift", "--to", "green", "--percent", "10", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("green alarms in ALARM: webapp-dev-green-p99-latency");
    expect(ep.writes()).toBe(0);
  });

  test("an extra --alarm gates too", async () => {
    ep.state.alarms["webapp-dev-lb-5xx"] = "ALARM";
    const r = await cli(["shift", "--to", "green", "--alarm", "webapp-dev-lb-5xx", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("webapp-dev-lb-5xx");
  });

  test("--force overrides a failed gate, loudly on stderr", async () => {
    setTargets(ARNS.green, ["unhealthy"]);
    const r = await cli(["shift", "--to", "green", "--force", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("WARNING: --force overrides a failed gate: green has 0/1 healthy targets");
    expect(ruleWeights()).toEqual({ blue: 0, green: 100 });
  });

  test("moving traffic away from a colour does not gate on it", async () => {
    setTargets(ARNS.green, ["unhealthy"]);
    const r = await cli(["shift", "--to", "blue", ...envArgs()]);
    expect(r.code).toBe(0); // nothing to change: blue already has 100
    expect(ep.writes()).toBe(0);
  });
});

describe("verification and faults", () => {
  test("a concurrent edit between read and write: stop without writing, exit 5, live weights named", async () => {
    ep.faults.onCall = (action, state, calls) => {
      // the operator's edit lands after our reads, before our write (when the lease is taken)
      if (action === "AddTags" && calls.filter((c) => c === "AddTags").length === 1) (((state.rules[ARNS.rule].actions[0].ForwardConfig as Obj).TargetGroups as Obj[])[1].Weight = 25);
    };
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("changed since it was read");
    expect(r.stderr).toContain("Live weights: blue=100,green=25");
    expect(ep.calls).not.toContain("ModifyRule");
  });

  test("a lost write is detected by reading back: exit 3 with the live weights", async () => {
    ep.faults.loseNextWrite = true;
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("the write did not take effect as sent");
    expect(r.stderr).toContain("live weights now blue=100,green=0");
    expect(ep.state.rules[ARNS.rule].tags).not.toHaveProperty("ecs-shift:previous");
  });

  test("throttling twice, then success: the SDK's retries carry it", async () => {
    ep.faults.throttle = 2;
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(0);
    expect(ruleWeights()).toEqual({ blue: 0, green: 100 });
    expect(ep.calls.filter((c) => c === "DescribeRules").length).toBeGreaterThanOrEqual(3);
  });

  test("three 500s in a row are retried; a fourth gives up with exit 3 and nothing written", async () => {
    ep.faults.serverErrors = 3;
    expect((await cli(["status", ...envArgs()])).code).toBe(0);
    ep.faults.serverErrorsByAction = { DescribeRules: 4 };
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/reading rule .*InternalFailure/);
    expect(ep.writes()).toBe(0);
  });

  test("an unknown rule: exit 3, one line naming it", async () => {
    const missing = ARNS.rule.replace(/[0-9a-f]{16}$/, "0000000000000000");
    const r = await cli(["shift", "--to", "green", "--rule-arn", missing, "--endpoint-url", ep.url]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`reading rule ${missing}: RuleNotFound`);
  });

  test("a target group that no longer exists: exit 3, nothing written", async () => {
    delete ep.state.targetGroups[ARNS.green];
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("TargetGroupNotFound");
    expect(ep.writes()).toBe(0);
  });

  test("a rule with a third target group is refused: exit 2, nothing written", async () => {
    ((ep.state.rules[ARNS.rule].actions[0].ForwardConfig as Obj).TargetGroups as Obj[]).push({ TargetGroupArn: ARNS.third, Weight: 0 });
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("must forward to exactly the blue and the green target group");
    expect(ep.writes()).toBe(0);
  });

  test("a non-forward action is refused: exit 2, nothing written", async () => {
    ep.state.rules[ARNS.rule].actions = [{ Type: "fixed-response", Order: 1, FixedResponseConfig: { StatusCode: "503", ContentType: "text/plain" } }];
    const r = await cli(["shift", "--to", "green", ...envArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("action is fixed-response, not forward");
    expect(ep.writes()).toBe(0);
  });

  test("missing credentials: exit 3 with what to do", async () => {
    const r = await cli(["status", ...envArgs()], { env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no AWS credentials found");
    expect(ep.calls).toEqual([]);
  });
});

describe("bad input: exit 2, nothing sent", () => {
  test.each([
    [["shift", "--to", "green", "--percent", "150"], /--percent must be a whole number from 0 to 100, got 150/],
    [["shift", "--to", "red"], /--to must be blue or green, got "red"/],
    [["revert"], /nothing to revert/],
  ])("%j", async (args, message) => {
    const r = await cli([...args, ...envArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(ep.writes()).toBe(0);
  });

  test("no load balancer selected", async () => {
    const r = await cli(["status"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("exactly one of --env, --rule-arn or --listener-arn");
  });

  test("--env without synthesized outputs says what to run", async () => {
    const r = await cli(["status", "--env", "nosuchenv", "--endpoint-url", ep.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Run `cdktf synth` (and deploy) first, or pass --outputs-file");
  });

  test("--help documents the exit codes", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1  refused by a gate");
    expect(r.stdout).toContain("3  AWS error or failed verification");
  });
});
