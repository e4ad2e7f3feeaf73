/**
 * IAM policy documents in a stack, normalized: identity policies (role, user, group and managed
 * policies, inline role policies), trust policies (`assume_role_policy`) and resource policies
 * (bucket, topic, queue, repository, key, secret). Documents are literal JSON strings (as
 * `JSON.stringify` in cdktf makes them) or a reference to a `data.aws_iam_policy_document`.
 */
import { blocks, strings } from "./terraform";
import type { StackView, TfResource } from "./types";

export type DocumentKind = "identity" | "trust" | "resource";

/** One statement, with every list-or-string field as a list. */
export interface IamStatement {
  /** Sid, or `Statement[i]` when it has none: the finding's part. */
  readonly id: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  /** `"*"` as `{ AWS: ["*"] }`; service, federated and AWS principals by kind. */
  readonly principals: Readonly<Record<string, readonly string[]>>;
  readonly notPrincipals: Readonly<Record<string, readonly string[]>>;
  /** operator -> key -> values */
  readonly conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export interface IamDocument {
  readonly kind: DocumentKind;
  readonly resource: TfResource;
  /** Prefix of the statements' part, e.g. `inline_policy[read]#`; "" for the resource's own policy. */
  readonly partPrefix: string;
  /** Undefined when the document cannot be read (see POLICY-READABLE). */
  readonly statements?: readonly IamStatement[];
  /** The argument that holds it, e.g. `policy`. */
  readonly argument: string;
}

const IDENTITY: Record<string, string> = {
  aws_iam_policy: "policy",
  aws_iam_role_policy: "policy",
  aws_iam_user_policy: "policy",
  aws_iam_group_policy: "policy",
};
const RESOURCE: Record<string, string> = {
  aws_s3_bucket_policy: "policy",
  aws_sns_topic_policy: "policy",
  aws_sqs_queue_policy: "policy",
  aws_ecr_repository_policy: "policy",
  aws_kms_key: "policy",
  aws_secretsmanager_secret_policy: "policy",
};

/** Resource types whose documents the IAM rules read. */
export const RESOURCE_POLICY_TYPES = Object.keys(RESOURCE);

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : [String(v)]);

function principalMap(v: unknown): Record<string, string[]> {
  if (v === undefined || v === null) return {};
  if (typeof v === "string") return { AWS: [v] };
  const out: Record<string, string[]> = {};
  if (typeof v === "object") for (const [k, vals] of Object.entries(v as Record<string, unknown>)) out[k] = list(vals);
  return out;
}

function conditionMap(v: unknown): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  if (v && typeof v === "object") {
    for (const [op, keys] of Object.entries(v as Record<string, unknown>)) {
      out[op] = {};
      if (keys && typeof keys === "object") for (const [k, vals] of Object.entries(keys as Record<string, unknown>)) out[op][k] = list(vals);
    }
  }
  return out;
}

function normalize(doc: unknown): IamStatement[] | undefined {
  if (!doc || typeof doc !== "object") return undefined;
  const raw = (doc as Record<string, unknown>).Statement;
  if (raw === undefined) return [];
  const statements = Array.isArray(raw) ? raw : [raw];
  if (!statements.every((s) => s && typeof s === "object")) return undefined;
  return statements.map((s: Record<string, unknown>, i) => ({
    id: typeof s.Sid === "string" && s.Sid !== "" ? s.Sid : `Statement[${i}]`,
    effect: s.Effect === "Deny" ? "Deny" : "Allow",
    actions: list(s.Action),
    notActions: list(s.NotAction),
    resources: list(s.Resource),
    notResources: list(s.NotResource),
    principals: principalMap(s.Principal),
    notPrincipals: principalMap(s.NotPrincipal),
    conditions: conditionMap(s.Condition),
  }));
}

/** `data.aws_iam_policy_document` (snake_case blocks) as a policy JSON object. */
function fromPolicyDocumentData(body: Readonly<Record<string, unknown>>): unknown {
  return {
    Statement: blocks(body.statement).map((s) => {
      const principals: Record<string, string[]> = {};
      for (const p of blocks(s.principals)) principals[String(p.type)] = [...(principals[String(p.type)] ?? []), ...strings(p.identifiers)];
      const notPrincipals: Record<string, string[]> = {};
      for (const p of blocks(s.not_principals)) notPrincipals[String(p.type)] = [...(notPrincipals[String(p.type)] ?? []), ...strings(p.identifiers)];
      const condition: Record<string, Record<string, string[]>> = {};
      for (const c of blocks(s.condition)) {
        const op = String(c.test);
        condition[op] = { ...(condition[op] ?? {}), [String(c.variable)]: strings(c.values) };
      }
      return {
        Sid: s.sid,
        Effect: s.effect ?? "Allow",
        Action: s.actions,
        NotAction: s.not_actions,
        Resource: s.resources,
        NotResource: s.not_resources,
        Principal: Object.keys(principals).length ? principals : undefined,
        NotPrincipal: Object.keys(notPrincipals).length ? notPrincipals : undefined,
        Condition: Object.keys(condition).length ? condition : undefined,
      };
    }),
  };
}

/** The statements of a policy argument, or undefined when it is neither JSON nor a policy document data source. */
export function readDocument(view: StackView, value: unknown): IamStatement[] | undefined {
  if (value === undefined || value === null || value === "") return [];
  if (typeof value === "object") return normalize(value);
  if (typeof value !== "string") return undefined;
  const data = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$/.exec(value);
  if (data) {
    const body = view.data("aws_iam_policy_document", data[1]);
    return body ? normalize(fromPolicyDocumentData(body)) : undefined;
  }
  try {
    return normalize(JSON.parse(value));
  } catch {
    return undefined;
  }
}

/** Every IAM document in the stack. */
export function documents(view: StackView): IamDocument[] {
  const out: IamDocument[] = [];
  for (const [type, argument] of Object.entries(IDENTITY)) {
    for (const r of view.resources(type)) out.push({ kind: "identity", resource: r, partPrefix: "", argument, statements: readDocument(view, r.body[argument]) });
  }
  for (const r of view.resources("aws_iam_role")) {
    out.push({ kind: "trust", resource: r, partPrefix: "", argument: "assume_role_policy", statements: readDocument(view, r.body.assume_role_policy) });
    blocks(r.body.inline_policy).forEach((p, i) => {
      const name = typeof p.name === "string" ? p.name : String(i);
      out.push({ kind: "identity", resource: r, partPrefix: `inline_policy[${name}]/`, argument: "inline_policy", statements: readDocument(view, p.policy) });
    });
  }
  for (const [type, argument] of Object.entries(RESOURCE)) {
    for (const r of view.resources(type)) if (r.body[argument] !== undefined) out.push({ kind: "resource", resource: r, partPrefix: "", argument, statements: readDocument(view, r.body[argument]) });
  }
  return out;
}

/** Read-only access levels by action-name prefix (after `service:`), as in the IAM service authorization reference. */
const READ_PREFIXES = ["Describe", "List", "Get", "BatchGet", "BatchCheck", "Head", "Lookup", "Search", "View"];

/** True for an action whose name (or wildcard pattern) only covers read-only operations, e.g. `ec2:Describe*`. */
export function isReadOnlyAction(action: string): boolean {
  const [service, name] = action.split(":");
  if (!service || name === undefined || service.includes("*")) return false;
  return READ_PREFIXES.some((p) => name.startsWith(p) && (name.length > p.length || !name.endsWith("*")));
}

/** True when `pattern` (an IAM action, maybe with * and ?) covers `action`. */
export function actionCovers(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i"
  );
  return re.test(action);
}

/**
 * Condition keys that narrow a statement to particular resources or requests. Keys about the
 * transport, MFA or time narrow nothing: a statement carrying only those is unscoped.
 */
const NON_SCOPING_KEYS = new Set([
  "aws:securetransport",
  "aws:multifactorauthpresent",
  "aws:multifactorauthage",
  "aws:currenttime",
  "aws:epochtime",
  "aws:useragent",
  "aws:tokenissuetime",
  "aws:requestedregion",
  "aws:viaawsservice",
  "aws:calledvia",
]);

/** True when the statement carries a condition that limits which resources or requests it covers. */
export function hasScopingCondition(s: IamStatement): boolean {
  return Object.values(s.conditions).some((keys) => Object.keys(keys).some((k) => !NON_SCOPING_KEYS.has(k.toLowerCase())));
}

/** True for `Resource: "*"` (or NotResource, which covers everything but a few). */
export function coversAllResources(s: IamStatement): boolean {
  return s.resources.includes("*") || s.notResources.length > 0;
}
