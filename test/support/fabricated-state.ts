/**
 * A Terraform state for a synthesized stack as if it had been applied, made offline: so that a
 * plan of a changed config shows what Terraform would really do to existing infrastructure
 * (an in-place update, a replacement, nothing), not just "create everything".
 *
 * How: plan the stack with no state; write a state whose resources hold the planned values,
 * values "known after apply" filled from the referenced resources (a `${aws_vpc.x.id}` becomes
 * that VPC's fabricated id) or with well-formed placeholders (`arn:aws:...`, `vpc-0fab...`);
 * plan again with `-refresh=false` (the provider reads no real resource) and fold the new
 * planned values in, until Terraform itself plans no change. The state is then what Terraform
 * agrees the config describes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { plan, terraform, type OfflinePlan } from "../../scripts/offline";
import type { ResourceChange } from "../../lib/plan/summary";

const PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]';
const ACCOUNT = "111111111111";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type SchemaType = string | [string, SchemaType] | [string, Record<string, SchemaType>];
interface Block {
  attributes?: Record<string, { type: SchemaType }>;
  block_types?: Record<string, { nesting_mode: string; block: Block }>;
}

interface StateResource {
  mode: "managed";
  type: string;
  name: string;
  provider: string;
  instances: Array<{ schema_version: number; attributes: Record<string, Json>; sensitive_attributes: SensitivePath[] }>;
}

type SensitivePath = Array<{ type: "get_attr"; value: string } | { type: "index"; value: { value: number | string; type: string } }>;

/** Terraform's `after_sensitive` marks as the state's `sensitive_attributes` paths (else a sensitivity change plans an update). */
function sensitivePaths(marks: unknown, prefix: SensitivePath = []): SensitivePath[] {
  if (marks === true) return prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(marks)) return marks.flatMap((m, i) => sensitivePaths(m, [...prefix, { type: "index", value: { value: i, type: "number" } }]));
  if (isObject(marks)) return Object.entries(marks).flatMap(([k, m]) => sensitivePaths(m, [...prefix, { type: "get_attr", value: k }]));
  return [];
}

const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

let schemaCache: Record<string, { version: number; block: Block }> | undefined;

/** The AWS provider's resource schemas (types of attributes, schema versions), read once per process. */
function schemas(workDir: string): Record<string, { version: number; block: Block }> {
  if (!schemaCache) {
    const r = terraform(workDir, ["providers", "schema", "-json"]);
    if (r.code !== 0) throw new Error(`terraform providers schema failed:\n${r.stderr}`);
    const all = JSON.parse(r.stdout).provider_schemas["registry.terraform.io/hashicorp/aws"].resource_schemas;
    schemaCache = all;
  }
  return schemaCache!;
}

/** The AWS service an ARN of this resource type names. */
function serviceOf(type: string): string {
  const map: Array<[RegExp, string]> = [
    [/^aws_lb/, "elasticloadbalancing"],
    [/^aws_(iam)_/, "iam"],
    [/^aws_cloudwatch_log/, "logs"],
    [/^aws_cloudwatch/, "cloudwatch"],
    [/^aws_(appautoscaling)_/, "application-autoscaling"],
    [/^aws_autoscaling/, "autoscaling"],
    [/^aws_(vpc|subnet|route|nat|internet|eip|security_group|launch_template|flow_log|default_security_group)/, "ec2"],
  ];
  return map.find(([re]) => re.test(type))?.[1] ?? type.split("_")[1];
}

const ID_PREFIX: Record<string, string> = {
  aws_vpc: "vpc",
  aws_subnet: "subnet",
  aws_internet_gateway: "igw",
  aws_nat_gateway: "nat",
  aws_eip: "eipalloc",
  aws_route_table: "rtb",
  aws_security_group: "sg",
  aws_default_security_group: "sg",
  aws_launch_template: "lt",
  aws_flow_log: "fl",
  aws_vpc_security_group_ingress_rule: "sgr",
  aws_vpc_security_group_egress_rule: "sgr",
};

/** A stable 8-hex-digit tag for a place in the state, so a placeholder is the same on every pass. */
function tagOf(place: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < place.length; i++) h = Math.imul(h ^ place.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** A well-formed placeholder for an unknown leaf of type `t` at attribute `name` of `place` (address and path). */
function placeholder(type: string, name: string, t: SchemaType | undefined, place: string): Json {
  const hex = tagOf(place);
  const kind = Array.isArray(t) ? t[0] : t;
  if (kind === "list" || kind === "set") return [];
  if (kind === "map" || kind === "object") return {};
  if (kind === "number") return name === "latest_version" || name === "default_version" ? 1 : null;
  if (kind !== "string") return null;
  const service = serviceOf(type);
  const region = service === "iam" ? "" : "eu-west-1";
  const arn = `arn:aws:${service}:${region}:${ACCOUNT}:${type.replace(/^aws_/, "")}/fab-${hex}`;
  // What other resources refer to gets a well-formed value of its own.
  if (name === "arn" || name.endsWith("_arn")) return arn;
  if (name === "id") return /^aws_lb(_target_group|_listener|_listener_rule)?$/.test(type) ? arn : `${ID_PREFIX[type] ?? "fab"}-0fab${hex}`;
  if (name === "dns_name") return `fab-${hex}.eu-west-1.elb.amazonaws.com`;
  if (name === "zone_id") return "Z32O12XQLNTSW2";
  if (name === "repository_url") return `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/fab-${hex}`;
  if (name === "arn_suffix") return `app/fab-${hex}/0123456789abcdef`;
  if (name === "owner_id" || name === "registry_id") return ACCOUNT;
  if (name === "name" || name === "fqdn" || name === "unique_id" || name === "key_id") return `fab-${hex}`;
  // JSON documents: the provider parses the prior value; Terraform computes the real one next round.
  if (name === "container_definitions") return "[]";
  if (/policy|document|_body$/.test(name)) return "{}";
  // Any other computed value (a mode, a scope, a default the provider picks): unset, which the
  // provider keeps as it is on an update instead of planning a made-up value away.
  return null;
}

/** The `references` of one attribute in Terraform's configuration section: `aws_vpc.x.id` and the like. */
type Expressions = Record<string, unknown>;

function referencedValue(ref: string, state: Map<string, Record<string, Json>>): Json | undefined {
  const m = /^([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)$/.exec(ref);
  if (!m) return undefined;
  const v = state.get(`${m[1]}.${m[2]}`)?.[m[3]];
  return v === undefined || v === null ? undefined : v;
}

/**
 * `after` with every unknown leaf filled: from the prior state when the resource had one, else
 * from the one resource attribute the config refers to there, else a placeholder.
 */
function fill(
  rc: ResourceChange,
  block: Block | undefined,
  expressions: Expressions | undefined,
  prior: Record<string, Json> | undefined,
  state: Map<string, Record<string, Json>>,
): Record<string, Json> {
  const walk = (after: Json | undefined, unknown: unknown, before: Json | undefined, t: SchemaType | Block | undefined, expr: unknown, name: string, place: string): Json => {
    if (unknown === true) {
      if (before !== undefined && before !== null) return before;
      // A plain reference (`${aws_vpc.x.id}`) shows in the plan's configuration as exactly
      // [`aws_vpc.x.id`, `aws_vpc.x`]; anything longer is an expression Terraform evaluates
      // on the next round, once what it refers to is in the state.
      const refs = isObject(expr) && Array.isArray((expr as { references?: unknown }).references) ? (expr as { references: string[] }).references : [];
      if ((t === "string" || t === "number" || t === "bool") && refs.length === 2 && refs[0].startsWith(`${refs[1]}.`)) {
        const v = referencedValue(refs[0], state);
        if (v !== undefined && typeof v !== "object") return v;
      }
      const isBlock = t !== undefined && typeof t === "object" && !Array.isArray(t);
      return isBlock ? [] : placeholder(rc.type, name, t as SchemaType | undefined, place);
    }
    if (Array.isArray(after)) {
      const elementType = Array.isArray(t) ? (t[1] as SchemaType) : t;
      return after.map((x, i) =>
        walk(x, Array.isArray(unknown) ? unknown[i] : undefined, Array.isArray(before) ? before[i] : undefined, elementType, Array.isArray(expr) ? expr[i] : undefined, name, `${place}[${i}]`),
      );
    }
    if (isObject(after)) {
      const out: Record<string, Json> = {};
      const asBlock = t !== undefined && typeof t === "object" && !Array.isArray(t) ? (t as Block) : undefined;
      const keys = new Set([...Object.keys(after), ...Object.keys(isObject(unknown) ? unknown : {})]);
      for (const k of keys) {
        const childType = asBlock ? (asBlock.attributes?.[k]?.type ?? asBlock.block_types?.[k]?.block) : Array.isArray(t) && typeof t[1] === "object" && !Array.isArray(t[1]) ? (t[1] as Record<string, SchemaType>)[k] : undefined;
        const childExpr = isObject(expr) ? expr[k] : Array.isArray(expr) ? (expr[0] as Record<string, unknown> | undefined)?.[k] : undefined;
        out[k] = walk(after[k], isObject(unknown) ? unknown[k] : undefined, isObject(before) ? before[k] : undefined, childType as SchemaType | Block | undefined, childExpr, k, `${place}.${k}`);
      }
      return out;
    }
    return after === undefined ? null : after;
  };
  return walk((rc.change.after ?? {}) as Json, rc.change.after_unknown, prior ?? undefined, block, expressions, "", rc.address) as Record<string, Json>;
}

interface ConfigResource {
  address: string;
  expressions?: Expressions;
  schema_version?: number;
}

/** Writes `offline.tfstate` in `workDir` (its local backend) from the state map. */
function writeState(workDir: string, state: Map<string, Record<string, Json>>, versions: Map<string, number>, sensitive: Map<string, SensitivePath[]>, serial: number): void {
  const resources: StateResource[] = [...state].map(([address, attributes]) => {
    const [type, name] = address.split(".");
    return { mode: "managed", type, name, provider: PROVIDER, instances: [{ schema_version: versions.get(address) ?? 0, attributes, sensitive_attributes: sensitive.get(address) ?? [] }] };
  });
  const file = {
    version: 4,
    terraform_version: "1.11.0",
    serial,
    lineage: "00000000-0000-4000-8000-00000000fab1",
    outputs: {},
    resources,
    check_results: null,
  };
  fs.writeFileSync(path.join(workDir, "offline.tfstate"), JSON.stringify(file));
}

export interface FabricatedState {
  /** Plans it took until Terraform planned no change. */
  readonly rounds: number;
  /** The last plan: every resource no-op. */
  readonly finalPlan: OfflinePlan;
  /** Resource address -> attributes, as written to offline.tfstate. */
  readonly state: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

/**
 * Turns an initialised offline dir (scripts/offline.ts prepareOfflineDir, empty state) into one
 * whose state Terraform considers up to date with the config. Throws if that takes more than
 * `maxRounds` plans, with the changes still planned.
 */
export function fabricateState(workDir: string, maxRounds = 10): FabricatedState {
  const block = schemas(workDir);
  const state = new Map<string, Record<string, Json>>();
  const versions = new Map<string, number>();
  const sensitive = new Map<string, SensitivePath[]>();
  const pendingIn = (p: OfflinePlan) => (p.json.resource_changes ?? []).filter((rc) => (rc.mode ?? "managed") === "managed" && !rc.change.actions.every((a) => a === "no-op"));
  let current = plan(workDir);
  for (let round = 1; round <= maxRounds; round++) {
    const config = new Map<string, ConfigResource>(
      (((current.json as { configuration?: { root_module?: { resources?: ConfigResource[] } } }).configuration?.root_module?.resources) ?? []).map((r) => [r.address, r]),
    );
    const pending = pendingIn(current);
    const prior = new Map(state);
    // A few passes, so a reference to a resource later in the plan's order resolves too;
    // placeholders are stable, so a value referred to in one pass is the same in the next.
    for (let pass = 0; pass < 3; pass++) {
      for (const rc of pending) {
        const cfg = config.get(rc.address);
        versions.set(rc.address, cfg?.schema_version ?? block[rc.type]?.version ?? 0);
        sensitive.set(rc.address, sensitivePaths(rc.change.after_sensitive));
        state.set(rc.address, fill(rc, block[rc.type]?.block, cfg?.expressions, prior.get(rc.address), state));
      }
    }
    writeState(workDir, state, versions, sensitive, round);
    current = plan(workDir, { refresh: false });
    if (pendingIn(current).length === 0) return { rounds: round, finalPlan: current, state };
  }
  const left = pendingIn(current).map((rc) => `${rc.change.actions.join("/")} ${rc.address}`);
  throw new Error(`the fabricated state did not settle in ${maxRounds} plans; still planned:\n${left.join("\n")}`);
}
