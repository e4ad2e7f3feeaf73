import {
  decodeSteps,
  decodeWeights,
  encodeSteps,
  encodeWeights,
  journalStatus,
  journalTags,
  leaseDecision,
  leaseTags,
  LEASE_STALE_MS,
  readJournal,
  readLease,
  revertDecision,
  type Journal,
} from "../../lib/traffic/journal";

const NOW = Date.parse("2026-12-06T03:00:00.000Z");
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const journal = (over: Partial<Journal> = {}): Journal => ({
  id: "20261206T025900Z-abc123",
  state: "in-progress",
  previous: { blue: 100, green: 0 },
  previousTest: "green",
  steps: [
    { blue: 90, green: 10 },
    { blue: 0, green: 100 },
  ],
  step: 1,
  by: "alice@laptop",
  at: iso(60_000),
  ...over,
});
/** AWS's rule for a tag value. */
const VALID = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

describe("journal tags", () => {
  test("round-trip through the rule's tags, every value valid for AWS", () => {
    const j = journal();
    const tags = journalTags(j);
    for (const v of Object.values(tags)) expect(v).toMatch(VALID);
    expect(readJournal(tags)).toEqual({ ...j, updated: j.at });
    for (const v of Object.values(leaseTags({ id: j.id, by: "ann<root>@host, x", heartbeat: iso(0) }))) expect(v).toMatch(VALID);
  });

  test("ten steps fit in one tag value", () => {
    const steps = Array.from({ length: 10 }, (_, i) => ({ blue: 90 - i * 10, green: 10 + i * 10 }));
    expect(encodeSteps(steps)).toMatch(VALID);
    expect(decodeSteps(encodeSteps(steps))).toEqual(steps);
  });

  test("weights are written without a comma; an older record's comma form still reads", () => {
    expect(encodeWeights({ blue: 90, green: 10 })).toBe("blue=90 green=10");
    expect(decodeWeights("blue=90,green=10")).toEqual({ blue: 90, green: 10 });
    expect(decodeWeights("garbage")).toBeUndefined();
  });

  test("a record of an older ecs-shift (only ecs-shift:previous) reads as a done shift", () => {
    expect(readJournal({ "ecs-shift:previous": "blue=0,green=100" })).toMatchObject({ state: "done", previous: { blue: 0, green: 100 }, steps: [], by: "unknown", at: "an unknown time" });
  });
});

describe("leaseDecision", () => {
  const held = (msAgo: number) => leaseTags({ id: "run-a", by: "alice@laptop", heartbeat: iso(msAgo) });

  test("free, released or ours: take it", () => {
    expect(leaseDecision({}, NOW, false)).toEqual({ action: "take" });
    expect(leaseDecision(leaseTags(undefined), NOW, false)).toEqual({ action: "take" });
    expect(leaseDecision(held(1000), NOW, false, "run-a")).toEqual({ action: "take" });
  });

  test("fresh and someone else's: refuse, naming the holder and age, even with --force", () => {
    for (const force of [false, true]) {
      const d = leaseDecision(held(5000), NOW, force);
      expect(d.action).toBe("refuse");
      expect(d.action === "refuse" && d.reason).toMatch(/run run-a by alice@laptop holds the lease .*last heartbeat 5s ago/);
    }
  });

  test("stale: refuse without --force, take over with it", () => {
    expect(leaseDecision(held(LEASE_STALE_MS + 1), NOW, false)).toMatchObject({ action: "refuse", reason: expect.stringContaining("take it over with --force") });
    expect(leaseDecision(held(LEASE_STALE_MS + 1), NOW, true)).toMatchObject({ action: "take-over" });
    expect(readLease({ ...held(0), "ecs-shift:heartbeat": "garbage" })).toMatchObject({ id: "run-a" });
    expect(leaseDecision({ ...held(0), "ecs-shift:heartbeat": "garbage" }, NOW, true)).toMatchObject({ action: "take-over" });
  });
});

describe("revertDecision", () => {
  test("no journal: refuse, exit 2", () => {
    expect(revertDecision(undefined, { blue: 100, green: 0 }, false)).toMatchObject({ action: "refuse", exitCode: 2 });
  });

  test.each(["in-progress", "done"] as const)("%s: back to its own pre-shift weights and test listener", (state) => {
    expect(revertDecision(journal({ state }), { blue: 90, green: 10 }, false)).toEqual({ action: "write", weights: { blue: 100, green: 0 }, test: "green", note: undefined });
  });

  test("in-progress with the pre-shift weights still live (killed before the write): write nothing but mark it", () => {
    expect(revertDecision(journal(), { blue: 100, green: 0 }, false)).toMatchObject({ action: "write", weights: { blue: 100, green: 0 } });
  });

  test.each(["reverted", "restored", "abandoned"] as const)("%s: a no-op that says so", (state) => {
    const d = revertDecision(journal({ state }), { blue: 100, green: 0 }, false);
    expect(d.action).toBe("noop");
    expect(d.action === "noop" && d.reason).toMatch(/already reverted|nothing to revert/);
  });

  test("live weights this shift never wrote: refuse (exit 5) unless --force", () => {
    expect(revertDecision(journal(), { blue: 50, green: 50 }, false)).toMatchObject({ action: "refuse", exitCode: 5 });
    expect(revertDecision(journal(), { blue: 50, green: 50 }, true)).toMatchObject({ action: "write", weights: { blue: 100, green: 0 }, note: expect.stringContaining("--force") });
  });
});

describe("journalStatus", () => {
  const cmd = "ecs-shift revert --env prod";

  test("nothing recorded", () => {
    expect(journalStatus(undefined, undefined, NOW, cmd)).toEqual({ summary: "none recorded", interrupted: false });
  });

  test("in progress with a fresh heartbeat: not interrupted", () => {
    const j = journal();
    const s = journalStatus(j, { id: j.id, by: j.by, heartbeat: iso(3000) }, NOW, cmd);
    expect(s).toMatchObject({ interrupted: false });
    expect(s.summary).toContain("in progress at step 1 of 2 (heartbeat 3s ago)");
  });

  test("in progress with a stale lease: INTERRUPTED, which step, by whom, since when, and the command", () => {
    const j = journal();
    const s = journalStatus(j, { id: j.id, by: j.by, heartbeat: iso(5 * 60_000) }, NOW, cmd);
    expect(s.interrupted).toBe(true);
    expect(s.summary).toMatch(/by alice@laptop at 2026-12-06T02:59:00.000Z.*INTERRUPTED at step 1 of 2: no heartbeat for 5m00s/);
    expect(s.next).toBe(`${cmd} --force`);
  });

  test("in progress, lease released (a failure after the write): INTERRUPTED, plain revert", () => {
    const s = journalStatus(journal(), undefined, NOW, cmd);
    expect(s).toMatchObject({ interrupted: true, next: cmd });
  });

  test("done: how to undo it; never 'undefined'", () => {
    const s = journalStatus(readJournal({ "ecs-shift:previous": "blue=100,green=0" }), undefined, NOW, cmd);
    expect(s.summary).not.toMatch(/undefined|NaN/);
    expect(s.next).toBe(`undo with: ${cmd}`);
  });
});
