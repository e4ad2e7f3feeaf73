/** IAM rules: principals, wildcards, unscoped writes, PassRole, GitHub OIDC trust, service trust, managed policies. */
import { actionCovers, coversAllResources, documents, hasScopingCondition, isReadOnlyAction, RESOURCE_POLICY_TYPES, type IamDocument, type IamStatement } from "../iam";
import { referencesIn, strings } from "../terraform";
import type { PolicyRule, RuleHit, StackView } from "../types";
import { containersOf } from "./compute";
import { hits } from "./util";

const GITHUB = "token.actions.githubusercontent.com";
const GITHUB_AUDIENCE = "sts.amazonaws.com";
/**
 * GitHub's `sub` for one repository: `repo:OWNER/REPO:<context>` or the immutable
 * `repo:OWNER@OWNER_ID/REPO@REPO_ID:<context>`, with no wildcard anywhere.
 */
const GITHUB_SUBJECT = /^repo:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(@\d+)?\/[A-Za-z0-9._-]+(@\d+)?:[^*?\s]+$/;

/**
 * Services that send `aws:SourceAccount` / `aws:SourceArn` when they assume a role, so a trust
 * policy can (and should) pin them against the confused deputy. EC2 is not one: an instance
 * profile is what binds the EC2 role.
 */
const SOURCE_CONDITION_SERVICES = [
  "vpc-flow-logs.amazonaws.com",
  "ecs-tasks.amazonaws.com",
  "delivery.logs.amazonaws.com",
  "logs.amazonaws.com",
  "states.amazonaws.com",
  "scheduler.amazonaws.com",
  "cloudtrail.amazonaws.com",
  "config.amazonaws.com",
  "firehose.amazonaws.com",
];
const SOURCE_KEYS = new Set(["aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"]);

/** Managed policies that grant administrator (or IAM administrator) rights. */
const ADMIN_POLICIES = /:policy\/(AdministratorAccess|IAMFullAccess|PowerUserAccess)$/;

const IDENTITY_TYPES = "aws_iam_role_policy, aws_iam_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_role (inline_policy)";
const RESOURCE_POLICIES = RESOURCE_POLICY_TYPES.join(", ");

type Pick = (s: IamStatement, doc: IamDocument, view: StackView) => boolean | string;

/** One hit per statement of the given document kinds that `fails`. */
function perStatement(view: StackView, kinds: ReadonlyArray<IamDocument["kind"]>, fails: Pick): RuleHit[] {
  return documents(view)
    .filter((d) => kinds.includes(d.kind))
    .flatMap((doc) =>
      (doc.statements ?? []).flatMap((s): RuleHit[] => {
        const why = fails(s, doc, view);
        return why === false ? [] : [{ resource: doc.resource, part: `${doc.partPrefix}${s.id}`, detail: typeof why === "string" ? why : undefined }];
      })
    );
}

const few = (values: readonly string[], n = 4) => (values.length <= n ? values.join(", ") : `${values.slice(0, n).join(", ")} and ${values.length - n} more`);
const isWildcardAction = (a: string) => a === "*" || /^[A-Za-z0-9-]+:\*$/.test(a) || a === "*:*";

/** True when the trust statement is GitHub Actions' OIDC provider (by ARN, by the provider resource, or by its condition keys). */
function isGithubTrust(s: IamStatement, view: StackView): boolean {
  const federated = s.principals.Federated ?? [];
  if (federated.some((f) => f.includes(`oidc-provider/${GITHUB}`))) return true;
  for (const f of federated) {
    for (const address of referencesIn(f)) {
      const provider = view.resource(address);
      if (provider?.type === "aws_iam_openid_connect_provider" && String(provider.body.url ?? "").includes(GITHUB)) return true;
    }
  }
  return Object.values(s.conditions).some((keys) => Object.keys(keys).some((k) => k.startsWith(`${GITHUB}:`)));
}

/** The values a condition key is compared with under the given operators. */
function conditionValues(s: IamStatement, key: string, operators: readonly string[]): string[] | undefined {
  let found: string[] | undefined;
  for (const op of operators) {
    const keys = s.conditions[op];
    if (!keys) continue;
    for (const [k, values] of Object.entries(keys)) if (k.toLowerCase() === key.toLowerCase()) found = [...(found ?? []), ...values];
  }
  return found;
}

export const IAM_RULES: PolicyRule[] = [
  {
    id: "POLICY-READABLE",
    mirrors: [],
    resourceType: `${IDENTITY_TYPES}, aws_iam_role (assume_role_policy), ${RESOURCE_POLICIES}, aws_ecs_task_definition`,
    message: "the pack cannot read this policy document or container definition (not literal JSON), so no rule checked it",
    fix: "build it with JSON.stringify (or a data.aws_iam_policy_document in the stack) so the synthesized JSON holds it literally",
    check: (view) => [
      ...documents(view)
        .filter((d) => d.statements === undefined)
        .map((d) => ({ resource: d.resource, part: d.partPrefix ? d.partPrefix.replace(/\/$/, "") : undefined, detail: d.argument })),
      ...hits(view.resources("aws_ecs_task_definition"), (td) => containersOf(td) === undefined && "container_definitions"),
    ],
  },
  {
    id: "IAM-NO-STAR-PRINCIPAL",
    mirrors: ["CKV_AWS_60", "CKV_AWS_70", "CKV_AWS_283", "CKV_AWS_169", "CKV_AWS_32", "CKV_AWS_33"],
    resourceType: `aws_iam_role (assume_role_policy), ${RESOURCE_POLICIES}`,
    message: 'an Allow statement\'s principal is "*" (anyone, in any account) or NotPrincipal',
    fix: "name the principals: a service (with aws:SourceArn/aws:SourceAccount), an account or a role ARN",
    check: (view) =>
      perStatement(view, ["trust", "resource"], (s) => {
        if (s.effect !== "Allow") return false;
        if (Object.keys(s.notPrincipals).length > 0) return "NotPrincipal";
        const star = Object.entries(s.principals).filter(([, ids]) => ids.some((id) => id === "*" || /^arn:aws[a-z-]*:iam::\*:/.test(id)));
        return star.length > 0 && `Principal ${star.map(([kind]) => kind).join(", ")}: "*"`;
      }),
  },
  {
    id: "IAM-NO-ADMIN",
    mirrors: ["CKV_AWS_1", "CKV_AWS_62"],
    resourceType: IDENTITY_TYPES,
    message: 'the policy grants full administrator rights ("*" on "*")',
    fix: "grant the actions the role needs, on its own resources",
    check: (view) => perStatement(view, ["identity"], (s) => s.effect === "Allow" && s.actions.some((a) => a === "*" || a === "*:*") && s.resources.includes("*")),
  },
  {
    id: "IAM-NO-WILDCARD-ACTION",
    mirrors: ["CKV_AWS_49", "CKV_AWS_63", "AVD-AWS-0057"],
    resourceType: `${IDENTITY_TYPES}, ${RESOURCE_POLICIES}`,
    message: 'an Allow statement grants every action (of a service, or of all: "*", "service:*", or NotAction)',
    fix: "list the actions (a read-only family such as ec2:Describe* is fine)",
    check: (view) =>
      perStatement(view, ["identity", "resource"], (s) => {
        if (s.effect !== "Allow") return false;
        if (s.notActions.length > 0) return `NotAction ${few(s.notActions)}`;
        const wild = s.actions.filter(isWildcardAction);
        return wild.length > 0 && few(wild);
      }),
  },
  {
    id: "IAM-NO-WILDCARD-RESOURCE",
    mirrors: ["CKV_AWS_355", "CKV_AWS_356", "AVD-AWS-0057"],
    resourceType: IDENTITY_TYPES,
    message: 'an Allow statement applies to every resource ("*") with no condition to scope it',
    fix: "name the resources (ARNs or name patterns of this stack); where AWS has no resource-level permission, scope by a condition key (aws:RequestTag, aws:ResourceTag, a service key) or write the exception down",
    check: (view) =>
      perStatement(view, ["identity"], (s) => s.effect === "Allow" && coversAllResources(s) && !hasScopingCondition(s) && few([...s.actions, ...s.notActions.map((a) => `NotAction ${a}`)])),
  },
  {
    id: "IAM-NO-UNSCOPED-WRITE",
    mirrors: ["CKV_AWS_111", "CKV_AWS_290"],
    resourceType: IDENTITY_TYPES,
    message: 'write actions on every resource ("*") with no condition to scope them',
    fix: "limit the writes to this stack's resources by ARN, or by a condition (the stack's tag in aws:RequestTag / aws:ResourceTag, or the service's own key); write down the actions that allow neither",
    check: (view) =>
      perStatement(view, ["identity"], (s) => {
        if (s.effect !== "Allow" || !coversAllResources(s) || hasScopingCondition(s)) return false;
        const writes = s.notActions.length > 0 ? ["NotAction ..."] : s.actions.filter((a) => !isReadOnlyAction(a));
        return writes.length > 0 && few(writes);
      }),
  },
  {
    id: "IAM-NO-PASSROLE-STAR",
    mirrors: ["CKV_AWS_286"],
    resourceType: IDENTITY_TYPES,
    message: "iam:PassRole on any role: the holder can hand any role (an administrator's too) to a service it controls",
    fix: "name the exact role ARNs it may pass, with an iam:PassedToService condition",
    check: (view) =>
      perStatement(view, ["identity"], (s) => {
        if (s.effect !== "Allow") return false;
        const passes = s.notActions.length > 0 ? !s.notActions.some((a) => actionCovers(a, "iam:PassRole")) : s.actions.some((a) => actionCovers(a, "iam:PassRole"));
        const anyRole = s.resources.filter((r) => r === "*" || /:role\/\*$/.test(r) || /^arn:[^:]*:iam::[^:]*:\*$/.test(r));
        return passes && (anyRole.length > 0 || s.notResources.length > 0) && `Resource ${few(anyRole.length ? anyRole : ["NotResource"])}`;
      }),
  },
  {
    id: "IAM-OIDC-AUDIENCE",
    mirrors: ["CKV_AWS_358"],
    resourceType: "aws_iam_role (assume_role_policy)",
    message: `the GitHub OIDC trust does not pin the audience: StringEquals ${GITHUB}:aud = "${GITHUB_AUDIENCE}" is missing`,
    fix: `add Condition StringEquals { "${GITHUB}:aud" = "${GITHUB_AUDIENCE}" } (lib/github-oidc.ts does)`,
    check: (view) =>
      perStatement(view, ["trust"], (s, _doc, v) => {
        if (s.effect !== "Allow" || !isGithubTrust(s, v)) return false;
        const aud = conditionValues(s, `${GITHUB}:aud`, ["StringEquals"]);
        return !(aud !== undefined && aud.length === 1 && aud[0] === GITHUB_AUDIENCE) && (aud ? `aud ${JSON.stringify(aud)}` : true);
      }),
  },
  {
    id: "IAM-OIDC-SUBJECT",
    mirrors: ["CKV_AWS_358"],
    resourceType: "aws_iam_role (assume_role_policy)",
    message: "the GitHub OIDC trust does not limit the subject to exact workflows of one repository: other repositories, branches, pull requests or environments can assume the role",
    fix: 'trust exact subjects with StringEquals, e.g. "repo:OWNER/REPO:environment:production" or the immutable "repo:OWNER@ID/REPO@ID:ref:refs/heads/main"; never a wildcard',
    check: (view) =>
      perStatement(view, ["trust"], (s, _doc, v) => {
        if (s.effect !== "Allow" || !isGithubTrust(s, v)) return false;
        const sub = conditionValues(s, `${GITHUB}:sub`, ["StringEquals", "StringLike", "ForAnyValue:StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringEquals", "ForAllValues:StringLike"]);
        if (sub === undefined || sub.length === 0) return "no sub condition";
        const loose = sub.filter((x) => !GITHUB_SUBJECT.test(x));
        return loose.length > 0 && `sub ${few(loose.map((x) => JSON.stringify(x)))}`;
      }),
  },
  {
    id: "IAM-SERVICE-TRUST-SOURCE",
    mirrors: ["prowler:iam_role_cross_service_confused_deputy_prevention"],
    resourceType: "aws_iam_role (assume_role_policy)",
    message: "the role trusts an AWS service without aws:SourceAccount or aws:SourceArn: the service could be made to act for another account (confused deputy)",
    fix: 'add Condition StringEquals { "aws:SourceAccount" = "<account id>" } (or ArnLike aws:SourceArn) to the service trust',
    check: (view) =>
      perStatement(view, ["trust"], (s) => {
        if (s.effect !== "Allow") return false;
        const services = (s.principals.Service ?? []).filter((x) => SOURCE_CONDITION_SERVICES.includes(x));
        const pinned = Object.values(s.conditions).some((keys) => Object.keys(keys).some((k) => SOURCE_KEYS.has(k.toLowerCase())));
        return services.length > 0 && !pinned && services.join(", ");
      }),
  },
  {
    id: "IAM-NO-ADMIN-MANAGED-POLICY",
    mirrors: ["CKV_AWS_274", "CKV2_AWS_56"],
    resourceType: "aws_iam_role_policy_attachment, aws_iam_user_policy_attachment, aws_iam_group_policy_attachment, aws_iam_policy_attachment, aws_iam_role",
    message: "an administrator managed policy (AdministratorAccess, IAMFullAccess or PowerUserAccess) is attached",
    fix: "attach a policy with only the actions the principal needs",
    check: (view) => [
      ...hits(
        view.resources("aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment", "aws_iam_policy_attachment"),
        (a) => typeof a.body.policy_arn === "string" && ADMIN_POLICIES.test(a.body.policy_arn) && a.body.policy_arn
      ),
      ...hits(view.resources("aws_iam_role"), (r) => {
        const admin = strings(r.body.managed_policy_arns).filter((p) => ADMIN_POLICIES.test(p));
        return admin.length > 0 && admin.join(", ");
      }),
    ],
  },
];
