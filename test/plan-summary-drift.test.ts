/**
 * The plan summary's drift section on REAL plans: Terraform 1.11 and the AWS provider 5.100.0
 * applied a small config (IAM role + inline policy, security group + separate rules, target
 * groups + ALB + weighted listener, route table + separate route, SNS topic + separate topic
 * policy) to moto, then planned (test/fixtures/plans/README.md says how to record them again):
 *
 * - moto-post-apply.json: right after the apply. The refresh fills computed attributes
 *   (inline_policy, load_balancer_arns, ingress/egress, route, the topic's policy, tags null → {})
 *   and Terraform plans nothing: none of it is drift the plan reverts.
 * - moto-shifted.json: after the listener's weights were moved out of band with boto3, as
 *   ecs-shift does. Terraform plans to put the weights back: that, and only that, is reverted
 *   drift, and its owner is ecs-shift.
 * - moto-route-deleted.json: then the default route was also deleted out of band: Terraform
 *   plans to create it again, which is reverted drift too.
 *
 * And the dev and state stacks themselves, applied to moto by `npm run local -- up` (issue 14,
 * part A) and planned with refresh: dev-post-apply.json (right after the apply),
 * dev-post-shift.json (after ecs-shift shift, progressive shift and revert moved the real rule),
 * state-post-apply.json, and dev-release.json (the rehearsal's release: set-image-tag on blue).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { driftReport, ignoredChangesOf, planSummary, type PlanJson } from "../lib/plan/summary";
import { configOf, synthStack } from "./support/stacks";

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "plans", name), "utf8")) as PlanJson;
const postApply = fixture("moto-post-apply.json");
const shifted = fixture("moto-shifted.json");
const routeDeleted = fixture("moto-route-deleted.json");

const planned = (plan: PlanJson) => (plan.resource_changes ?? []).filter((rc) => !rc.change.actions.every((a) => a === "no-op")).map((rc) => `${rc.change.actions.join("/")} ${rc.address}`);
const driftAddresses = (plan: PlanJson) => (plan.resource_drift ?? []).map((rc) => rc.address).sort();

/** The folded "refreshed, no action" block of a summary, or "" when there is none. */
function refreshedBlock(md: string): string {
  const m = /<details><summary>Refreshed, no action[^\n]*<\/summary>\n[\s\S]*?<\/details>/.exec(md);
  return m ? m[0] : "";
}

/** The warning block (consecutive `>` lines) that lists changes made outside Terraform which the plan puts back. */
function revertedBlock(md: string): string {
  const start = md.indexOf("> This plan puts back");
  if (start < 0) return "";
  const from = md.lastIndexOf("> [!WARNING]", start);
  const end = md.indexOf("\n\n", start);
  return md.slice(from, end < 0 ? undefined : end);
}

describe("the plan right after an apply to moto: the refresh filled computed attributes, nothing is planned", () => {
  test("what Terraform itself says: drift on many resources, yet no change planned", () => {
    expect(planned(postApply)).toEqual([]);
    // The kinds the issue names all report refresh-only drift.
    expect(driftAddresses(postApply)).toEqual(
      expect.arrayContaining(["aws_iam_role.task", "aws_lb_target_group.blue", "aws_lb_target_group.green", "aws_route_table.public", "aws_security_group.alb", "aws_sns_topic.alarms"]),
    );
  });

  test("no drift is reported as reverted: all of it is refreshed, no action", () => {
    const report = driftReport(postApply);
    expect(report.reverted).toEqual([]);
    expect(report.ignored).toEqual([]);
    expect([...new Set(report.refreshed.map((d) => d.address))].sort()).toEqual(driftAddresses(postApply));
    // The computed attributes the issue saw listed as "put back".
    const attrs = report.refreshed.map((d) => `${d.address} ${d.attribute}`);
    expect(attrs).toEqual(
      expect.arrayContaining([
        "aws_iam_role.task inline_policy",
        "aws_lb_target_group.blue load_balancer_arns",
        "aws_security_group.alb ingress",
        "aws_security_group.alb egress",
        "aws_route_table.public route",
        "aws_sns_topic.alarms policy",
        "aws_subnet.a tags",
      ]),
    );
  });

  test("the summary: no changes, no warning, the refresh folded with a count", () => {
    const md = planSummary([{ name: "dev", plan: postApply }]);
    expect(md).toContain("**No changes.**");
    expect(md).not.toContain("[!WARNING]");
    expect(md).not.toContain("puts it back");
    expect(md).not.toMatch(/^:warning:/m);
    const folded = refreshedBlock(md);
    expect(folded).toContain(`<details><summary>Refreshed, no action: ${driftAddresses(postApply).length} resource(s)`);
    for (const address of driftAddresses(postApply)) expect(folded).toContain(`\`${address}\``);
    // Nothing about drift outside the folded block.
    expect(md.replace(folded, "")).not.toMatch(/aws_(iam_role|subnet|security_group|route_table|sns_topic|lb)\./);
  });
});

describe("the plan after the listener's weights were moved out of band: Terraform puts them back", () => {
  const listener = "aws_lb_listener.http";

  test("what Terraform itself says: one update, of the listener", () => {
    expect(planned(shifted)).toEqual([`update ${listener}`]);
  });

  test("exactly the reverted attribute, with its owner: the listener's weights, owned by ecs-shift", () => {
    const report = driftReport(shifted);
    expect(report.reverted).toEqual([
      {
        address: listener,
        type: "aws_lb_listener",
        attribute: "default_action",
        owner: "ecs-shift",
        changes: [
          { path: "default_action[0].forward[0].target_group[0].weight", before: "100", after: "0" },
          { path: "default_action[0].forward[0].target_group[1].weight", before: "0", after: "100" },
        ],
      },
    ]);
    // moto also renumbered the action's order on ModifyListener; the plan leaves that alone, so it is refresh-only.
    expect(report.refreshed).toEqual(expect.arrayContaining([expect.objectContaining({ address: listener, attribute: "default_action", changes: [{ path: "default_action[0].order", before: "1", after: "0" }] })]));
    // Everything else is what the post-apply plan showed: refreshed, no action.
    expect([...new Set(report.refreshed.map((d) => d.address))].sort()).toEqual(driftAddresses(shifted));
  });

  test("the summary puts it under a warning with its owner, and folds the rest", () => {
    const md = planSummary([{ name: "dev", plan: shifted }]);
    expect(md).toContain("**0 to add, 1 to change, 0 to destroy, 0 to replace**");
    expect(md).toMatch(/^:warning: \*\*1 change made outside Terraform put back\*\* in `dev`/m);
    const warning = revertedBlock(md);
    expect(warning).toMatch(/^> \[!WARNING\]\n> This plan puts back 1 change made outside Terraform/);
    const lines = warning.split("\n").filter((l) => l.startsWith("> - "));
    expect(lines).toEqual([
      `> - \`${listener}\` \`default_action\`, owned by ecs-shift: default_action[0].forward[0].target_group[0].weight 100 → 0, default_action[0].forward[0].target_group[1].weight 0 → 100; this plan puts it back.`,
    ]);
    // Before the table of changes, so it is read first.
    expect(md.indexOf("> This plan puts back")).toBeLessThan(md.indexOf("| | resource |"));
    const folded = refreshedBlock(md);
    expect(folded).toContain(`<details><summary>Refreshed, no action: ${driftAddresses(shifted).length} resource(s)`);
    expect(md.match(/puts it back/g)).toHaveLength(1);
  });
});

describe("the plan after the default route was also deleted out of band: Terraform creates it again", () => {
  test("what Terraform itself says: the route is drift deleted, and created again", () => {
    expect(planned(routeDeleted)).toEqual(["update aws_lb_listener.http", "create aws_route.default"]);
    expect((routeDeleted.resource_drift ?? []).find((d) => d.address === "aws_route.default")?.change.actions).toEqual(["delete"]);
  });

  test("the deleted route and the weights are put back; the rest is refresh only", () => {
    const report = driftReport(routeDeleted);
    expect(report.reverted.map((d) => `${d.address} ${d.attribute}${d.deleted ? " (deleted)" : ""}`)).toEqual(["aws_lb_listener.http default_action", "aws_route.default * (deleted)"]);
    // The table's inline `route` reads empty again, as in the state of the apply: its only drift is tags null → {}.
    expect(report.refreshed.filter((d) => d.address === "aws_route_table.public").map((d) => d.attribute)).toEqual(["tags"]);

    const md = planSummary([{ name: "dev", plan: routeDeleted }]);
    expect(md).toMatch(/^:warning: \*\*2 changes made outside Terraform put back\*\* in `dev`/m);
    const warning = revertedBlock(md);
    expect(warning).toMatch(/^> \[!WARNING\]\n> This plan puts back 2 changes made outside Terraform\. Applying undoes each/);
    expect(warning.split("\n").filter((l) => l.startsWith("> - "))).toEqual([
      expect.stringMatching(/^> - `aws_lb_listener\.http` `default_action`, owned by ecs-shift: .*; this plan puts it back\.$/),
      "> - `aws_route.default`: deleted outside Terraform; this plan creates it again.",
    ]);
  });
});

describe("the dev stack applied to moto, planned with refresh", () => {
  const devPostApply = fixture("dev-post-apply.json");
  const devPostShift = fixture("dev-post-shift.json");
  const statePostApply = fixture("state-post-apply.json");
  const asg = "aws_autoscaling_group.capacity_asg_B1D54CFC";
  const rule = "aws_lb_listener_rule.alb_weighted_143F6566";
  const testListener = "aws_lb_listener.alb_test_125B1153";
  let ignoredChanges: Record<string, string[]>;

  beforeAll(async () => {
    ignoredChanges = ignoredChangesOf(JSON.parse(synthStack(await configOf("dev"))));
  }, 120_000);

  test("what Terraform itself says after the apply: 44 resources drifted, one update planned (the ASG's warmup, a moto gap)", () => {
    expect(driftAddresses(devPostApply)).toHaveLength(44);
    expect(planned(devPostApply)).toEqual([`update ${asg}`]);
    expect(driftAddresses(devPostApply)).toContain(asg);
  });

  test("post-apply: the drift section is empty; the refresh, the ASG's included, is folded as no action", () => {
    const report = driftReport(devPostApply, ignoredChanges);
    expect(report.reverted).toEqual([]);
    expect(report.ignored).toEqual([]);
    expect([...new Set(report.refreshed.map((d) => d.address))].sort()).toEqual(driftAddresses(devPostApply));
    // The ASG has drift and a planned update, but the update is of other attributes.
    expect(report.refreshed.filter((d) => d.address === asg).map((d) => d.attribute)).toEqual(["enabled_metrics", "instance_refresh", "suspended_processes", "termination_policies"]);

    const md = planSummary([{ name: "dev", plan: devPostApply, ignoredChanges }]);
    expect(md).not.toContain("[!WARNING]");
    expect(md).not.toContain("puts it back");
    expect(md).not.toContain("Changed outside Terraform");
    expect(md).not.toMatch(/^:warning:/m);
    expect(refreshedBlock(md)).toContain("<details><summary>Refreshed, no action: 44 resource(s)");
  });

  test("post-shift: the weights and the test listener moved by ecs-shift are its own, ignored by Terraform; nothing is put back", () => {
    expect(planned(devPostShift)).toEqual([`update ${asg}`]);
    const report = driftReport(devPostShift, ignoredChanges);
    expect(report.reverted).toEqual([]);
    expect(report.ignored.map((d) => `${d.address} ${d.attribute}: ${d.owner}`)).toEqual([
      `${rule} action: ecs-shift`,
      `${rule} tags: ecs-shift (its record of the last shift)`,
      `${rule} tags_all: ecs-shift (its record of the last shift)`,
      `${testListener} default_action: ecs-shift`,
    ]);

    const md = planSummary([{ name: "dev", plan: devPostShift, ignoredChanges }]);
    expect(md).not.toContain("[!WARNING]");
    expect(md).not.toContain("puts it back");
    expect(md).toMatch(new RegExp(`^- \`${rule}\` \`action\`: owned by ecs-shift, ignored by Terraform \\(action\\[0\\]\\.forward\\[0\\]\\.target_group\\[0\\]\\.weight \\d+ → \\d+`, "m"));
    expect(md).toMatch(new RegExp(`^- \`${testListener}\` \`default_action\`: owned by ecs-shift, ignored by Terraform \\(default_action\\[0\\]\\.target_group_arn `, "m"));
    // 45 drifted: all but the rule have refresh-only attributes too (the test listener its tags).
    expect(driftAddresses(devPostShift)).toHaveLength(45);
    expect(refreshedBlock(md)).toContain("<details><summary>Refreshed, no action: 44 resource(s)");
    expect(refreshedBlock(md)).not.toContain(rule);
  });

  test("a release (the rehearsal's set-image-tag on blue): only blue's task definition and service change, and no drift is put back", () => {
    const release = fixture("dev-release.json");
    expect(planned(release).sort()).toEqual(["delete/create aws_ecs_task_definition.service-blue_task-definition_4E1BB7D7", "update aws_ecs_service.service-blue_service_C9E9802C"]);
    expect(driftAddresses(release)).toHaveLength(45);
    const report = driftReport(release, ignoredChanges);
    expect(report.reverted).toEqual([]);
    expect(report.ignored.map((d) => `${d.address} ${d.attribute}`)).toEqual([`${rule} action`, `${rule} tags`, `${rule} tags_all`, `${testListener} default_action`]);

    const md = planSummary([{ name: "dev", plan: release, ignoredChanges }]);
    expect(md).toContain("**0 to add, 1 to change, 0 to destroy, 1 to replace**");
    expect(md).not.toContain("puts it back");
    expect(md).not.toContain("This plan puts back");
    expect(md).not.toMatch(/changes? made outside Terraform put back/);
    expect(refreshedBlock(md)).toContain("<details><summary>Refreshed, no action: 44 resource(s)");
  });

  test("the state stack after its apply: no changes and nothing put back", () => {
    expect(planned(statePostApply)).toEqual([]);
    expect(driftReport(statePostApply).reverted).toEqual([]);
    const md = planSummary([{ name: "state", plan: statePostApply }]);
    expect(md).toContain("**No changes.**");
    expect(md).not.toContain("puts it back");
    expect(refreshedBlock(md)).toContain("<details><summary>Refreshed, no action: 1 resource(s)");
  });
});

describe("driftReport on its own", () => {
  const sg = (ingress: Array<{ cidr: string; port: number }>) => ({ id: "sg-1", ingress: ingress.map((r) => ({ cidr_blocks: [r.cidr], from_port: r.port, to_port: r.port })) });
  const plan = (drift: { before: unknown; after: unknown }, next: { actions: string[]; before: unknown; after: unknown }): PlanJson => ({
    format_version: "1.2",
    resource_drift: [{ address: "aws_security_group.alb", mode: "managed", type: "aws_security_group", change: { actions: ["update"], ...drift } }],
    resource_changes: [{ address: "aws_security_group.alb", mode: "managed", type: "aws_security_group", change: { after_unknown: {}, ...next } }],
  });

  test("when the plan changes an attribute at none of its drifted paths (set elements at other indexes), all of that drift counts as put back", () => {
    // Someone opened the 443 rule to the world. The plan rewrites the attribute, but its changed
    // paths do not line up with the drifted one, as when a set's elements sort differently.
    const configured = sg([{ cidr: "10.0.0.0/8", port: 80 }, { cidr: "10.0.0.0/8", port: 443 }]);
    const read = sg([{ cidr: "10.0.0.0/8", port: 80 }, { cidr: "0.0.0.0/0", port: 443 }]);
    const next = sg([{ cidr: "10.0.0.0/8", port: 8080 }, { cidr: "0.0.0.0/0", port: 443 }]);
    const report = driftReport(plan({ before: configured, after: read }, { actions: ["update"], before: read, after: next }));
    expect(report.reverted).toEqual([
      { address: "aws_security_group.alb", type: "aws_security_group", attribute: "ingress", owner: undefined, changes: [{ path: "ingress[1].cidr_blocks", before: '["10.0.0.0/8"]', after: '["0.0.0.0/0"]' }] },
    ]);
    expect(report.refreshed).toEqual([]);
  });

  test("drift in an attribute the plan leaves alone is refresh only, even when the resource has a planned update", () => {
    const p = plan(
      { before: { id: "sg-1", description: "a", tags: null }, after: { id: "sg-1", description: "a", tags: {} } },
      { actions: ["update"], before: { id: "sg-1", description: "a", tags: {} }, after: { id: "sg-1", description: "b", tags: {} } },
    );
    const report = driftReport(p);
    expect(report.reverted).toEqual([]);
    expect(report.refreshed).toEqual([{ address: "aws_security_group.alb", type: "aws_security_group", attribute: "tags", owner: undefined, changes: [{ path: "tags", before: "null", after: "{}" }] }]);
  });

  test("a resource deleted outside Terraform and removed from the configuration too is not put back", () => {
    const p: PlanJson = {
      format_version: "1.2",
      resource_drift: [{ address: "aws_sns_topic.old", mode: "managed", type: "aws_sns_topic", change: { actions: ["delete"], before: { name: "old" }, after: null } }],
      resource_changes: [],
    };
    const report = driftReport(p);
    expect(report.reverted).toEqual([]);
    expect(report.refreshed).toEqual([expect.objectContaining({ address: "aws_sns_topic.old", deleted: true })]);
    expect(planSummary([{ name: "dev", plan: p }])).toContain("- `aws_sns_topic.old`: deleted outside Terraform, and this plan does not create it");
  });

  test("an attribute Terraform ignores is its owner's, even if the plan were to touch the resource", () => {
    const p = plan(
      { before: { id: "sg-1", description: "a" }, after: { id: "sg-1", description: "x" } },
      { actions: ["update"], before: { id: "sg-1", description: "x" }, after: { id: "sg-1", description: "a" } },
    );
    expect(driftReport(p).reverted).toHaveLength(1);
    const report = driftReport(p, { "aws_security_group.alb": ["description"] });
    expect(report.reverted).toEqual([]);
    expect(report.ignored.map((d) => d.attribute)).toEqual(["description"]);
  });
});
