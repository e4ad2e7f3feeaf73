/**
 * The pull-request plan summary on real plans: Terraform and the AWS provider plan the dev
 * stack offline against a state as if dev had been applied (test/support/fabricated-state.ts),
 * then plan config changes a reviewer must be able to read: a release (only blue's task
 * definition is replaced), a change that replaces both target groups (must be at the top, under
 * a warning), and weights moved by ecs-shift (Terraform must plan nothing).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { attributeChanges, COMMENT_MARKER, ignoredChangesOf, planSummary, type PlanJson, type ResourceChange } from "../lib/plan/summary";
import { loadEnvironmentConfig } from "../lib/config";
import { evaluatePolicy, findingTarget } from "../lib/policy";
import { plan, type OfflinePlan } from "../scripts/offline";
import { fabricateState } from "./support/fabricated-state";
import { configOf, replaceLine, synthStack } from "./support/stacks";
import { prepareOffline } from "./support/terraform";

let dir: string;
let devJson: string;
let baseline: OfflinePlan;
let release: OfflinePlan;
let replacing: OfflinePlan;
let shifted: OfflinePlan;
let releaseJson: string;

/** Plans `stackJson` against the fabricated state in `dir`, leaving the state as it was. */
function planAgainstState(stackJson: string): OfflinePlan {
  fs.writeFileSync(path.join(dir, "cdk.tf.json"), stackJson);
  return plan(dir, { refresh: false });
}

const changesOf = (p: OfflinePlan) => (p.json.resource_changes ?? []).filter((rc) => !rc.change.actions.every((a) => a === "no-op"));
const byType = (p: OfflinePlan, type: string) => changesOf(p).filter((rc) => rc.type === type);
const stateFile = () => path.join(dir, "offline.tfstate");

beforeAll(async () => {
  devJson = synthStack(await configOf("dev"));
  dir = prepareOffline(devJson, "plan-summary");
  baseline = fabricateState(dir).finalPlan;

  releaseJson = synthStack(await configOf("dev", replaceLine(/^\s+blue\s+=\s+"3f9c2a1"$/, '  blue  = "7d41e0b"')));
  release = planAgainstState(releaseJson);
  replacing = planAgainstState(synthStack(await configOf("dev", replaceLine(/^container_port = 8080$/, "container_port = 8081"))));

  // ecs-shift moved all traffic to green and recorded the shift in tags, outside Terraform.
  const original = fs.readFileSync(stateFile(), "utf8");
  const state = JSON.parse(original);
  const rule = state.resources.find((r: { type: string }) => r.type === "aws_lb_listener_rule").instances[0].attributes;
  for (const tg of rule.action[0].forward[0].target_group) tg.weight = tg.weight === 100 ? 0 : 100;
  rule.tags = { ...rule.tags, "ecs-shift:previous": "blue=100,green=0" };
  rule.tags_all = { ...rule.tags_all, "ecs-shift:previous": "blue=100,green=0" };
  fs.writeFileSync(stateFile(), JSON.stringify(state));
  shifted = planAgainstState(devJson);
  fs.writeFileSync(stateFile(), original);
}, 300_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("real offline plans of dev against an applied state", () => {
  test("the applied state plans no change: the summary says so", () => {
    expect(changesOf(baseline)).toEqual([]);
    const md = planSummary([{ name: "dev", plan: baseline.json }]);
    expect(md).toContain("**No changes.**");
    expect(md).not.toContain("[!WARNING]");
  });

  test("a release (new blue image tag) replaces only blue's task definition and updates only blue's service", () => {
    const changed = changesOf(release).map((rc) => `${rc.change.actions.join("/")} ${rc.type}`).sort();
    expect(changed).toEqual(["delete/create aws_ecs_task_definition", "update aws_ecs_service"]);
    expect(changesOf(release).every((rc) => rc.address.includes("blue"))).toBe(true);

    const md = planSummary([{ name: "dev", plan: release.json, ignoredChanges: ignoredChangesOf(JSON.parse(releaseJson)) }]);
    expect(md).toContain("**0 to add, 1 to change, 0 to destroy, 1 to replace**");
    const [td] = byType(release, "aws_ecs_task_definition");
    const [svc] = byType(release, "aws_ecs_service");
    // The replacement is called out with Terraform's own reason, before the table.
    const warning = md.indexOf("> [!WARNING]");
    expect(warning).toBeGreaterThan(-1);
    expect(md).toMatch(new RegExp(`> - \\*\\*replace\\*\\* \`${escape(td.address)}\`: container_definitions cannot change in place`));
    expect(md.indexOf(`| \`-/+\` | \`${td.address}\``)).toBeGreaterThan(warning);
    // The table shows the image moving and the service pointing at the new revision.
    expect(md).toContain("7d41e0b");
    expect(md).toMatch(new RegExp(`\\| \`~\` \\| \`${escape(svc.address)}\` \\| \`task_definition\`: \`"arn:aws:ecs:[^\`]+"\` → \`\\(known after apply\\)\` \\|`));
  });

  test("a change that replaces both target groups puts them first, under a warning, with the attribute that forces it", () => {
    const tgs = byType(replacing, "aws_lb_target_group");
    expect(tgs.map((rc) => rc.change.actions.join("/"))).toEqual(["delete/create", "delete/create"]);
    const md = planSummary([{ name: "dev", plan: replacing.json }]);
    const warning = md.indexOf("> [!WARNING]");
    const table = md.indexOf("| | resource |");
    expect(warning).toBeGreaterThan(-1);
    expect(table).toBeGreaterThan(warning);
    for (const tg of tgs) {
      expect(md).toMatch(new RegExp(`> - \\*\\*replace\\*\\* \`${escape(tg.address)}\`: [^\\n]*port cannot change in place; destroyed before its replacement exists`));
      // Replacements come before in-place updates in the table.
      const row = md.indexOf(`| \`-/+\` | \`${tg.address}\``);
      const firstUpdate = md.indexOf("| `~` |");
      expect(row).toBeGreaterThan(table);
      if (firstUpdate > -1) expect(row).toBeLessThan(firstUpdate);
    }
    expect(md).toMatch(/^:warning: \*\*0 destroy, \d+ replace\*\* across `dev`/m);
  });

  test("weights moved by ecs-shift: Terraform plans no change to the weighted rule, or to anything", () => {
    expect(changesOf(shifted)).toEqual([]);
  });

  test("drift of the weighted rule is shown as owned by ecs-shift and ignored by Terraform", () => {
    // Terraform reports drift only after refreshing from AWS, which an offline plan cannot do:
    // the drift entry is made exactly as Terraform writes one, from the real rule of the state.
    const state = JSON.parse(fs.readFileSync(stateFile(), "utf8"));
    const res = state.resources.find((r: { type: string }) => r.type === "aws_lb_listener_rule");
    const before = res.instances[0].attributes;
    const after = JSON.parse(JSON.stringify(before));
    for (const tg of after.action[0].forward[0].target_group) tg.weight = tg.weight === 100 ? 10 : 90;
    const drift: ResourceChange = { address: `aws_lb_listener_rule.${res.name}`, mode: "managed", type: "aws_lb_listener_rule", change: { actions: ["update"], before, after, before_sensitive: {}, after_sensitive: {} } };
    const withDrift: PlanJson = { ...baseline.json, resource_drift: [drift] };

    const md = planSummary([{ name: "dev", plan: withDrift, ignoredChanges: ignoredChangesOf(JSON.parse(devJson)) }]);
    expect(md).toContain("**No changes.**");
    expect(md).toMatch(new RegExp(`- \`${escape(drift.address)}\` \`action\`: owned by ecs-shift, ignored by Terraform \\(action\\[0\\]\\.forward\\[0\\]\\.target_group\\[\\d\\]\\.weight (100|0) → (10|90)`));
    expect(md).not.toContain("this plan puts it back");
    expect(md).not.toContain("[!WARNING]");
  });

  test("drift of the weighted rule that the plan puts back is a warning, with ecs-shift as its owner", () => {
    // Without ignore_changes Terraform plans the weights back: the plan's update of the rule goes
    // from what the refresh read to the configuration, exactly as Terraform writes one.
    const state = JSON.parse(fs.readFileSync(stateFile(), "utf8"));
    const res = state.resources.find((r: { type: string }) => r.type === "aws_lb_listener_rule");
    const address = `aws_lb_listener_rule.${res.name}`;
    const configured = res.instances[0].attributes;
    const read = JSON.parse(JSON.stringify(configured));
    for (const tg of read.action[0].forward[0].target_group) tg.weight = tg.weight === 100 ? 10 : 90;
    const drift: ResourceChange = { address, mode: "managed", type: "aws_lb_listener_rule", change: { actions: ["update"], before: configured, after: read, before_sensitive: {}, after_sensitive: {} } };
    const changes = (baseline.json.resource_changes ?? []).map((rc) =>
      rc.address === address ? { ...rc, change: { ...rc.change, actions: ["update"], before: read, after: configured, after_unknown: {} } } : rc,
    );
    const reverting: PlanJson = { ...baseline.json, resource_drift: [drift], resource_changes: changes };

    const md = planSummary([{ name: "dev", plan: reverting }]);
    expect(md).toContain("**0 to add, 1 to change, 0 to destroy, 0 to replace**");
    expect(md).toMatch(new RegExp(`> - \`${escape(address)}\` \`action\`, owned by ecs-shift: action\\[0\\]\\.forward\\[0\\]\\.target_group\\[\\d\\]\\.weight (100|0) → (10|90)[^\\n]*; this plan puts it back\\.`));
    // The same drift on the baseline plan, where nothing is planned for the rule, is refresh only.
    const unplanned = planSummary([{ name: "dev", plan: { ...baseline.json, resource_drift: [drift] } }]);
    expect(unplanned).not.toContain("this plan puts it back");
    expect(unplanned).toContain("<details><summary>Refreshed, no action: 1 resource(s)");
  });
});

describe("attribute changes", () => {
  test("sensitive values are masked on both sides, unknown ones marked", () => {
    const changes = attributeChanges({
      actions: ["update"],
      before: { name: "/webapp/dev/DATABASE_URL", value: "old-secret", tags: { a: "1" }, version: 1 },
      after: { name: "/webapp/dev/DATABASE_URL", value: "new-secret", tags: { a: "2" } },
      after_unknown: { version: true },
      before_sensitive: { value: true },
      after_sensitive: { value: true },
    });
    expect(changes).toEqual([
      { path: "tags.a", before: '"1"', after: '"2"' },
      { path: "value", before: "(sensitive)", after: "(sensitive)" },
      { path: "version", before: "1", after: "(known after apply)" },
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/secret/);
  });

  test("a sensitive value inside a nested block is masked", () => {
    const changes = attributeChanges({
      actions: ["update"],
      before: { block: [{ password: "hunter2", port: 1 }] },
      after: { block: [{ password: "hunter3", port: 1 }] },
      before_sensitive: { block: [{ password: true }] },
      after_sensitive: { block: [{ password: true }] },
    });
    expect(changes).toEqual([{ path: "block[0].password", before: "(sensitive)", after: "(sensitive)" }]);
  });
});

describe("the command line", () => {
  const CLI = path.resolve(__dirname, "..", "dist", "lib", "plan", "cli.js");
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr })),
    );
  const tmp = (name: string, content: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  test("one comment for several environments, marked so a workflow can update it", async () => {
    const r = await run([`dev=${tmp("release.json", JSON.stringify(release.json))}`, `prod=${tmp("none.json", JSON.stringify(baseline.json))}`, "--title", "Plan for #12"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout.startsWith(`${COMMENT_MARKER}\n## Plan for #12\n`)).toBe(true);
    expect(r.stdout.indexOf("### `dev`")).toBeLessThan(r.stdout.indexOf("### `prod`"));
    expect(r.stdout).toContain("1 to replace");
  });

  test("with --stacks and --config: the stack's policy exceptions with their reasons, and stale ones called out", async () => {
    const stacks = path.join(dir, "stacks");
    fs.mkdirSync(path.join(stacks, "dev"), { recursive: true });
    fs.writeFileSync(path.join(stacks, "dev", "cdk.tf.json"), devJson);
    const config = path.join(dir, "config");
    fs.mkdirSync(config, { recursive: true });
    for (const f of fs.readdirSync("config")) fs.copyFileSync(path.join("config", f), path.join(config, f));
    const devTfvars = path.join(config, "dev.tfvars");
    // An exception whose resource pattern no longer matches anything.
    fs.writeFileSync(devTfvars, fs.readFileSync(devTfvars, "utf8").replace(/^policy_exceptions = \{$/m, 'policy_exceptions = {\n  "ECR-IMMUTABLE-TAGS" = {\n    reason    = "left over from a removed repository"\n    resources = ["aws_ecr_repository.gone_*"]\n  }'));
    const expected = evaluatePolicy("dev", JSON.parse(devJson), (await loadEnvironmentConfig(devTfvars)).policyExceptions);
    expect(expected.excepted.length).toBeGreaterThan(0);

    const r = await run([`dev=${tmp("none.json", JSON.stringify(baseline.json))}`, "--stacks", stacks, "--config", config]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain(`<details><summary>Policy exceptions (${expected.excepted.length})</summary>`);
    for (const f of expected.excepted) expect(r.stdout).toContain(`| \`${f.rule}\` | \`${findingTarget(f)}\` | ${f.reason.replace(/\|/g, "\\|")} |`);
    expect(r.stdout).toMatch(/> Policy exceptions in config that match nothing any more \(delete them\):\n> - `ECR-IMMUTABLE-TAGS`: left over from a removed repository/);
  });

  test("--config without --stacks is refused", async () => {
    const r = await run([`dev=${tmp("c.json", JSON.stringify(baseline.json))}`, "--config", "config"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--config needs --stacks/);
  });

  test.each<[string, () => string[], RegExp]>([
    ["no plan", () => [], /name at least one plan as <env>=/],
    ["no = in the argument", () => ["dev.json"], /"dev\.json" is not <env>=<file>/],
    ["a missing file", () => ["dev=/nonexistent/plan.json"], /plan of dev: \/nonexistent\/plan\.json cannot be read \(ENOENT\)/],
    ["the binary plan file instead of its JSON", () => [`dev=${tmp("plan.bin", "PK\u0003\u0004binary")}`], /is not JSON .*terraform show -json/],
    ["JSON that is no plan", () => [`dev=${tmp("other.json", '{"a":1}')}`], /has no format_version; give the output of `terraform show -json <planfile>`/],
    ["an environment twice", () => [`dev=${tmp("a.json", JSON.stringify(baseline.json))}`, `dev=${tmp("b.json", JSON.stringify(baseline.json))}`], /environment dev is given twice/],
  ])("fails with exit 2 on %s", async (_, args, message) => {
    const r = await run(args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
