import { decide, formatDuration, parseDuration, parseSteps, planSteps, resolveSchedule, STRATEGIES, type Observation } from "../../lib/traffic/schedule";
import { WeightError } from "../../lib/traffic/weights";

describe("parseDuration", () => {
  test.each([
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["2s500ms", 2500],
    ["0", 0],
    [" 15m ", 900_000],
  ])("%p is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(["5", "", "m", "5 m", "1.5m", "-1s", "5x", "m5", "30s5m"])("refuses %p and says what a duration looks like", (text) => {
    expect(() => parseDuration(text, "--bake")).toThrow(WeightError);
    expect(() => parseDuration(text, "--bake")).toThrow(/--bake must be a duration such as 30s, 5m, 1h30m or 500ms/);
  });

  test("refuses more than 24 hours (a typo such as 500m would hold a release for days)", () => {
    expect(parseDuration("24h")).toBe(86_400_000);
    expect(() => parseDuration("25h", "--bake")).toThrow('--bake must be at most 24h, got "25h"');
  });
});

test("formatDuration", () => {
  expect(formatDuration(1700)).toBe("1.7s");
  expect(formatDuration(12_000)).toBe("12s");
  expect(formatDuration(245_000)).toBe("4m05s");
  expect(formatDuration(3_720_000)).toBe("1h02m");
  expect(formatDuration(-5)).toBe("0s");
});

describe("parseSteps", () => {
  test("whole, increasing percents ending at 100", () => {
    expect(parseSteps("10,50,100")).toEqual([10, 50, 100]);
    expect(parseSteps(" 25 , 100 ")).toEqual([25, 100]);
    expect(parseSteps("100")).toEqual([100]);
  });

  test.each([
    ["10,50", /must end at 100, got "10,50"; for a canary that stays partial use --percent N/],
    ["50,10,100", /must increase strictly, got "50,10,100" \(10 after 50\)/],
    ["10,10,100", /must increase strictly/],
    ["0,100", /must each be from 1 to 100/],
    ["10,150", /must each be from 1 to 100/],
    ["10,,100", /whole percents separated by commas/],
    ["10.5,100", /whole percents separated by commas/],
    ["", /whole percents separated by commas/],
  ])("refuses %p", (text, message) => {
    expect(() => parseSteps(text)).toThrow(message);
  });
});

describe("resolveSchedule", () => {
  test("the CodeDeploy presets", () => {
    expect(resolveSchedule({ strategy: "canary10-5m" })).toEqual({ steps: [10, 100], bakeMs: 300_000 });
    expect(resolveSchedule({ strategy: "canary10-15m" })).toEqual({ steps: [10, 100], bakeMs: 900_000 });
    expect(resolveSchedule({ strategy: "linear10-1m" })).toEqual({ steps: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], bakeMs: 60_000 });
    expect(resolveSchedule({ strategy: "linear10-3m" }).bakeMs).toBe(180_000);
    expect(resolveSchedule({ strategy: "all-at-once" })).toEqual({ steps: [100], bakeMs: 0 });
    expect(Object.keys(STRATEGIES)).toEqual(["canary10-5m", "canary10-15m", "linear10-1m", "linear10-3m", "all-at-once"]);
  });

  test("explicit steps and bake", () => {
    expect(resolveSchedule({ steps: "10,50,100", bake: "2s" })).toEqual({ steps: [10, 50, 100], bakeMs: 2000 });
    expect(resolveSchedule({ steps: "100" })).toEqual({ steps: [100], bakeMs: 0 });
  });

  test.each([
    [{ strategy: "canary10-5m", steps: "10,100" }, /--strategy canary10-5m sets the steps and the bake/],
    [{ strategy: "canary10-5m", bake: "1s" }, /drop --steps\/--bake, or drop --strategy/],
    [{ strategy: "canary50-1m" }, /--strategy must be one of canary10-5m, .*all-at-once; got "canary50-1m"/],
    [{ bake: "5m" }, /--bake needs --steps/],
    [{ steps: "10,100" }, /without --bake would move through every step at once/],
  ])("refuses %j", (o, message) => {
    expect(() => resolveSchedule(o)).toThrow(message);
  });
});

describe("planSteps", () => {
  test("from all-blue, each step is the target colour's percent", () => {
    expect(planSteps({ blue: 100, green: 0 }, "green", [10, 50, 100])).toEqual([
      { blue: 90, green: 10 },
      { blue: 50, green: 50 },
      { blue: 0, green: 100 },
    ]);
    expect(planSteps({ blue: 0, green: 100 }, "blue", [10, 100])).toEqual([
      { blue: 10, green: 90 },
      { blue: 100, green: 0 },
    ]);
  });

  test("a canary already running skips the steps it has passed (shares, whatever the weights add up to)", () => {
    expect(planSteps({ blue: 90, green: 10 }, "green", [10, 50, 100])).toEqual([
      { blue: 50, green: 50 },
      { blue: 0, green: 100 },
    ]);
    expect(planSteps({ blue: 3, green: 1 }, "green", [10, 25, 30, 100]).map((w) => w.green)).toEqual([30, 100]);
  });

  test("nothing left to do when the colour already has everything", () => {
    expect(planSteps({ blue: 0, green: 100 }, "green", [10, 100])).toEqual([]);
  });
});

describe("decide", () => {
  const calm: Observation = {
    seen: { blue: 90, green: 10 },
    expected: { blue: 90, green: 10 },
    actionsUnchanged: true,
    alarms: { "green-5xx": "OK", "green-p99": "INSUFFICIENT_DATA" },
    targets: ["healthy", "healthy"],
    remainingMs: 3000,
  };

  test("a calm poll waits, and moves on when the bake is over", () => {
    expect(decide(calm)).toEqual({ action: "wait" });
    expect(decide({ ...calm, remainingMs: 0 })).toEqual({ action: "next" });
  });

  test("another run took over the lease: stop, whatever else the poll saw", () => {
    expect(decide({ ...calm, leaseLost: "run x by bob", interrupted: "SIGINT", alarms: { "green-5xx": "ALARM" } })).toEqual({ action: "stop", reason: "another ecs-shift run took over the lease: run x by bob" });
  });

  test("an alarm that no longer exists restores, naming it: the bake cannot see it", () => {
    expect(decide({ ...calm, missingAlarms: ["green-gone"] })).toEqual({ action: "restore", reason: "alarms not found (a bake that cannot see an alarm is not clean): green-gone" });
    expect(decide({ ...calm, missingAlarms: [] })).toEqual({ action: "wait" });
  });

  test("an alarm in ALARM restores, naming it (INSUFFICIENT_DATA does not)", () => {
    expect(decide({ ...calm, alarms: { "green-5xx": "ALARM", "green-p99": "INSUFFICIENT_DATA" } })).toEqual({ action: "restore", reason: "alarm in ALARM: green-5xx" });
  });

  test("unhealthy targets restore; a registering (initial) or draining target does not", () => {
    expect(decide({ ...calm, targets: ["healthy", "unhealthy"] })).toEqual({ action: "restore", reason: "unhealthy targets: 1/2 healthy (states: healthy, unhealthy)" });
    expect(decide({ ...calm, targets: [] }).action).toBe("restore");
    expect(decide({ ...calm, targets: ["initial"] }).action).toBe("restore"); // none healthy at all
    expect(decide({ ...calm, targets: ["healthy", "initial", "draining"] })).toEqual({ action: "wait" });
  });

  test("someone else's weights stop without restoring, even when an alarm fires too", () => {
    const d = decide({ ...calm, seen: { blue: 50, green: 50 }, alarms: { "green-5xx": "ALARM" }, interrupted: "SIGINT" });
    expect(d).toEqual({ action: "stop", reason: "someone else changed the weights: expected blue=90,green=10, found blue=50,green=50" });
  });

  test("someone else's change to the rule's other fields stops too", () => {
    expect(decide({ ...calm, actionsUnchanged: false })).toEqual({ action: "stop", reason: "someone else changed the rule's action (weights still blue=90,green=10)" });
    expect(decide({ ...calm, seen: undefined }).action).toBe("stop");
  });

  test("an interrupt restores", () => {
    expect(decide({ ...calm, interrupted: "SIGTERM" })).toEqual({ action: "restore", reason: "interrupted by SIGTERM" });
  });

  test("a poll that could not see restores (fail safe, as CodeDeploy does without alarm data)", () => {
    expect(decide({ ...calm, seen: undefined, actionsUnchanged: false, pollError: "reading alarms: Throttling" })).toEqual({
      action: "restore",
      reason: "could not check the bake: reading alarms: Throttling",
    });
  });
});
