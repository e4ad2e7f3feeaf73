import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { EcsRoles, type EcsRolesProps } from "../lib/ecs-roles";
import { resourcesOf, synthWith } from "./support/scope";

const REPO = "arn:aws:ecr:eu-west-1:111111111111:repository/svc-dev";
const LOG_BLUE = "arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/svc-dev/blue";
const LOG_GREEN = "arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/svc-dev/green";
const SECRET_DB = "arn:aws:ssm:eu-west-1:111111111111:parameter/svc/dev/DATABASE_URL";
const SECRET_KEY = "arn:aws:ssm:eu-west-1:111111111111:parameter/svc/dev/API_KEY";
const KMS = "arn:aws:kms:eu-west-1:111111111111:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const ECS_AGENT_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
const SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
const BOUNDARY = "arn:aws:iam::111111111111:policy/svc-dev-boundary";
/** The ECS tasks trust, pinned to the stack's account and region (confused deputy). */
const TASKS_TRUST = [
  {
    Effect: "Allow",
    Principal: { Service: "ecs-tasks.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": "111111111111" }, ArnLike: { "aws:SourceArn": "arn:aws:ecs:eu-west-1:111111111111:*" } },
  },
];

const base: EcsRolesProps = {
  namePrefix: "svc-dev",
  ecrRepositoryArn: REPO,
  logGroupArns: [LOG_BLUE, LOG_GREEN],
  secretParameterArns: [SECRET_DB, SECRET_KEY],
  region: "eu-west-1",
  accountId: "111111111111",
  permissionsBoundaryArn: BOUNDARY,
};

interface Stmt {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);
const READ = /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*$/;

/** The synthesized roles by name, with their trust, inline statements and managed policy ARNs. */
function rolesOf(synth: string) {
  const roles = resourcesOf(synth, "aws_iam_role");
  const inline = Object.values(resourcesOf(synth, "aws_iam_role_policy"));
  const attachments = Object.values(resourcesOf(synth, "aws_iam_role_policy_attachment"));
  const byName: Record<string, { key: string; trust: { Statement: Stmt[] }; statements: Stmt[]; managed: string[]; boundary?: string }> = {};
  for (const [key, role] of Object.entries(roles)) {
    const ref = (v: string) => v === `\${aws_iam_role.${key}.id}` || v === `\${aws_iam_role.${key}.name}`;
    byName[role.name] = {
      key,
      trust: JSON.parse(role.assume_role_policy),
      boundary: role.permissions_boundary,
      // every route to a permission: role policies, attachments, and the role's own
      // inline_policy / managed_policy_arns arguments
      statements: [...inline.filter((p) => ref(p.role)), ...(role.inline_policy ?? [])].flatMap((p) => JSON.parse(p.policy).Statement as Stmt[]),
      managed: [...attachments.filter((a) => ref(a.role)).map((a) => a.policy_arn), ...(role.managed_policy_arns ?? [])],
    };
  }
  return byName;
}

/** Walks every statement: no `*` or `service:*` action, no `*` principal, writes on "*" only where listed. */
function expectLeastPrivilege(statements: Stmt[], writesAllowedOnStar: readonly string[]) {
  for (const st of statements) {
    const actions = list(st.Action);
    expect(actions).not.toContain("*");
    expect(actions.filter((a) => /^[a-z0-9-]+:\*$/.test(a) || a === "*:*")).toEqual([]);
    expect(JSON.stringify(st.Principal ?? "")).not.toMatch(/\*/);
    if (st.Effect === "Allow" && list(st.Resource).includes("*")) {
      expect({ sid: st.Sid, writesOnStar: actions.filter((a) => !READ.test(a) && !writesAllowedOnStar.includes(a)) }).toEqual({ sid: st.Sid, writesOnStar: [] });
    }
  }
}

describe("EcsRoles", () => {
  test("defaults: execution role pulls from the one repository, writes its log streams, reads exactly its secrets", () => {
    const roles = rolesOf(synthWith((s) => new EcsRoles(s, "roles", base)));
    const exec = roles["svc-dev-task-execution"];
    expect(exec.trust.Statement).toEqual(TASKS_TRUST);
    expect(exec.boundary).toBe(BOUNDARY);
    const bySid = Object.fromEntries(exec.statements.map((st) => [st.Sid, st]));
    expect(Object.keys(bySid).sort()).toEqual(["EcrLogin", "EcrPull", "Logs", "Secrets"]);
    expect(bySid.EcrLogin).toEqual({ Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" });
    expect(bySid.EcrPull.Resource).toEqual([REPO]);
    expect(bySid.Logs).toEqual(
      expect.objectContaining({ Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${LOG_BLUE}:log-stream:*`, `${LOG_GREEN}:log-stream:*`] }),
    );
    expect(bySid.Secrets).toEqual(expect.objectContaining({ Action: ["ssm:GetParameters"], Resource: [SECRET_DB, SECRET_KEY] }));
    expect(exec.statements.flatMap((st) => list(st.Action)).filter((a) => a.startsWith("kms:"))).toEqual([]);
    // not the broad managed policy
    expect(exec.managed).toEqual([]);
    expectLeastPrivilege(exec.statements, ["ecr:GetAuthorizationToken"]);
  });

  test("defaults: the task role is a distinct role with no permissions at all", () => {
    const synth = synthWith((s) => new EcsRoles(s, "roles", base));
    const roles = rolesOf(synth);
    const task = roles["svc-dev-task"];
    expect(task.key).not.toBe(roles["svc-dev-task-execution"].key);
    expect(task.trust.Statement).toEqual(TASKS_TRUST);
    expect(task.boundary).toBe(BOUNDARY);
    expect(task.statements).toEqual([]);
    expect(task.managed).toEqual([]);
    // nothing in the stack attaches policies to it by another route
    expect(JSON.stringify(resourcesOf(synth, "aws_iam_policy_attachment"))).toBe("{}");
  });

  test("defaults: instance role trusts EC2, has the ECS agent policy and no Session Manager; the profile wraps it", () => {
    const synth = synthWith((s) => new EcsRoles(s, "roles", base));
    const instance = rolesOf(synth)["svc-dev-instance"];
    expect(instance.trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    expect(instance.managed).toEqual([ECS_AGENT_POLICY]);
    expect(instance.boundary).toBe(BOUNDARY);
    expect(instance.statements).toEqual([]);
    expect(synth).toHaveResourceWithProperties(IamInstanceProfile, { name: "svc-dev-instance", role: `\${aws_iam_role.${instance.key}.name}` });
    expect(Object.keys(rolesOf(synth)).sort()).toEqual(["svc-dev-instance", "svc-dev-task", "svc-dev-task-execution"]);
  });

  test("override: secretsKmsKeyArn grants kms:Decrypt on that key only, through SSM only", () => {
    const exec = rolesOf(synthWith((s) => new EcsRoles(s, "roles", { ...base, secretsKmsKeyArn: KMS })))["svc-dev-task-execution"];
    const kms = exec.statements.filter((st) => list(st.Action).some((a) => a.startsWith("kms:")));
    expect(kms).toEqual([{ Sid: "SecretsKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KMS], Condition: { StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" } } }]);
  });

  test("override: no secrets, no SSM permission", () => {
    const exec = rolesOf(synthWith((s) => new EcsRoles(s, "roles", { ...base, secretParameterArns: [] })))["svc-dev-task-execution"];
    expect(exec.statements.map((st) => st.Sid).sort()).toEqual(["EcrLogin", "EcrPull", "Logs"]);
    expect(exec.statements.flatMap((st) => list(st.Action)).filter((a) => a.startsWith("ssm:"))).toEqual([]);
  });

  test("override: enableSsmSessionManager attaches AmazonSSMManagedInstanceCore to the instance role only", () => {
    const roles = rolesOf(synthWith((s) => new EcsRoles(s, "roles", { ...base, enableSsmSessionManager: true })));
    expect(roles["svc-dev-instance"].managed.sort()).toEqual([ECS_AGENT_POLICY, SSM_CORE_POLICY].sort());
    expect(roles["svc-dev-task"].managed).toEqual([]);
    expect(roles["svc-dev-task-execution"].managed).toEqual([]);
  });

  test("override: partition names the managed policies", () => {
    const roles = rolesOf(synthWith((s) => new EcsRoles(s, "roles", { ...base, partition: "aws-cn", enableSsmSessionManager: true })));
    expect(roles["svc-dev-instance"].managed.sort()).toEqual([
      "arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore",
      "arn:aws-cn:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    ]);
  });

  test("references to other resources (tokens) are taken as given", () => {
    const synth = synthWith((s) => {
      const roles = new EcsRoles(s, "first", base);
      new EcsRoles(s, "second", { ...base, namePrefix: "svc-test", ecrRepositoryArn: roles.taskRole.arn, logGroupArns: [roles.instanceRole.arn], secretParameterArns: [roles.executionRole.arn] });
    });
    const exec = rolesOf(synth)["svc-test-task-execution"];
    expect(exec.statements.find((st) => st.Sid === "Logs")!.Resource).toEqual([expect.stringMatching(/^\$\{aws_iam_role\.first_instance_[A-Z0-9]+\.arn\}:log-stream:\*$/)]);
  });

  test.each<[string, Partial<EcsRolesProps>, RegExp]>([
    ["logGroupArns is empty", { logGroupArns: [] }, /logGroupArns is empty/],
    ["a log group ARN ends with :*", { logGroupArns: [`${LOG_BLUE}:*`] }, /logGroupArns must be one exact ARN .* got ".*blue:\*"/],
    ["the repository ARN has a wildcard", { ecrRepositoryArn: "arn:aws:ecr:eu-west-1:111111111111:repository/*" }, /ecrRepositoryArn must be one exact ARN/],
    ["a secret ARN has a wildcard", { secretParameterArns: ["arn:aws:ssm:eu-west-1:111111111111:parameter/svc/dev/*"] }, /secretParameterArns must be one exact ARN/],
    ["the KMS key is an alias", { secretsKmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:alias/aws/ssm" }, /secretsKmsKeyArn must be one exact ARN/],
    ["namePrefix has a wildcard", { namePrefix: "svc-*" }, /namePrefix must be lowercase letters, digits and hyphens, at most 49 characters, got "svc-\*"/],
    ["namePrefix is too long for a role name", { namePrefix: "a".repeat(50) }, /namePrefix .* at most 49 characters/],
  ])("throws when %s", (_name, props, message) => {
    expect(() => synthWith((s) => new EcsRoles(s, "roles", { ...base, ...props }))).toThrow(message);
  });
});
