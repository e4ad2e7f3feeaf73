import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { EcsRoles, type EcsRolesProps } from "../lib/ecs-roles";
import { GithubOidc, type GithubOidcProps } from "../lib/github-oidc";
import { resourcesOf, synthWith } from "./support/scope";

const ecsBase: EcsRolesProps = {
  namePrefix: "svc-dev",
  ecrRepositoryArn: "arn:aws:ecr:eu-west-1:111111111111:repository/svc-dev",
  logGroupArns: ["arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/svc-dev/blue"],
  secretParameterArns: ["arn:aws:ssm:eu-west-1:111111111111:parameter/svc/dev/DATABASE_URL"],
};
const ghBase: GithubOidcProps = {
  namePrefix: "svc-dev",
  region: "eu-west-1",
  repository: "acme/webapp",
  deployRefs: ["refs/heads/main"],
  ecrRepositoryArn: "arn:aws:ecr:eu-west-1:111111111111:repository/svc-dev",
  passRoleArns: ["arn:aws:iam::111111111111:role/svc-dev-task-execution", "arn:aws:iam::111111111111:role/svc-dev-task"],
  ssmParameterPath: "/svc/dev",
  scopeTagKey: "Stack",
  scopeTagValue: "svc-dev",
  stateBucket: "acme-tf-state",
};

interface Stmt {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const roleByName = (s: string, name: string) => Object.values(resourcesOf(s, "aws_iam_role")).find((r) => r.name === name);
const inlinePolicies = (s: string) => Object.values(resourcesOf(s, "aws_iam_role_policy")).map((p) => ({ role: p.role, doc: JSON.parse(p.policy) }));
const statements = (s: string): Stmt[] => inlinePolicies(s).flatMap((p) => p.doc.Statement);
const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);
const READ = /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*$/;
/** Writes AWS offers no resource-level permission or condition key for; each is commented in lib/. */
const UNSCOPABLE = ["ecr:GetAuthorizationToken", "ecs:DeregisterTaskDefinition", "sts:GetCallerIdentity"];

/** The least-privilege rules of the policy checks, walked over every statement. */
function expectLeastPrivilege(all: Stmt[]) {
  for (const st of all) {
    const actions = list(st.Action);
    expect(actions).not.toContain("*");
    expect(actions.filter((a) => /^[a-z0-9-]+:\*$/.test(a))).toEqual([]);
    const writes = actions.filter((a) => !READ.test(a) && !UNSCOPABLE.includes(a));
    if (list(st.Resource).includes("*") && writes.length > 0) {
      // A write on "*" is allowed only behind a scoping condition.
      expect({ sid: st.Sid, condition: st.Condition }).toEqual({ sid: st.Sid, condition: expect.any(Object) });
    }
    if (actions.includes("iam:PassRole")) {
      expect(list(st.Resource)).not.toContain("*");
      expect(st.Condition?.StringEquals?.["iam:PassedToService"]).toBeDefined();
    }
  }
}

describe("EcsRoles", () => {
  test("execution role: pull from the one repository, write its log streams, read exactly its parameters", () => {
    const s = synthWith((sc) => new EcsRoles(sc, "roles", ecsBase));
    const exec = roleByName(s, "svc-dev-task-execution");
    expect(JSON.parse(exec.assume_role_policy).Statement[0].Principal).toEqual({ Service: "ecs-tasks.amazonaws.com" });
    const all = statements(s);
    expect(all.find((x) => x.Sid === "EcrPull")!.Resource).toEqual([ecsBase.ecrRepositoryArn]);
    expect(all.find((x) => x.Sid === "Logs")!.Resource).toEqual([`${ecsBase.logGroupArns[0]}:log-stream:*`]);
    expect(all.find((x) => x.Sid === "Secrets")).toEqual(expect.objectContaining({ Action: ["ssm:GetParameters"], Resource: ecsBase.secretParameterArns }));
    expect(all.some((x) => list(x.Action).includes("kms:Decrypt"))).toBe(false);
    expectLeastPrivilege(all);
  });

  test("task role is distinct from the execution role and has no permissions", () => {
    const s = synthWith((sc) => new EcsRoles(sc, "roles", ecsBase));
    const roles = resourcesOf(s, "aws_iam_role");
    const taskKey = Object.keys(roles).find((k) => roles[k].name === "svc-dev-task")!;
    expect(roles[taskKey].name).not.toBe("svc-dev-task-execution");
    expect(inlinePolicies(s).filter((p) => p.role.includes(taskKey))).toEqual([]);
    expect(Object.values(resourcesOf(s, "aws_iam_role_policy_attachment")).filter((a) => a.role.includes(taskKey))).toEqual([]);
  });

  test("instance role: the ECS agent policy, no Session Manager by default; profile wraps it", () => {
    const s = synthWith((sc) => new EcsRoles(sc, "roles", ecsBase));
    const arns = Object.values(resourcesOf(s, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn);
    expect(arns).toEqual(["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"]);
    expect(Object.values(resourcesOf(s, "aws_iam_instance_profile"))[0].name).toBe("svc-dev-instance");
  });

  test("overrides: KMS key grant, no secrets, Session Manager", () => {
    const s = synthWith(
      (sc) => new EcsRoles(sc, "roles", { ...ecsBase, secretParameterArns: [], secretsKmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k", enableSsmSessionManager: true }),
    );
    const all = statements(s);
    expect(all.some((x) => x.Sid === "Secrets")).toBe(false);
    expect(all.find((x) => x.Sid === "SecretsKey")!.Resource).toEqual(["arn:aws:kms:eu-west-1:1:key/k"]);
    expect(Object.values(resourcesOf(s, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn)).toContain("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
  });

  test("throws when there is no log group", () => {
    expect(() => synthWith((sc) => new EcsRoles(sc, "roles", { ...ecsBase, logGroupArns: [] }))).toThrow(/logGroupArns is empty/);
  });
});

describe("GithubOidc", () => {
  const synth = (props: Partial<GithubOidcProps> = {}) => synthWith((sc) => new GithubOidc(sc, "gh", { ...ghBase, ...props }));
  const trust = (s: string, name: string) => JSON.parse(roleByName(s, name).assume_role_policy).Statement[0];

  test("creates the provider for sts.amazonaws.com without a thumbprint", () => {
    const s = synth();
    expect(s).toHaveResourceWithProperties(IamOpenidConnectProvider, { url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] });
    expect(Object.values(resourcesOf(s, "aws_iam_openid_connect_provider"))[0]).not.toHaveProperty("thumbprint_list");
  });

  test("plan role trusts pull requests of the repository only, aud pinned, exact subjects", () => {
    const t = trust(synth(), "svc-dev-github-plan");
    expect(t.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(t.Principal).toEqual({ Federated: expect.stringMatching(/aws_iam_openid_connect_provider/) });
    expect(t.Condition).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": ["repo:acme/webapp:pull_request"] },
    });
  });

  test("deploy role trusts exactly the refs and environments", () => {
    const s = synth({ deployRefs: ["refs/heads/main"], deployEnvironments: ["production"] });
    expect(trust(s, "svc-dev-github-deploy").Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toEqual([
      "repo:acme/webapp:ref:refs/heads/main",
      "repo:acme/webapp:environment:production",
    ]);
  });

  test("the immutable subject form is used as given", () => {
    const s = synth({ subjectPrefix: "repo:acme@1234/webapp@5678", deployRefs: [], deployEnvironments: ["production"] });
    expect(trust(s, "svc-dev-github-deploy").Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toEqual(["repo:acme@1234/webapp@5678:environment:production"]);
    expect(trust(s, "svc-dev-github-plan").Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toEqual(["repo:acme@1234/webapp@5678:pull_request"]);
  });

  test("plan role is read-only: no write action but the state lock file", () => {
    const s = synth();
    const planKey = Object.keys(resourcesOf(s, "aws_iam_role")).find((k) => resourcesOf(s, "aws_iam_role")[k].name === "svc-dev-github-plan")!;
    const planStatements: Stmt[] = inlinePolicies(s).filter((p) => p.role.includes(planKey)).flatMap((p) => p.doc.Statement);
    const writes = planStatements.flatMap((st) => list(st.Action).filter((a) => !READ.test(a) && a !== "sts:GetCallerIdentity").map((a) => `${a} ${list(st.Resource).join(",")}`));
    expect(writes.sort()).toEqual(["s3:DeleteObject arn:aws:s3:::acme-tf-state/*.tflock", "s3:PutObject arn:aws:s3:::acme-tf-state/*.tflock"]);
  });

  test("deploy role: every write is scoped; PassRole only on the given roles to ECS and EC2; push only to the repository", () => {
    const s = synth();
    const all = statements(s);
    expectLeastPrivilege(all);
    const pass = all.find((st) => list(st.Action).includes("iam:PassRole"))!;
    expect(pass.Resource).toEqual(ghBase.passRoleArns);
    expect(pass.Condition).toEqual({ StringEquals: { "iam:PassedToService": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"] } });
    const push = all.find((st) => list(st.Action).includes("ecr:PutImage"))!;
    expect(push.Resource).toEqual([ghBase.ecrRepositoryArn]);
    // creates without resource-level permissions carry the stack tag or name the stack's cluster
    expect(all.find((st) => list(st.Action).includes("ecs:CreateCluster"))!.Condition).toEqual({ StringEquals: { "aws:RequestTag/Stack": "svc-dev" } });
    expect(all.find((st) => list(st.Action).includes("ecs:CreateService"))!.Condition).toEqual({ ArnLike: { "ecs:cluster": "arn:aws:ecs:eu-west-1:*:cluster/svc-dev" } });
    expect(all.find((st) => list(st.Action).includes("ec2:RunInstances"))!.Condition).toMatchObject({ Bool: { "ec2:IsLaunchTemplateResource": "true" } });
    const ec2 = all.find((st) => st.Sid === "Ec2ChangeTagged")!;
    expect(ec2.Condition).toEqual({ StringEquals: { "aws:ResourceTag/Stack": "svc-dev" } });
    for (const st of all) expect(JSON.stringify(st.Principal ?? "")).not.toContain("*");
  });

  test("override: an existing provider by ARN, no provider created", () => {
    const arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com";
    const s = synth({ createProvider: false, providerArn: arn });
    expect(s).not.toHaveResource(IamOpenidConnectProvider);
    expect(trust(s, "svc-dev-github-plan").Principal).toEqual({ Federated: arn });
  });

  test.each([
    [{ deployRefs: ["refs/heads/*"] }, /contains a wildcard/],
    [{ planSubjects: ["ref:refs/heads/feature-?"] }, /contains a wildcard/],
    [{ deployRefs: [], deployEnvironments: [] }, /nobody could assume the deploy role/],
    [{ createProvider: false }, /providerArn is required when createProvider is false/],
    [{ repository: "webapp" }, /repository must be owner\/repo, got "webapp"/],
    [{ subjectPrefix: "acme/webapp" }, /subjectPrefix must start with "repo:"/],
  ])("throws when %j", (props, message) => {
    expect(() => synth(props as Partial<GithubOidcProps>)).toThrow(message);
  });
});

describe("the least-privilege walk itself", () => {
  test.each([
    [{ Effect: "Allow", Action: ["s3:PutObject"], Resource: "*" }],
    [{ Effect: "Allow", Action: ["*"], Resource: ["arn:aws:s3:::b"] }],
    [{ Effect: "Allow", Action: ["ec2:*"], Resource: ["arn:aws:ec2:::x"] }],
    [{ Effect: "Allow", Action: ["iam:PassRole"], Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } }],
  ])("rejects %j", (st) => {
    expect(() => expectLeastPrivilege([st as Stmt])).toThrow();
  });
});
