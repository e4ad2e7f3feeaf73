/**
 * Turns `terraform show -json <planfile>` into Markdown for a pull-request comment, one section
 * per environment: counts, destroys and replacements first under a warning, a table of the
 * attributes each changed resource changes (before → after, sensitive values masked), drift
 * sorted by what the plan does about it (see driftReport: put back by this plan, under a
 * warning with its owner; ignored by Terraform because another owner manages it, such as the
 * weighted rule's weights that belong to ecs-shift; or refresh only, folded), and the policy
 * exceptions of the stack.
 *
 * Pure: JSON in, text out. The command line is ./cli.ts.
 */

/** The parts of Terraform's JSON plan format (format_version 1.x) read here. */
export interface PlanJson {
  readonly format_version?: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChange[];
  readonly resource_drift?: readonly ResourceChange[];
  readonly output_changes?: Readonly<Record<string, { readonly actions: readonly string[] }>>;
  readonly errored?: boolean;
}

export interface ResourceChange {
  readonly address: string;
  readonly previous_address?: string;
  readonly mode?: string;
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    readonly after_unknown?: unknown;
    readonly before_sensitive?: unknown;
    readonly after_sensitive?: unknown;
    readonly replace_paths?: ReadonlyArray<ReadonlyArray<string | number>>;
  };
  readonly action_reason?: string;
}

/** A policy exception as the policy pack reports it (lib/policy). */
export interface SummaryPolicyException {
  readonly rule: string;
  readonly address?: string;
  readonly reason: string;
}

export interface EnvironmentPlan {
  /** The environment (stack) name, e.g. `dev`. */
  readonly name: string;
  readonly plan: PlanJson;
  /**
   * Attributes Terraform ignores per resource address (`lifecycle.ignore_changes` of the
   * synthesized stack): drift in them is shown as owned elsewhere. @default - none known
   */
  readonly ignoredChanges?: Readonly<Record<string, readonly string[]>>;
  /** Findings the policy pack excepted, with their reasons. @default - none shown */
  readonly policyExceptions?: readonly SummaryPolicyException[];
  /** Exceptions in config that matched nothing (delete them). @default - none shown */
  readonly unusedPolicyExceptions?: readonly SummaryPolicyException[];
}

export type Action = "create" | "update" | "replace" | "destroy" | "read" | "no-op" | "forget";

export interface Counts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly replace: number;
}

/** Marks the comment, so a workflow can find and update it instead of adding another. */
export const COMMENT_MARKER = "<!-- ecs-bluegreen:plan-summary -->";

/** Who owns an attribute Terraform ignores, for the drift note. */
const OWNERS: ReadonlyArray<[type: string, attribute: string, owner: string]> = [
  ["aws_lb_listener_rule", "action", "ecs-shift"],
  ["aws_lb_listener_rule", "tags", "ecs-shift (its record of the last shift)"],
  ["aws_lb_listener_rule", "tags_all", "ecs-shift (its record of the last shift)"],
  ["aws_lb_listener", "default_action", "ecs-shift"],
  ["aws_ecs_service", "desired_count", "service autoscaling"],
  ["aws_autoscaling_group", "desired_capacity", "the capacity provider's managed scaling"],
];

const MAX_VALUE = 80;
const MAX_ROWS = 60;

export function actionOf(actions: readonly string[]): Action {
  if (actions.includes("create") && actions.includes("delete")) return "replace";
  if (actions.includes("create")) return "create";
  if (actions.includes("delete")) return "destroy";
  if (actions.includes("update")) return "update";
  if (actions.includes("read")) return "read";
  if (actions.includes("forget")) return "forget";
  return "no-op";
}

export function countChanges(plan: PlanJson): Counts {
  const c = { add: 0, change: 0, destroy: 0, replace: 0 };
  for (const rc of managed(plan.resource_changes)) {
    const a = actionOf(rc.change.actions);
    if (a === "create") c.add++;
    else if (a === "update") c.change++;
    else if (a === "destroy") c.destroy++;
    else if (a === "replace") c.replace++;
  }
  return c;
}

function managed(list: readonly ResourceChange[] | undefined): ResourceChange[] {
  return (list ?? []).filter((rc) => (rc.mode ?? "managed") === "managed");
}

/** One changed leaf: its dotted path and the values on both sides, as shown. */
export interface AttributeChange {
  readonly path: string;
  readonly before: string;
  readonly after: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The marker (sensitive / unknown) at `key` of a Terraform marker structure: `true`, or the nested structure. */
function child(marks: unknown, key: string | number): unknown {
  if (marks === true) return true;
  if (Array.isArray(marks)) return typeof key === "number" ? marks[key] : undefined;
  if (isObject(marks)) return marks[String(key)];
  return undefined;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return "null";
  const s = JSON.stringify(v);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

/** A JSON object or array held in a string, parsed; undefined for anything else. */
function jsonDocument(v: unknown): unknown {
  if (typeof v !== "string" || !/^\s*[[{]/.test(v)) return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The leaves that differ between before and after, with sensitive values masked and values
 * known only after apply marked so. Lists of scalars compare as a whole.
 */
export function attributeChanges(change: ResourceChange["change"]): AttributeChange[] {
  const out: AttributeChange[] = [];
  // A replaced resource gets every computed value anew; listing them would bury what changed.
  const replacing = actionOf(change.actions) === "replace";
  const walk = (path: string, before: unknown, after: unknown, unknown: unknown, bSens: unknown, aSens: unknown) => {
    if (unknown === true) {
      if (!replacing) out.push({ path, before: bSens === true ? "(sensitive)" : show(before), after: "(known after apply)" });
      return;
    }
    const sensitive = bSens === true || aSens === true;
    // JSON documents in a string (container definitions, policies): compare what they say.
    const [beforeDoc, afterDoc] = sensitive || before === after ? [undefined, undefined] : [jsonDocument(before), jsonDocument(after)];
    if (beforeDoc !== undefined && afterDoc !== undefined) {
      walk(path, beforeDoc, afterDoc, undefined, undefined, undefined);
      return;
    }
    const nested = (isObject(before) || isObject(after)) && !sensitive;
    const nestedList =
      (Array.isArray(before) || Array.isArray(after)) &&
      [...((before as unknown[]) ?? []), ...((after as unknown[]) ?? [])].some((x) => isObject(x) || Array.isArray(x)) &&
      !sensitive;
    if (nested) {
      const keys = new Set([...Object.keys(isObject(before) ? before : {}), ...Object.keys(isObject(after) ? after : {}), ...Object.keys(isObject(unknown) ? unknown : {})]);
      for (const k of [...keys].sort()) {
        walk(path ? `${path}.${k}` : k, isObject(before) ? before[k] : undefined, isObject(after) ? after[k] : undefined, child(unknown, k), child(bSens, k), child(aSens, k));
      }
      return;
    }
    if (nestedList) {
      const b = Array.isArray(before) ? before : [];
      const a = Array.isArray(after) ? after : [];
      for (let i = 0; i < Math.max(a.length, b.length, Array.isArray(unknown) ? unknown.length : 0); i++) {
        walk(`${path}[${i}]`, b[i], a[i], child(unknown, i), child(bSens, i), child(aSens, i));
      }
      return;
    }
    if (JSON.stringify(before ?? null) === JSON.stringify(after ?? null)) return;
    out.push({ path, before: bSens === true ? "(sensitive)" : show(before), after: aSens === true ? "(sensitive)" : show(after) });
  };
  walk("", change.before, change.after, change.after_unknown, change.before_sensitive, change.after_sensitive);
  return out;
}

/** Markdown table cell: no pipes or newlines to break the table, code-formatted. */
function cell(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\r?\n/g, " ")}\``;
}

const SYMBOL: Record<Action, string> = { create: "+", update: "~", replace: "-/+", destroy: "-", read: "<=", "no-op": " ", forget: "forget" };

function replaceReason(rc: ResourceChange): string {
  const paths = (rc.change.replace_paths ?? []).map((p) => p.map((x) => (typeof x === "number" ? `[${x}]` : x)).join(".").replace(/\.\[/g, "["));
  if (paths.length > 0) return `${paths.join(", ")} cannot change in place`;
  if (rc.action_reason === "replace_by_request") return "replacement requested";
  if (rc.action_reason === "replace_because_tainted") return "tainted";
  return "forced by the provider";
}

function countsLine(c: Counts): string {
  return `**${c.add} to add, ${c.change} to change, ${c.destroy} to destroy, ${c.replace} to replace**`;
}

function ownerOf(type: string, attribute: string): string | undefined {
  return OWNERS.find(([t, a]) => t === type && a === attribute)?.[2];
}

/** An attribute that changed outside Terraform: what the last apply left and what the refresh read. */
export interface DriftedAttribute {
  readonly address: string;
  readonly type: string;
  /** The top-level attribute, e.g. `default_action`; `*` when the whole resource was deleted. */
  readonly attribute: string;
  /** Who changes it outside Terraform in this project (ecs-shift, autoscaling). @default - not known */
  readonly owner?: string;
  /** The changed leaves: `before` is the state of the last apply, `after` what the refresh read. */
  readonly changes: readonly AttributeChange[];
  /** The resource itself was deleted outside Terraform. @default false */
  readonly deleted?: boolean;
}

/** Drift (`resource_drift`) sorted by what this plan does about it. */
export interface DriftReport {
  /** In the resource's planned update or replacement: applying this plan undoes it. */
  readonly reverted: readonly DriftedAttribute[];
  /** In an attribute Terraform ignores (`lifecycle.ignore_changes`): its owner's, left alone. */
  readonly ignored: readonly DriftedAttribute[];
  /**
   * Refresh only: the provider read back computed attributes, null as empty, or anything else
   * this plan does not change. The plan accepts these values; applying changes nothing of it.
   */
  readonly refreshed: readonly DriftedAttribute[];
}

const topOf = (p: string) => p.split(/[.[]/)[0];

/** `path` is, contains, or lies inside one of `paths` (dotted paths with `[i]` indexes). */
function touches(paths: readonly string[], path: string): boolean {
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
  return paths.some((p) => within(p, path) || within(path, p));
}

/**
 * The plan's drift, attribute by attribute: what this plan reverts (the attribute is in the
 * resource's planned update or replacement: its planned value differs from what the refresh
 * read), what Terraform ignores because another owner manages it, and what is refresh only.
 * Terraform reports as drift every difference the refresh finds, including computed attributes
 * filled in by the provider and null read back as [] or {}; on a real plan right after an apply
 * that is dozens of resources, none of which the plan changes.
 */
export function driftReport(plan: PlanJson, ignoredChanges: Readonly<Record<string, readonly string[]>> = {}): DriftReport {
  const reverted: DriftedAttribute[] = [];
  const ignored: DriftedAttribute[] = [];
  const refreshed: DriftedAttribute[] = [];
  const planned = new Map(managed(plan.resource_changes).map((rc) => [rc.address, rc]));
  for (const rc of [...managed(plan.resource_drift)].sort((a, b) => a.address.localeCompare(b.address))) {
    const next = planned.get(rc.address);
    const nextAction = next ? actionOf(next.change.actions) : "no-op";
    if (actionOf(rc.change.actions) === "destroy" || rc.change.after === null) {
      const d: DriftedAttribute = { address: rc.address, type: rc.type, attribute: "*", changes: [], deleted: true };
      (nextAction === "create" || nextAction === "replace" ? reverted : refreshed).push(d);
      continue;
    }
    const plannedPaths = next && (nextAction === "update" || nextAction === "replace") ? attributeChanges(next.change).map((c) => c.path) : [];
    const ignoredTops = new Set((ignoredChanges[rc.address] ?? []).map(topOf));
    for (const [attribute, leaves] of driftedAttributes(rc.change)) {
      const base = { address: rc.address, type: rc.type, attribute, owner: ownerOf(rc.type, attribute) };
      if (ignoredTops.has(attribute)) {
        ignored.push({ ...base, changes: leaves });
        continue;
      }
      let back = leaves.filter((c) => touches(plannedPaths, c.path));
      // Set elements can sit at other indexes in the plan than in the drift: when the plan changes
      // this attribute but no drifted path lines up, count all of its drift as reverted rather than hide it.
      if (back.length === 0 && plannedPaths.some((p) => topOf(p) === attribute)) back = leaves;
      const rest = leaves.filter((c) => !back.includes(c));
      if (back.length > 0) reverted.push({ ...base, changes: back });
      if (rest.length > 0) refreshed.push({ ...base, changes: rest });
    }
  }
  return { reverted, ignored, refreshed };
}

/**
 * A drift entry's changed leaves by top-level attribute. An attribute whose value differs only
 * as null versus empty ([] or {}) has no changed leaf and is given as one change of its own;
 * a JSON document that differs only in formatting is no change.
 */
function driftedAttributes(change: ResourceChange["change"]): Array<[string, AttributeChange[]]> {
  const byAttribute = new Map(groupBy(attributeChanges(change), (c) => topOf(c.path)));
  const before = isObject(change.before) ? change.before : {};
  const after = isObject(change.after) ? change.after : {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (byAttribute.has(key) || JSON.stringify(before[key] ?? null) === JSON.stringify(after[key] ?? null)) continue;
    if (jsonDocument(before[key]) !== undefined && jsonDocument(after[key]) !== undefined) continue;
    const sensitive = child(change.before_sensitive, key) === true || child(change.after_sensitive, key) === true;
    byAttribute.set(key, [{ path: key, before: sensitive ? "(sensitive)" : show(before[key]), after: sensitive ? "(sensitive)" : show(after[key]) }]);
  }
  return [...byAttribute].sort(([a], [b]) => a.localeCompare(b));
}

const leaf = (c: AttributeChange) => `${c.path} ${c.before} → ${c.after}`;

function changesMadeOutside(n: number): string {
  return `${n} change${n === 1 ? "" : "s"} made outside Terraform`;
}

/** One environment's section. */
export function environmentSection(env: EnvironmentPlan): string {
  const lines: string[] = [];
  const plan = env.plan;
  const changes = managed(plan.resource_changes);
  const counts = countChanges(plan);
  lines.push(`### \`${env.name}\``, "");
  if (plan.errored) lines.push("> [!CAUTION]", "> The plan errored: the changes below are incomplete.", "");
  lines.push(counts.add + counts.change + counts.destroy + counts.replace === 0 ? "**No changes.** Infrastructure matches the configuration." : countsLine(counts), "");

  const dangerous = changes.filter((rc) => ["destroy", "replace"].includes(actionOf(rc.change.actions)));
  if (dangerous.length > 0) {
    lines.push("> [!WARNING]", `> ${dangerous.length} resource(s) will be destroyed or replaced. A replaced listener rule or target group interrupts traffic: check each one.`, ">");
    for (const rc of dangerous.sort((a, b) => a.address.localeCompare(b.address))) {
      const a = actionOf(rc.change.actions);
      const order = rc.change.actions[0] === "delete" ? "destroyed before its replacement exists" : "replacement created first";
      lines.push(a === "destroy" ? `> - **destroy** \`${rc.address}\`` : `> - **replace** \`${rc.address}\`: ${replaceReason(rc)}; ${order}`);
    }
    lines.push("");
  }

  const drift = driftReport(plan, env.ignoredChanges);
  if (drift.reverted.length > 0) {
    lines.push(
      "> [!WARNING]",
      `> This plan puts back ${changesMadeOutside(drift.reverted.length)}. Applying undoes ${drift.reverted.length === 1 ? "it" : "each"}, even one made on purpose (a shift by ecs-shift, a hotfix): check with its owner first.`,
      ">",
    );
    for (const d of drift.reverted) {
      lines.push(
        d.deleted
          ? `> - \`${d.address}\`: deleted outside Terraform; this plan creates it again.`
          : `> - \`${d.address}\` \`${d.attribute}\`${d.owner ? `, owned by ${d.owner}` : ""}: ${d.changes.map(leaf).join(", ")}; this plan puts it back.`,
      );
    }
    lines.push("");
  }

  const order: Action[] = ["destroy", "replace", "update", "read", "forget"];
  const shown = changes
    .filter((rc) => order.includes(actionOf(rc.change.actions)))
    .sort((a, b) => order.indexOf(actionOf(a.change.actions)) - order.indexOf(actionOf(b.change.actions)) || a.address.localeCompare(b.address));
  const created = changes.filter((rc) => actionOf(rc.change.actions) === "create").map((rc) => rc.address).sort();
  const moved = changes.filter((rc) => rc.previous_address && rc.previous_address !== rc.address);
  if (shown.length > 0) {
    lines.push("| | resource | changes (before → after) |", "| --- | --- | --- |");
    for (const rc of shown.slice(0, MAX_ROWS)) {
      const a = actionOf(rc.change.actions);
      const attrs = a === "destroy" ? [] : attributeChanges(rc.change);
      const what = a === "destroy" ? "removed" : attrs.length === 0 ? "(no attribute changes shown)" : attrs.map((c) => `${cell(c.path)}: ${cell(c.before)} → ${cell(c.after)}`).join("<br>");
      lines.push(`| \`${SYMBOL[a]}\` | \`${rc.address}\` | ${what} |`);
    }
    if (shown.length > MAX_ROWS) lines.push("", `… and ${shown.length - MAX_ROWS} more; see the full plan in the job log.`);
    lines.push("");
  }
  if (created.length > 0) {
    lines.push(`<details><summary>${created.length} to create</summary>`, "", ...created.map((a) => `- \`${a}\``), "", "</details>", "");
  }
  if (moved.length > 0) {
    lines.push("Moved (no change to the real resource):", ...moved.map((rc) => `- \`${rc.previous_address}\` → \`${rc.address}\``), "");
  }

  if (drift.ignored.length > 0) {
    lines.push("Changed outside Terraform by their owners; Terraform ignores these attributes:", "");
    for (const d of drift.ignored) {
      lines.push(`- \`${d.address}\` \`${d.attribute}\`: owned by ${d.owner ?? "another owner"}, ignored by Terraform (${d.changes.map(leaf).join(", ")}).`);
    }
    lines.push("");
  }
  if (drift.refreshed.length > 0) {
    const byResource = groupBy(drift.refreshed, (d) => d.address);
    lines.push(
      `<details><summary>Refreshed, no action: ${byResource.length} resource(s) read back from AWS with values the plan does not change (computed attributes filled in, null read as empty)</summary>`,
      "",
      ...byResource.map(([address, attrs]) => `- \`${address}\`: ${attrs[0].deleted ? "deleted outside Terraform, and this plan does not create it" : attrs.map((d) => `\`${d.attribute}\``).join(", ")}`),
      "",
      "</details>",
      "",
    );
  }

  if (env.policyExceptions && env.policyExceptions.length > 0) {
    lines.push("<details><summary>Policy exceptions (" + env.policyExceptions.length + ")</summary>", "", "| rule | resource | reason |", "| --- | --- | --- |");
    for (const e of env.policyExceptions) lines.push(`| \`${e.rule}\` | ${e.address ? `\`${e.address}\`` : "all"} | ${e.reason.replace(/\|/g, "\\|").replace(/\r?\n/g, " ")} |`);
    lines.push("", "</details>", "");
  }
  if (env.unusedPolicyExceptions && env.unusedPolicyExceptions.length > 0) {
    lines.push("> [!NOTE]", "> Policy exceptions in config that match nothing any more (delete them):", ...env.unusedPolicyExceptions.map((e) => `> - \`${e.rule}\`: ${e.reason}`), "");
  }
  return lines.join("\n").trimEnd() + "\n";
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Array<[string, T[]]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return [...m];
}

/** The whole comment: a marker, a heading, then one section per environment. */
export function planSummary(envs: readonly EnvironmentPlan[], title = "Terraform plan"): string {
  const total = envs.reduce((n, e) => {
    const c = countChanges(e.plan);
    return { destroy: n.destroy + c.destroy, replace: n.replace + c.replace };
  }, { destroy: 0, replace: 0 });
  const head = [COMMENT_MARKER, `## ${title}`, ""];
  if (total.destroy + total.replace > 0) head.push(`:warning: **${total.destroy} destroy, ${total.replace} replace** across ${envs.map((e) => `\`${e.name}\``).join(", ")}: read the warnings first.`, "");
  const reverting = envs.map((e) => ({ name: e.name, n: driftReport(e.plan, e.ignoredChanges).reverted.length })).filter((e) => e.n > 0);
  const reverted = reverting.reduce((n, e) => n + e.n, 0);
  if (reverted > 0) head.push(`:warning: **${changesMadeOutside(reverted)} put back** in ${reverting.map((e) => `\`${e.name}\``).join(", ")}: read the warnings first.`, "");
  return [...head, ...envs.map(environmentSection)].join("\n");
}

/** `lifecycle.ignore_changes` of every resource in a synthesized stack, by Terraform address. */
export function ignoredChangesOf(stackJson: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const resources = isObject(stackJson) && isObject(stackJson.resource) ? stackJson.resource : {};
  for (const [type, byName] of Object.entries(resources)) {
    if (!isObject(byName)) continue;
    for (const [name, block] of Object.entries(byName)) {
      const ignore = isObject(block) && isObject(block.lifecycle) ? block.lifecycle.ignore_changes : undefined;
      if (Array.isArray(ignore)) out[`${type}.${name}`] = ignore.map(String);
    }
  }
  return out;
}
