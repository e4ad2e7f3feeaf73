/**
 * The release helpers end to end: `smoke` through the test listener (a local HTTP app that serves
 * whichever colour the endpoint's test listener forwards to), `shift --smoke`, `idle`, and
 * `set-image-tag` on a copy of the real config files. Built CLI, real SDK, local endpoint.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARNS, AwsEndpoint, deployedOutputs, deployedState, type Obj } from "../support/aws-endpoint";
import { assertBuilt, cli, events } from "../support/ecs-shift";
import { TestListenerApp } from "../support/test-listener-app";

const ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLE = path.join(ROOT, "examples", "smoke.yaml");
const TAG = "4b1d9e0";
const SMOKE_ENV = { IMAGE_TAG: TAG, SMOKE_TOKEN: "t0ken" };

let ep: AwsEndpoint;
let app: TestListenerApp;
let dir: string;
let outputsFile: string;

beforeAll(() => {
  assertBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-"));
  outputsFile = path.join(dir, "outputs.json");
  fs.writeFileSync(outputsFile, JSON.stringify(deployedOutputs()));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  ep = new AwsEndpoint(deployedState());
  await ep.start();
  // blue runs the old release, green (idle, behind the test listener) the new one
  app = new TestListenerApp(ep, { blue: { version: "3f9c2a1" }, green: { version: TAG } });
  await app.start();
});
afterEach(async () => {
  await app.stop();
  await ep.stop();
});

const envArgs = (file = outputsFile) => ["--env", "dev", "--outputs-file", file, "--endpoint-url", ep.url];
const ruleWeights = () => {
  const tgs = (ep.state.rules[ARNS.rule].actions[0].ForwardConfig as Obj).TargetGroups as Obj[];
  return Object.fromEntries(tgs.map((g) => [g.TargetGroupArn === ARNS.blue ? "blue" : "green", g.Weight]));
};

describe("smoke", () => {
  test("the shipped example passes against the idle colour, reached through the test listener's own address", async () => {
    // The outputs' DNS name and the test listener's port (from DescribeListeners) give the URL.
    const o = deployedOutputs();
    o.dev.load_balancer_dns_name = "127.0.0.1";
    const file = path.join(dir, "outputs-local-dns.json");
    fs.writeFileSync(file, JSON.stringify(o));
    ep.state.listeners[ARNS.testListener].port = Number(new URL(app.url).port);
    const r = await cli(["smoke", "--spec", EXAMPLE, ...envArgs(file)], { env: SMOKE_ENV });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`smoke: 3/3 passed via ${app.url} (test listener -> green)`);
    expect(r.stdout).toMatch(/smoke PASS create an order: POST \/api\/orders -> 201 in \d+ ms/);
    expect(app.requests).toEqual(["green GET /health", "green GET /version", "green POST /api/orders"]);
    expect(ep.writes()).toBe(0);
  });

  test("a broken release fails: exit 1, every failing request and why", async () => {
    app.apps.green.broken = true;
    const r = await cli(["smoke", "--spec", EXAMPLE, "--base-url", app.url, ...envArgs()], { env: SMOKE_ENV });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('smoke FAIL health: GET /health -> 500');
    expect(r.stdout).toContain('status 500, expected 200; body.status "error", expected "ok"');
    expect(r.stdout).toContain("smoke PASS runs the release");
    expect(r.stdout).toContain('smoke FAIL create an order: POST /api/orders -> 500');
    expect(r.stderr).toContain(`smoke test failed: 2 of 3 requests via ${app.url}`);
  });

  test("the wrong version behind the test listener fails the version check", async () => {
    const r = await cli(["smoke", "--spec", EXAMPLE, "--base-url", app.url, "--json"], { env: { ...SMOKE_ENV, IMAGE_TAG: "0000000" } });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ command: "smoke", ok: false, passed: 2, failed: 1 });
    expect(doc.results[1]).toMatchObject({ name: "runs the release", ok: false, failures: [`body.version "${TAG}", expected "0000000"`] });
  });

  test("a latency bound is enforced", async () => {
    const spec = path.join(dir, "latency.yaml");
    fs.writeFileSync(spec, "requests:\n  - path: /health\n    expect:\n      max_latency: 200ms\n");
    app.apps.green.delayMs = 400;
    const r = await cli(["smoke", "--spec", spec, "--base-url", app.url, "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).results[0].failures).toEqual([expect.stringMatching(/^took \d+ ms, more than the 200 ms allowed$/)]);
    app.apps.green.delayMs = 0;
    expect((await cli(["smoke", "--spec", spec, "--base-url", app.url])).code).toBe(0);
  });

  test("a spec problem is exit 2 naming file:line and key; nothing is sent", async () => {
    const spec = path.join(dir, "bad.yaml");
    fs.writeFileSync(spec, "requests:\n  - path: /health\n    expect:\n      staus: 200\n");
    const r = await cli(["smoke", "--spec", spec, "--base-url", app.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${spec}:4: requests[0].expect.staus: unknown key; allowed here: status, body, body_contains, headers, max_latency`);
    expect(app.requests).toEqual([]);
  });
});

describe("shift --smoke", () => {
  test("a failing smoke test: no production weight moves, exit 1", async () => {
    app.apps.green.broken = true;
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", "--bake", "1s", "--poll", "200ms", "--smoke", EXAMPLE, "--base-url", app.url, "--json", ...envArgs()], { env: SMOKE_ENV });
    expect(r.code).toBe(1);
    expect(ep.writes()).toBe(0);
    expect(ep.calls).not.toContain("AddTags");
    expect(ruleWeights()).toEqual({ blue: 100, green: 0 });
    expect(r.stderr).toContain("refused, nothing changed: the smoke test failed (2 of 3 requests");
    const ev = events(r.stdout);
    expect(ev.find((e) => e.event === "smoke")).toMatchObject({ ok: false, failed: 2 });
    expect(ev.pop()).toMatchObject({ event: "end", outcome: "refused", exitCode: 1 });
  });

  test("a passing smoke test runs before any weight moves, then the canary goes ahead", async () => {
    const writesSeenBySmoke: number[] = [];
    const orig = app.colour.bind(app);
    app.colour = () => {
      writesSeenBySmoke.push(ep.writes());
      return orig();
    };
    const r = await cli(["shift", "--to", "green", "--steps", "10,100", "--bake", "1s", "--poll", "200ms", "--smoke", EXAMPLE, "--base-url", app.url, ...envArgs()], { env: SMOKE_ENV });
    expect(r.code).toBe(0);
    expect(writesSeenBySmoke).toEqual([0, 0, 0]);
    expect(ruleWeights()).toEqual({ blue: 0, green: 100 });
    expect(r.stdout).toContain("smoke: 3/3 passed");
  });

  test("refuses when the test listener forwards to the live colour (the smoke test would test the wrong one)", async () => {
    ep.state.listeners[ARNS.testListener].defaultActions = [{ Type: "forward", Order: 1, TargetGroupArn: ARNS.blue }];
    const r = await cli(["shift", "--to", "green", "--smoke", EXAMPLE, "--base-url", app.url, ...envArgs()], { env: SMOKE_ENV });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the test listener ${ARNS.testListener} forwards to blue, not green, so the smoke test would not exercise green`);
    expect(app.requests).toEqual([]);
    expect(ep.writes()).toBe(0);
  });
});

describe("idle", () => {
  test("prints the idle colour for scripts; after a full shift it is the other one", async () => {
    const first = await cli(["idle", ...envArgs()]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("green\n");
    expect((await cli(["shift", "--to", "green", ...envArgs()])).code).toBe(0);
    const after = await cli(["idle", "--json", ...envArgs()]);
    expect(JSON.parse(after.stdout)).toMatchObject({ command: "idle", idle: "blue", live: "green", testListener: "blue" });
    expect(ep.calls.filter((c) => c === "DescribeAlarms")).toHaveLength(1); // idle itself reads no alarms
  });

  test("while traffic is split there is no idle colour: exit 1, nothing on stdout", async () => {
    expect((await cli(["shift", "--to", "green", "--percent", "10", ...envArgs()])).code).toBe(0);
    const r = await cli(["idle", ...envArgs()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no colour is idle: traffic is split (blue 90 / green 10)");
  });
});

describe("set-image-tag", () => {
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(dir, "repo-"));
    fs.mkdirSync(path.join(work, "config"));
    for (const f of ["dev.tfvars", "backend-dev.hcl", "prod.tfvars"]) fs.copyFileSync(path.join(ROOT, "config", f), path.join(work, "config", f));
  });
  const tfvars = () => fs.readFileSync(path.join(work, "config", "dev.tfvars"), "utf8");
  const original = () => fs.readFileSync(path.join(ROOT, "config", "dev.tfvars"), "utf8");

  test("writes the tag into the idle colour's entry (asked from the load balancer), changing nothing else", async () => {
    const r = await cli(["set-image-tag", "--tag", TAG, ...envArgs()], { cwd: work });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(tfvars()).toBe(original().replace('  green = "3f9c2a1"', `  green = "${TAG}"`));
    expect(r.stdout).toMatch(new RegExp(`^config/dev.tfvars:\\d+: image_tags.green set "${TAG}" \\(was "3f9c2a1"\\); colour from the load balancer`));
    expect(fs.readdirSync(path.join(work, "config")).sort()).toEqual(["backend-dev.hcl", "dev.tfvars", "prod.tfvars"]);
  });

  test("after a shift to green the idle colour is blue, and blue's entry changes", async () => {
    expect((await cli(["shift", "--to", "green", ...envArgs()])).code).toBe(0);
    const r = await cli(["set-image-tag", "--tag", TAG, "--json", ...envArgs()], { cwd: work });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ colour: "blue", before: "3f9c2a1", after: TAG, changed: true });
    expect(tfvars()).toBe(original().replace('  blue  = "3f9c2a1"', `  blue  = "${TAG}"`));
  });

  test("--colour needs no load balancer; --tfvars picks the file", async () => {
    const prod = path.join(work, "config", "prod.tfvars");
    const before = fs.readFileSync(prod, "utf8");
    const r = await cli(["set-image-tag", "--tag", "v2.0.1", "--colour", "blue", "--tfvars", prod]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(prod, "utf8")).toBe(before.replace('  blue  = "3f9c2a1"', '  blue  = "v2.0.1"'));
    expect(ep.calls).toEqual([]);
  });

  test("an invalid tag: exit 2, the schema's rule quoted, the file untouched", async () => {
    const r = await cli(["set-image-tag", "--tag", ".hidden", "--colour", "green", "--env", "dev"], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--tag ".hidden": not a valid image tag for config/dev.tfvars image_tags.green: a Docker tag');
    expect(tfvars()).toBe(original());
  });

  test("while traffic is split it refuses to guess the colour: exit 1, file untouched", async () => {
    expect((await cli(["shift", "--to", "green", "--percent", "50", ...envArgs()])).code).toBe(0);
    const r = await cli(["set-image-tag", "--tag", TAG, ...envArgs()], { cwd: work });
    expect(r.code).toBe(1);
    expect(tfvars()).toBe(original());
  });
});
