import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { EcsRoles } from "../lib/ecs-roles";
import { GithubOidc, type GithubOidcProps } from "../lib/github-oidc";
import { resourcesOf, synthWith } from "./support/scope";
import { expectValidTerraform } from "./support/terraform";

const REPO = "arn:aws:ecr:eu-west-1:111111111111:repository/svc-dev";
const EXEC_ROLE = "arn:aws:iam::111111111111:role/svc-dev-task-execution";
const TASK_ROLE = "arn:aws:iam::111111111111:role/svc-dev-task";
const INSTANCE_ROLE = "arn:aws:iam::111111111111:role/svc-dev-instance";
const FLOW_LOGS_ROLE = "arn:aws:iam::111111111111:role/svc-dev-vpc-flow-logs";
const PROVIDER_PATTERN = "arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com";
const PARAMETERS = "arn:aws:ssm:eu-west-1:*:parameter/svc/dev/*";
const EXISTING_PROVIDER = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com";
const BOUNDARY = "arn:aws:iam::111111111111:policy/svc-dev-boundary";
/** The AWS managed rule groups a web ACL references (not this stack's, but read-only to it). */
const MANAGED_RULE_GROUPS = "arn:aws:wafv2:eu-west-1:*:regional/managedruleset/*/*";
const AUD = "token.actions.githubusercontent.com:aud";
const SUB = "token.actions.githubusercontent.com:sub";

const base: GithubOidcProps = {
  namePrefix: "svc-dev",
  region: "eu-west-1",
  repository: "acme/webapp",
  deployRefs: ["refs/heads/main"],
  ecrRepositoryArn: REPO,
  passRoleArns: [EXEC_ROLE, TASK_ROLE, INSTANCE_ROLE],
  ssmParameterPath: "/svc/dev",
  scopeTagKey: "Stack",
  scopeTagValue: "svc-dev",
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
interface Role {
  key: string;
  trustText: string;
  trust: Stmt[];
  /** Inline and attached customer-managed statements together: the role's effective rights. */
  statements: Stmt[];
  /** Names of the customer-managed policies attached. */
  managed: string[];
}
const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);
const READ = /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*$/;

/**
 * Writes AWS offers no resource-level permission for, so "*" is the only Resource that works.
 * Each is commented in lib/github-oidc.ts; all but the first two are limited by a Condition.
 */
const WRITES_ON_STAR_UNCONDITIONED = ["ecr:GetAuthorizationToken", "ecs:DeregisterTaskDefinition"];
const WRITES_ON_STAR_CONDITIONED = [
  "ecs:CreateCluster",
  "ecs:CreateCapacityProvider",
  "ecs:RegisterTaskDefinition",
  "ecs:CreateService",
  "application-autoscaling:RegisterScalableTarget",
  "application-autoscaling:DeregisterScalableTarget",
  "application-autoscaling:PutScalingPolicy",
  "application-autoscaling:DeleteScalingPolicy",
  "application-autoscaling:TagResource",
  "application-autoscaling:UntagResource",
  "acm:RequestCertificate",
  "kms:CreateKey",
];

function rolesOf(synth: string): Record<string, Role> {
  const inline = Object.values(resourcesOf(synth, "aws_iam_role_policy"));
  const policies = resourcesOf(synth, "aws_iam_policy");
  const attachments = Object.values(resourcesOf(synth, "aws_iam_role_policy_attachment"));
  return Object.fromEntries(
    Object.entries(resourcesOf(synth, "aws_iam_role")).map(([key, role]) => {
      const attached = attachments
        .filter((a) => a.role === `\${aws_iam_role.${key}.name}`)
        .map((a) => policies[/^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(a.policy_arn)![1]]);
      return [
        role.name,
        {
          key,
          trustText: role.assume_role_policy,
          trust: JSON.parse(role.assume_role_policy).Statement,
          statements: [...inline.filter((p) => p.role === `\${aws_iam_role.${key}.id}`), ...attached, ...(role.inline_policy ?? [])].flatMap((p) => JSON.parse(p.policy).Statement),
          managed: [...attached.map((p) => p.name), ...(role.managed_policy_arns ?? [])],
        },
      ];
    }),
  );
}
const synth = (props: Partial<GithubOidcProps> = {}) => synthWith((s) => new GithubOidc(s, "gh", { ...base, ...props }));
const plan = (s: string) => rolesOf(s)["svc-dev-github-plan"];
const deploy = (s: string) => rolesOf(s)["svc-dev-github-deploy"];
const subjects = (role: Role) => role.trust[0].Condition!.StringEquals[SUB];
const withAction = (role: Role, action: string) => role.statements.filter((st) => st.Effect === "Allow" && list(st.Action).includes(action));

/** Trust: one statement, web identity from the provider only, aud pinned, exact subjects, no wildcard anywhere. */
function expectExactTrust(role: Role, federated: string | RegExp, expectedSubjects: string[]) {
  expect(role.trust).toHaveLength(1);
  const [t] = role.trust;
  expect(t.Effect).toBe("Allow");
  expect(t.Action).toBe("sts:AssumeRoleWithWebIdentity");
  expect(t.Principal).toEqual({ Federated: typeof federated === "string" ? federated : expect.stringMatching(federated) });
  expect(t.Condition).toEqual({ StringEquals: { [AUD]: "sts.amazonaws.com", [SUB]: expectedSubjects } });
  expect(role.trustText).not.toMatch(/[*?]|StringLike/);
}

/**
 * Walks every statement: no `*`, `*:*` or `service:*` action, no principal; an Allow whose
 * Resource is "*" holds only reads and the writes AWS gives no resource-level permission for;
 * every other write names this stack's resources, the given ARNs, or carries a condition;
 * PassRole only on named roles, only to named services.
 */
function expectLeastPrivilege(statements: Stmt[], ours: { prefix: string; arns: string[] }) {
  expect(statements.length).toBeGreaterThan(0);
  for (const st of statements) {
    const actions = list(st.Action);
    const where = { sid: st.Sid };
    expect({ ...where, star: actions.filter((a) => a === "*" || a === "*:*" || /^[a-z0-9-]+:\*$/.test(a)) }).toEqual({ ...where, star: [] });
    expect(st.Principal).toBeUndefined();
    if (st.Effect !== "Allow") continue;
    const writes = actions.filter((a) => !READ.test(a));
    if (writes.length === 0) continue;
    const resources = list(st.Resource);
    if (resources.includes("*")) {
      expect({ ...where, unexpected: writes.filter((a) => ![...WRITES_ON_STAR_UNCONDITIONED, ...WRITES_ON_STAR_CONDITIONED].includes(a)) }).toEqual({ ...where, unexpected: [] });
      if (writes.some((a) => WRITES_ON_STAR_CONDITIONED.includes(a))) expect({ ...where, condition: st.Condition }).toEqual({ ...where, condition: expect.any(Object) });
    } else if (!st.Condition) {
      const foreign = resources.filter((r) => !r.includes(ours.prefix) && !ours.arns.some((a) => r === a || r.startsWith(`${a}/`)));
      expect({ ...where, foreign }).toEqual({ ...where, foreign: [] });
    }
    if (actions.includes("iam:PassRole")) {
      expect({ ...where, passRoleTo: st.Condition?.StringEquals?.["iam:PassedToService"] }).toEqual({ ...where, passRoleTo: expect.anything() });
      expect(resources.every((r) => ours.arns.includes(r))).toBe(true);
    }
  }
}

describe("GithubOidc", () => {
  test("defaults: the provider for sts.amazonaws.com, no thumbprint", () => {
    const s = synth();
    expect(s).toHaveResourceWithProperties(IamOpenidConnectProvider, { url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] });
    const providers = Object.values(resourcesOf(s, "aws_iam_openid_connect_provider"));
    expect(providers).toHaveLength(1);
    expect(providers[0]).not.toHaveProperty("thumbprint_list");
  });

  test("defaults: plan role trusts the repository's pull requests only, aud pinned, StringEquals", () => {
    expectExactTrust(plan(synth()), /^\$\{aws_iam_openid_connect_provider\.gh_provider_[A-Z0-9]+\.arn\}$/, ["repo:acme/webapp:pull_request"]);
  });

  test("defaults: deploy role trusts exactly the deploy ref", () => {
    expectExactTrust(deploy(synth()), /aws_iam_openid_connect_provider/, ["repo:acme/webapp:ref:refs/heads/main"]);
  });

  test("override: deploy refs and environments, each an exact subject", () => {
    const s = synth({ deployRefs: ["refs/heads/main", "refs/tags/v1.2.3"], deployEnvironments: ["production", "staging"] });
    expect(subjects(deploy(s))).toEqual([
      "repo:acme/webapp:ref:refs/heads/main",
      "repo:acme/webapp:ref:refs/tags/v1.2.3",
      "repo:acme/webapp:environment:production",
      "repo:acme/webapp:environment:staging",
    ]);
  });

  test("override: the immutable subject form, on both roles", () => {
    const s = synth({ subjectPrefix: "repo:acme@1234/webapp@5678", deployRefs: [], deployEnvironments: ["production"] });
    expectExactTrust(plan(s), /aws_iam_openid_connect_provider/, ["repo:acme@1234/webapp@5678:pull_request"]);
    expectExactTrust(deploy(s), /aws_iam_openid_connect_provider/, ["repo:acme@1234/webapp@5678:environment:production"]);
  });

  test("override: plan subjects", () => {
    expect(subjects(plan(synth({ planSubjects: ["pull_request", "environment:preview", "pull_request"] })))).toEqual([
      "repo:acme/webapp:pull_request",
      "repo:acme/webapp:environment:preview",
    ]);
  });

  test("override: an existing provider by ARN; none created, nor any right to manage it", () => {
    const s = synth({ createProvider: false, providerArn: EXISTING_PROVIDER });
    expect(s).not.toHaveResource(IamOpenidConnectProvider);
    expectExactTrust(plan(s), EXISTING_PROVIDER, ["repo:acme/webapp:pull_request"]);
    expectExactTrust(deploy(s), EXISTING_PROVIDER, ["repo:acme/webapp:ref:refs/heads/main"]);
    expect(withAction(deploy(s), "iam:CreateOpenIDConnectProvider")).toEqual([]);
    expect(withAction(deploy(synth()), "iam:CreateOpenIDConnectProvider")).toHaveLength(1);
  });

  test("defaults: plan role is read-only, with this stack's IAM and repository; no secret value (no SSM value read, no KMS use); no state rights without a bucket", () => {
    const role = plan(synth());
    const writes = role.statements.filter((st) => st.Effect === "Allow").flatMap((st) => list(st.Action).filter((a) => !READ.test(a)));
    expect(writes).toEqual([]);
    // S3: only the configuration of this stack's access-log buckets, never an object
    expect(role.statements.filter((st) => list(st.Action).some((a) => a.startsWith("s3:"))).map((st) => [st.Sid, st.Resource])).toEqual([["ReadAccessLogBucket", ["arn:aws:s3:::svc-dev-alb-logs-*"]]]);
    expect(role.statements.flatMap((st) => list(st.Action)).filter((a) => a.startsWith("s3:") && !/^s3:Get(Bucket|Lifecycle|Encryption|Accelerate|Replication)/.test(a))).toEqual([]);
    expect(withAction(role, "iam:GetRole")[0].Resource).toEqual([
      "arn:aws:iam::*:role/svc-dev-*",
      "arn:aws:iam::*:instance-profile/svc-dev-*",
      "arn:aws:iam::*:policy/svc-dev-github-*",
      "arn:aws:iam::*:policy/svc-dev-boundary",
      "arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com",
    ]);
    expect(role.managed).toEqual(["svc-dev-github-read"]);
    expect(deploy(synth()).managed.sort()).toEqual(["svc-dev-github-deploy-edge", "svc-dev-github-deploy-network", "svc-dev-github-read"]);
    expect(withAction(role, "ecr:DescribeRepositories")[0].Resource).toEqual([REPO]);
    const actions = role.statements.filter((st) => st.Effect === "Allow").flatMap((st) => list(st.Action));
    expect(actions.filter((a) => /^ssm:GetParameter|^kms:(Decrypt|ReEncrypt|CreateGrant)|^secretsmanager:GetSecretValue/.test(a))).toEqual([]);
    expect(withAction(role, "ssm:DescribeParameters")[0].Resource).toBe("*");
    expect(role.statements.filter((st) => st.Effect === "Deny")).toEqual([{ Sid: "NoRoleChaining", Effect: "Deny", Action: ["sts:AssumeRole"], Resource: "*" }]);
    expectLeastPrivilege(role.statements, { prefix: "svc-dev", arns: [REPO] });
  });

  test("override: stateBucket gives the plan role state reads and the lock file, nothing else to write", () => {
    const role = plan(synth({ stateBucket: "acme-tf-state" }));
    const writes = role.statements.filter((st) => st.Effect === "Allow").flatMap((st) => list(st.Action).filter((a) => !READ.test(a)).map((a) => `${a} ${list(st.Resource).join(",")}`));
    expect(writes.sort()).toEqual(["s3:DeleteObject arn:aws:s3:::acme-tf-state/*.tflock", "s3:PutObject arn:aws:s3:::acme-tf-state/*.tflock"]);
    expect(withAction(role, "s3:GetObject").flatMap((st) => list(st.Resource)).sort()).toEqual(["arn:aws:s3:::acme-tf-state/*", "arn:aws:s3:::acme-tf-state/*.tflock"]);
    expect(withAction(role, "s3:ListBucket")[0].Resource).toEqual(["arn:aws:s3:::acme-tf-state"]);
  });

  test("override: stateKey limits both roles to that state object and its .tflock", () => {
    const s = synth({ stateBucket: "acme-tf-state", stateKey: "svc/dev.tfstate" });
    const s3 = (role: Role) =>
      role.statements
        // every S3 right outside the stack's own access-log buckets (checked in the tests above)
        .filter((st) => !list(st.Resource).every((r) => r.startsWith("arn:aws:s3:::svc-dev-alb-logs-")) && list(st.Action).some((a) => a.startsWith("s3:")))
        .flatMap((st) => list(st.Action).map((a) => `${a} ${list(st.Resource).join(",")}`))
        .sort();
    expect(s3(plan(s))).toEqual([
      "s3:DeleteObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate.tflock",
      "s3:GetObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate",
      "s3:GetObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate.tflock",
      "s3:ListBucket arn:aws:s3:::acme-tf-state",
      "s3:PutObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate.tflock",
    ]);
    expect(s3(deploy(s))).toEqual([
      "s3:DeleteObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate.tflock",
      "s3:GetObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate",
      "s3:GetObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate.tflock",
      "s3:ListBucket arn:aws:s3:::acme-tf-state",
      "s3:PutObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate",
      "s3:PutObject arn:aws:s3:::acme-tf-state/svc/dev.tfstate.tflock",
    ]);
  });

  test("defaults: every deploy write is limited to this stack; PassRole only on the given roles, to ECS and EC2", () => {
    const role = deploy(synth());
    expectLeastPrivilege(role.statements, { prefix: "svc-dev", arns: [REPO, PARAMETERS, EXEC_ROLE, TASK_ROLE, INSTANCE_ROLE, PROVIDER_PATTERN, MANAGED_RULE_GROUPS] });
    const pass = withAction(role, "iam:PassRole");
    expect(pass).toEqual([
      {
        Sid: "PassStackRoles",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [EXEC_ROLE, TASK_ROLE, INSTANCE_ROLE],
        Condition: { StringEquals: { "iam:PassedToService": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"] } },
      },
    ]);
  });

  test("defaults: deploy pushes to the one repository; ECS, ELB, logs, alarms, topic and roles are named by the prefix; it never writes a parameter", () => {
    const role = deploy(synth());
    for (const a of ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]) expect(withAction(role, a).map((st) => st.Resource)).toEqual([[REPO]]);
    const resourcesOfAction = (a: string) => withAction(role, a).flatMap((st) => list(st.Resource));
    expect(resourcesOfAction("ecs:UpdateService")).toEqual([
      "arn:aws:ecs:eu-west-1:*:cluster/svc-dev",
      "arn:aws:ecs:eu-west-1:*:capacity-provider/svc-dev",
      "arn:aws:ecs:eu-west-1:*:service/svc-dev/svc-dev-*",
      "arn:aws:ecs:eu-west-1:*:task-definition/svc-dev-*:*",
    ]);
    expect(resourcesOfAction("elasticloadbalancing:ModifyRule")).toEqual([
      "arn:aws:elasticloadbalancing:eu-west-1:*:loadbalancer/app/svc-dev/*",
      "arn:aws:elasticloadbalancing:eu-west-1:*:targetgroup/svc-dev-*/*",
      "arn:aws:elasticloadbalancing:eu-west-1:*:listener/app/svc-dev/*",
      "arn:aws:elasticloadbalancing:eu-west-1:*:listener-rule/app/svc-dev/*",
    ]);
    expect(resourcesOfAction("logs:CreateLogGroup")).toEqual(["arn:aws:logs:eu-west-1:*:log-group:/ecs/svc-dev/*", "arn:aws:logs:eu-west-1:*:log-group:/vpc/svc-dev/*"]);
    expect(resourcesOfAction("cloudwatch:PutMetricAlarm")).toEqual(["arn:aws:cloudwatch:eu-west-1:*:alarm:svc-dev-*", "arn:aws:cloudwatch::*:dashboard/svc-dev"]);
    expect(resourcesOfAction("sns:CreateTopic")).toEqual(["arn:aws:sns:eu-west-1:*:svc-dev-*"]);
    expect(resourcesOfAction("ssm:PutParameter")).toEqual([]);
    expect(resourcesOfAction("iam:PutRolePolicy")).toEqual(["arn:aws:iam::*:role/svc-dev-*"]);
    expect(withAction(role, "iam:PutRolePolicy")[0].Condition).toEqual({ StringEquals: { "iam:PermissionsBoundary": BOUNDARY } });
    expect(resourcesOfAction("iam:UpdateAssumeRolePolicy")).toEqual([]);
    expect(resourcesOfAction("autoscaling:UpdateAutoScalingGroup")).toEqual(["arn:aws:autoscaling:eu-west-1:*:autoScalingGroup:*:autoScalingGroupName/svc-dev-*"]);
    expect(withAction(role, "iam:AttachRolePolicy")[0].Condition).toEqual({
      ArnLike: { "iam:PolicyARN": ["arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"] },
      StringEquals: { "iam:PermissionsBoundary": BOUNDARY },
    });
  });

  test("defaults: EC2 networking is created only with the stack tag and changed only when it carries it", () => {
    const role = deploy(synth());
    const only = (sid: string) => role.statements.find((st) => st.Sid === sid)!;
    for (const a of ["ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateNatGateway", "ec2:AllocateAddress", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateLaunchTemplate"]) {
      expect(withAction(role, a).map((st) => st.Sid)).toEqual(["Ec2CreateTagged"]);
    }
    expect(only("Ec2CreateTagged").Condition).toEqual({ StringEquals: { "aws:RequestTag/Stack": "svc-dev" } });
    for (const a of ["ec2:DeleteVpc", "ec2:DeleteSubnet", "ec2:CreateRoute", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "ec2:CreateLaunchTemplateVersion", "ec2:DeleteTags"]) {
      expect(withAction(role, a).map((st) => st.Sid)).toEqual(["Ec2ChangeTagged"]);
    }
    expect(only("Ec2ChangeTagged").Condition).toEqual({ StringEquals: { "aws:ResourceTag/Stack": "svc-dev" } });
    expect(only("Ec2TagOnCreate").Condition).toEqual({ StringEquals: { "ec2:CreateAction": expect.arrayContaining(["CreateVpc", "CreateSecurityGroup"]) } });
    expect(only("Ec2AdoptDefaultSecurityGroup")).toEqual(
      expect.objectContaining({ Resource: ["arn:aws:ec2:eu-west-1:*:security-group/*"], Condition: { StringEquals: { "aws:RequestTag/Stack": "svc-dev" }, Null: { "aws:ResourceTag/Stack": "true" } } }),
    );
    expect(only("EcsCreateTagged").Condition).toEqual({ StringEquals: { "aws:RequestTag/Stack": "svc-dev" } });
    expect(only("EcsCreateService").Condition).toEqual({ ArnLike: { "ecs:cluster": "arn:aws:ecs:eu-west-1:*:cluster/svc-dev" } });
    expect(only("LaunchFromTemplate").Condition).toEqual({ ArnLike: { "ec2:LaunchTemplate": "arn:aws:ec2:eu-west-1:*:launch-template/*" }, Bool: { "ec2:IsLaunchTemplateResource": "true" } });
  });

  test("defaults: the deploy role cannot change the GitHub roles nor chain into another role", () => {
    const denies = deploy(synth()).statements.filter((st) => st.Effect === "Deny");
    expect(denies.map((st) => st.Sid)).toEqual(["NoRoleChaining", "BoundaryStays", "NoSelfModification"]);
    const self = denies[2];
    expect(self.Resource).toEqual(["arn:aws:iam::*:role/svc-dev-github-plan", "arn:aws:iam::*:role/svc-dev-github-deploy", "arn:aws:iam::*:policy/svc-dev-github-*"]);
    expect(list(self.Action)).toEqual(expect.arrayContaining(["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"]));
    expect(list(self.Action)).toEqual(expect.arrayContaining(["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy"]));
  });

  test("override: allowSelfModification drops only the self-modification deny", () => {
    const denies = deploy(synth({ allowSelfModification: true })).statements.filter((st) => st.Effect === "Deny");
    expect(denies.map((st) => st.Sid)).toEqual(["NoRoleChaining", "BoundaryStays"]);
  });

  test("override: flowLogsRoleArn may be passed to VPC flow logs only", () => {
    const role = deploy(synth({ flowLogsRoleArn: FLOW_LOGS_ROLE }));
    expect(withAction(role, "iam:PassRole").map((st) => [st.Resource, st.Condition])).toEqual([
      [[EXEC_ROLE, TASK_ROLE, INSTANCE_ROLE], { StringEquals: { "iam:PassedToService": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"] } }],
      [[FLOW_LOGS_ROLE], { StringEquals: { "iam:PassedToService": "vpc-flow-logs.amazonaws.com" } }],
    ]);
    expectLeastPrivilege(role.statements, { prefix: "svc-dev", arns: [REPO, PARAMETERS, EXEC_ROLE, TASK_ROLE, INSTANCE_ROLE, FLOW_LOGS_ROLE, PROVIDER_PATTERN, MANAGED_RULE_GROUPS] });
  });

  test("override: hostedZoneId gives record changes in that zone and DNS-validated, tagged certificates", () => {
    const role = deploy(synth({ hostedZoneId: "Z0123456789ABC" }));
    expect(withAction(role, "route53:ChangeResourceRecordSets").map((st) => st.Resource)).toEqual([["arn:aws:route53:::hostedzone/Z0123456789ABC"]]);
    expect(withAction(role, "acm:RequestCertificate")[0].Condition).toEqual({ StringEquals: { "acm:ValidationMethod": "DNS", "aws:RequestTag/Stack": "svc-dev" } });
    expect(withAction(role, "acm:DeleteCertificate")[0].Condition).toEqual({ StringEquals: { "aws:ResourceTag/Stack": "svc-dev" } });
    expectLeastPrivilege(role.statements, { prefix: "svc-dev", arns: [REPO, PARAMETERS, EXEC_ROLE, TASK_ROLE, INSTANCE_ROLE, PROVIDER_PATTERN, MANAGED_RULE_GROUPS, "arn:aws:route53:::hostedzone/Z0123456789ABC"] });
    expect(withAction(deploy(synth()), "route53:ChangeResourceRecordSets")).toEqual([]);
  });

  test("override: partition and region appear in every ARN", () => {
    const role = deploy(synth({ partition: "aws-cn", region: "cn-north-1" }));
    const arns = role.statements.flatMap((st) => list(st.Resource)).filter((r) => r !== "*" && !base.passRoleArns.includes(r) && r !== REPO);
    expect(arns.filter((r) => !r.startsWith("arn:aws-cn:"))).toEqual([]);
    expect(arns.filter((r) => /^arn:aws-cn:(ecs|logs|elasticloadbalancing|ssm|sns|autoscaling):/.test(r) && !r.includes(":cn-north-1:"))).toEqual([]);
  });

  test("with every option on, each role's inline policy fits IAM's 10,240 characters", () => {
    const s = synth({
      deployRefs: ["refs/heads/main"],
      deployEnvironments: ["production"],
      flowLogsRoleArn: FLOW_LOGS_ROLE,
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
      stateBucket: "acme-terraform-state-bucket",
      stateKey: "webapp/production/terraform.tfstate",
      namePrefix: "a-long-service-name-prod",
      scopeTagValue: "a-long-service-name-prod",
    });
    // IAM counts policies without whitespace; nothing here is a reference. Inline policies:
    // 10,240 characters per role in all; customer-managed: 6,144 each.
    const size = (p: { policy: string }) => JSON.stringify(JSON.parse(p.policy)).length;
    const inline = Object.values(resourcesOf(s, "aws_iam_role_policy"));
    const managed = Object.values(resourcesOf(s, "aws_iam_policy"));
    expect(managed.map((p) => p.name).sort()).toEqual(["a-long-service-name-prod-github-deploy-edge", "a-long-service-name-prod-github-deploy-network", "a-long-service-name-prod-github-read"]);
    for (const p of [...inline, ...managed]) expect(p.policy).not.toContain("${");
    for (const p of inline) expect({ name: p.name, size: size(p), fits: size(p) <= 10240 }).toEqual({ name: p.name, size: size(p), fits: true });
    for (const p of managed) expect({ name: p.name, size: size(p), fits: size(p) <= 6144 }).toEqual({ name: p.name, size: size(p), fits: true });
  });

  test.each<[string, Partial<GithubOidcProps>, RegExp]>([
    ["a deploy ref has a wildcard", { deployRefs: ["refs/heads/*"] }, /deployRefs contains a wildcard in "refs\/heads\/\*"/],
    ["a plan subject has a wildcard", { planSubjects: ["ref:refs/heads/feature-?"] }, /planSubjects contains a wildcard/],
    ["a deploy environment has a wildcard", { deployEnvironments: ["prod*"] }, /deployEnvironments contains a wildcard/],
    ["the subject prefix has a wildcard", { subjectPrefix: "repo:acme/*" }, /subjectPrefix must be "repo:OWNER\/REPO" .* got "repo:acme\/\*"/],
    ["a plan subject is a whole subject, not a suffix", { planSubjects: ["repo:acme/webapp:pull_request"] }, /planSubjects has "repo:acme\/webapp:pull_request"; allowed: "pull_request"/],
    ["a deploy ref is a short branch name", { deployRefs: ["main"] }, /deployRefs has "main"; allowed: full refs/],
    ["there are no deploy refs and no environments", { deployRefs: [], deployEnvironments: [] }, /deployRefs and deployEnvironments are both empty: nobody could assume the deploy role/],
    ["there are no plan subjects", { planSubjects: [] }, /planSubjects is empty/],
    ["createProvider is false without providerArn", { createProvider: false }, /providerArn is required when createProvider is false/],
    ["providerArn is given while creating the provider", { providerArn: EXISTING_PROVIDER }, /providerArn .* was given with createProvider true/],
    ["providerArn is not GitHub's provider", { createProvider: false, providerArn: "arn:aws:iam::111111111111:oidc-provider/example.com" }, /providerArn must be arn:aws:iam::ACCOUNT:oidc-provider\/token.actions.githubusercontent.com/],
    ["the repository has no owner", { repository: "webapp" }, /repository must be "owner\/repo", got "webapp"/],
    ["the repository has a wildcard", { repository: "acme/*" }, /repository must be "owner\/repo", got "acme\/\*"/],
    ["the repository has two slashes", { repository: "acme/webapp/x" }, /repository must be "owner\/repo"/],
    ["the subject prefix names another repository", { subjectPrefix: "repo:other@1/webapp@2" }, /subjectPrefix "repo:other@1\/webapp@2" names another repository than "acme\/webapp"/],
    ["namePrefix has a wildcard", { namePrefix: "svc*" }, /namePrefix must be lowercase letters, digits and hyphens, at most 50 characters, got "svc\*"/],
    ["a pass-role ARN has a wildcard", { passRoleArns: ["arn:aws:iam::111111111111:role/*"] }, /passRoleArns must be exact ARNs without wildcards/],
    ["the SSM path is not a path", { ssmParameterPath: "svc/dev" }, /ssmParameterPath must look like \/service\/env, got "svc\/dev"/],
    ["the scope tag value is empty", { scopeTagValue: "" }, /scopeTagValue must be a non-empty tag value/],
    ["stateKey is given without stateBucket", { stateKey: "svc/dev.tfstate" }, /stateKey needs stateBucket/],
  ])("throws when %s", (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe("IAM modules together", () => {
  test("a stack with EcsRoles and GithubOidc (both provider modes, every option on) is valid Terraform", () => {
    const json = synthWith((s) => {
      const roles = new EcsRoles(s, "ecs-roles", {
        namePrefix: "svc-dev",
        ecrRepositoryArn: REPO,
        logGroupArns: ["arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/svc-dev/blue"],
        secretParameterArns: ["arn:aws:ssm:eu-west-1:111111111111:parameter/svc/dev/DATABASE_URL"],
        secretsKmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        enableSsmSessionManager: true,
        region: "eu-west-1",
        accountId: "111111111111",
        permissionsBoundaryArn: BOUNDARY,
      });
      const passRoleArns = [roles.executionRole.arn, roles.taskRole.arn, roles.instanceRole.arn];
      new GithubOidc(s, "github", {
        ...base,
        passRoleArns,
        deployEnvironments: ["production"],
        flowLogsRoleArn: FLOW_LOGS_ROLE,
        hostedZoneId: "Z0123456789ABC",
        stateBucket: "acme-tf-state",
        stateKey: "svc/dev.tfstate",
      });
      new GithubOidc(s, "github-prod", { ...base, namePrefix: "svc-prod", scopeTagValue: "svc-prod", ssmParameterPath: "/svc/prod", passRoleArns, createProvider: false, providerArn: EXISTING_PROVIDER });
    });
    expect(Object.keys(resourcesOf(json, "aws_iam_role"))).toHaveLength(7);
    expectValidTerraform(json);
  });
});

describe("the least-privilege walk itself", () => {
  const ours = { prefix: "svc-dev", arns: [EXEC_ROLE] };
  test.each<[string, Stmt]>([
    ["a write on * without an exception", { Effect: "Allow", Action: ["s3:PutObject"], Resource: "*" }],
    ["Action *", { Effect: "Allow", Action: ["*"], Resource: ["arn:aws:s3:::svc-dev-b"] }],
    ["a service wildcard", { Effect: "Allow", Action: ["ec2:*"], Resource: ["arn:aws:ec2:::svc-dev-x"] }],
    ["a principal in an identity policy", { Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::svc-dev-b/*"], Principal: "*" }],
    ["a conditioned create without its condition", { Effect: "Allow", Action: ["ecs:CreateCluster"], Resource: "*" }],
    ["a write on another stack's resource", { Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::other-bucket/*"] }],
    ["PassRole on *", { Effect: "Allow", Action: ["iam:PassRole"], Resource: "*", Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } }],
    ["PassRole to any service", { Effect: "Allow", Action: ["iam:PassRole"], Resource: [EXEC_ROLE] }],
  ])("rejects %s", (_, st) => {
    expect(() => expectLeastPrivilege([st], ours)).toThrow();
  });

  test("accepts a scoped write and a Deny on *", () => {
    expect(() =>
      expectLeastPrivilege(
        [
          { Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::svc-dev-b/*"] },
          { Effect: "Deny", Action: ["sts:AssumeRole"], Resource: "*" },
        ],
        ours,
      ),
    ).not.toThrow();
  });
});
