/**
 * Rules that keep the hardening of issue 12 from regressing: permissions boundaries on service
 * roles and on the deploy role's IAM writes, alarm topics CloudWatch can really publish to, no
 * secret value within reach of a pull request, a year of log retention.
 */
import { actionCovers, documents, readDocument, type IamStatement } from "../iam";
import { num, referencesIn } from "../terraform";
import type { PolicyRule, RuleHit, StackView, TfResource } from "../types";
import { hits } from "./util";

const GITHUB = "token.actions.githubusercontent.com";

/** Role writes that decide what a role may do: each must carry `iam:PermissionsBoundary`. */
const BOUNDED_ROLE_WRITES = ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"];
/** Actions that return a secret value, or decrypt one. */
const SECRET_READS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory", "secretsmanager:GetSecretValue", "kms:Decrypt"];

const grants = (s: IamStatement, action: string) =>
  s.effect === "Allow" && (s.notActions.length > 0 ? !s.notActions.some((a) => actionCovers(a, action)) : s.actions.some((a) => actionCovers(a, action)));
const conditionKeys = (s: IamStatement) => Object.values(s.conditions).flatMap((keys) => Object.keys(keys).map((k) => k.toLowerCase()));

function trustOf(view: StackView, role: TfResource): IamStatement[] {
  return readDocument(view, role.body.assume_role_policy) ?? [];
}

/** Every identity statement that applies to `role`: inline policies, its inline_policy blocks, and attached customer-managed policies. */
function identityStatementsOf(view: StackView, role: TfResource): IamStatement[] {
  const refersToRole = (v: unknown) => referencesIn(v).has(role.address) || (typeof v === "string" && v === role.body.name);
  const attachedPolicies = new Set(
    view
      .resources("aws_iam_role_policy_attachment")
      .filter((a) => refersToRole(a.body.role))
      .flatMap((a) => [...referencesIn(a.body.policy_arn)]),
  );
  return documents(view)
    .filter((d) => d.kind === "identity")
    .filter((d) => (d.resource.type === "aws_iam_role" ? d.resource.address === role.address : d.resource.type === "aws_iam_role_policy" ? refersToRole(d.resource.body.role) : attachedPolicies.has(d.resource.address)))
    .flatMap((d) => d.statements ?? []);
}

/** The GitHub subjects a role trusts, when it trusts GitHub Actions. */
function githubSubjects(view: StackView, role: TfResource): string[] {
  return trustOf(view, role)
    .filter((s) => s.effect === "Allow")
    .flatMap((s) => Object.values(s.conditions).flatMap((keys) => Object.entries(keys).filter(([k]) => k === `${GITHUB}:sub`).flatMap(([, v]) => v)));
}

/** Topics that alarms act on (alarm, OK or insufficient-data actions). */
function alarmTopics(view: StackView): TfResource[] {
  const targeted = new Set(
    view.resources("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm").flatMap((a) => [...referencesIn([a.body.alarm_actions, a.body.ok_actions, a.body.insufficient_data_actions])]),
  );
  return view.resources("aws_sns_topic").filter((t) => targeted.has(t.address));
}

export const HARDENING_RULES: PolicyRule[] = [
  {
    id: "IAM-ROLE-BOUNDARY",
    mirrors: [],
    resourceType: "aws_iam_role",
    message: "a role trusted by an AWS service has no permissions boundary: whoever can write its policies can give it anything",
    fix: "set permissions_boundary to the environment's boundary policy (lib/boundary.ts; every role the stack creates carries it)",
    check: (view) =>
      hits(view.resources("aws_iam_role"), (r) => {
        const services = trustOf(view, r).flatMap((s) => (s.effect === "Allow" ? (s.principals.Service ?? []) : []));
        return services.length > 0 && !(typeof r.body.permissions_boundary === "string" && r.body.permissions_boundary !== "") && services.join(", ");
      }),
  },
  {
    id: "IAM-ROLE-WRITE-BOUNDARY",
    mirrors: [],
    resourceType: "aws_iam_role_policy, aws_iam_policy, aws_iam_role (inline_policy)",
    message: "the policy lets its holder create roles or write role policies without requiring the permissions boundary (iam:PermissionsBoundary), or remove a boundary",
    fix: 'condition every Allow of iam:CreateRole, iam:PutRolePolicy, iam:AttachRolePolicy and iam:PutRolePermissionsBoundary on StringEquals { "iam:PermissionsBoundary" = <boundary ARN> }, and allow no iam:DeleteRolePermissionsBoundary',
    check: (view) =>
      documents(view)
        .filter((d) => d.kind === "identity")
        .flatMap((doc) =>
          (doc.statements ?? []).flatMap((s): RuleHit[] => {
            const unbounded = BOUNDED_ROLE_WRITES.filter((a) => grants(s, a)).filter(() => !conditionKeys(s).includes("iam:permissionsboundary"));
            const removes = grants(s, "iam:DeleteRolePermissionsBoundary") ? ["iam:DeleteRolePermissionsBoundary"] : [];
            const bad = [...unbounded, ...removes];
            return bad.length > 0 ? [{ resource: doc.resource, part: `${doc.partPrefix}${s.id}`, detail: bad.join(", ") }] : [];
          }),
        ),
  },
  {
    id: "SNS-ALARM-KEY",
    mirrors: ["AVD-AWS-0136"],
    resourceType: "aws_sns_topic",
    message: "CloudWatch cannot deliver this topic's alarms: its key is not a customer-managed key of the stack whose policy lets cloudwatch.amazonaws.com use it for this account only, or its topic policy does not pin aws:SourceAccount",
    fix: "encrypt the alarm topic with a stack aws_kms_key whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* with aws:SourceAccount, and pin aws:SourceAccount in the topic policy (lib/observability.ts)",
    check: (view) =>
      hits(alarmTopics(view), (t) => {
        const keys = [...referencesIn(t.body.kms_master_key_id)].map((a) => view.resource(a)).filter((r): r is TfResource => r?.type === "aws_kms_key");
        if (keys.length === 0) return `kms_master_key_id ${JSON.stringify(t.body.kms_master_key_id ?? "none")} is not a key of the stack`;
        const usable = keys.some((k) => {
          const cw = (readDocument(view, k.body.policy) ?? []).filter((s) => s.effect === "Allow" && (s.principals.Service ?? []).includes("cloudwatch.amazonaws.com"));
          const pinned = cw.filter((s) => conditionKeys(s).includes("aws:sourceaccount"));
          return ["kms:Decrypt", "kms:GenerateDataKey"].every((a) => pinned.some((s) => grants(s, a)));
        });
        if (!usable) return "the key policy does not let cloudwatch.amazonaws.com of this account use it";
        const topicPolicies = view.referrers(t.address, "aws_sns_topic_policy").flatMap((p) => readDocument(view, p.body.policy) ?? []);
        const loose = topicPolicies.filter((s) => s.effect === "Allow" && (s.principals.Service ?? []).length > 0 && !conditionKeys(s).includes("aws:sourceaccount"));
        return loose.length > 0 && `topic policy ${loose.map((s) => s.id).join(", ")} has no aws:SourceAccount`;
      }),
  },
  {
    id: "SECRETS-NO-PR-READ",
    mirrors: [],
    resourceType: "aws_iam_role",
    message: "a role a pull request can assume may read or decrypt secret values",
    fix: "grant the pull-request (plan) role no ssm:GetParameter*, secretsmanager:GetSecretValue or kms:Decrypt; keep secrets out of Terraform (lib/secrets.ts) so a plan never needs them",
    check: (view) =>
      hits(view.resources("aws_iam_role"), (r) => {
        if (!githubSubjects(view, r).some((sub) => sub.endsWith(":pull_request"))) return false;
        const reads = SECRET_READS.filter((a) => identityStatementsOf(view, r).some((s) => grants(s, a)));
        return reads.length > 0 && reads.join(", ");
      }),
  },
  {
    id: "LOGS-RETENTION-YEAR",
    mirrors: ["CKV_AWS_338"],
    resourceType: "aws_cloudwatch_log_group",
    message: "the log group keeps logs for less than a year (the usual audit floor)",
    fix: "set retention_in_days to 365 or more (log_retention_in_days, flow_log_retention_in_days; prod's default is 365)",
    check: (view) =>
      hits(view.resources("aws_cloudwatch_log_group"), (g) => {
        const days = num(g.body.retention_in_days);
        return days !== undefined && days > 0 && days < 365 && `${days} days`;
      }),
  },
];
