import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { BOUNDARY_DENIED_ACTIONS, boundaryStatements, PermissionsBoundary, type BoundaryInput } from "../lib/boundary";
import { resourcesOf, synthWith } from "./support/scope";

const input: BoundaryInput = {
  partition: "aws",
  region: "eu-west-1",
  accountId: "111111111111",
  namePrefix: "svc-dev",
  ecrRepositoryArn: "arn:aws:ecr:eu-west-1:111111111111:repository/svc-dev",
  ssmParameterPath: "/svc/dev",
};
const list = (x: string | readonly string[] | undefined) => (x === undefined ? [] : typeof x === "string" ? [x] : [...x]);

describe("boundaryStatements (pure)", () => {
  const statements = boundaryStatements(input);

  test("denies every IAM action and every way to become another principal, on everything", () => {
    expect(statements.filter((st) => st.Effect === "Deny")).toEqual([{ Sid: "NeverIamNeverAssume", Effect: "Deny", Action: [...BOUNDARY_DENIED_ACTIONS], Resource: "*" }]);
    expect(BOUNDARY_DENIED_ACTIONS).toEqual(expect.arrayContaining(["iam:*", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]));
  });

  test("allows nothing of IAM or STS, and every allow names the stack's roles (aws:PrincipalArn)", () => {
    for (const st of statements.filter((s) => s.Effect === "Allow")) {
      expect({ sid: st.Sid, iam: list(st.Action).filter((a) => /^(iam|sts):/.test(a)) }).toEqual({ sid: st.Sid, iam: [] });
      const principals = st.Condition?.ArnEquals?.["aws:PrincipalArn"];
      expect({ sid: st.Sid, principals: list(principals).every((p) => /^arn:aws:iam::111111111111:role\/svc-dev-(task-execution|instance|vpc-flow-logs)$/.test(p)) && list(principals).length > 0 }).toEqual({ sid: st.Sid, principals: true });
    }
  });

  test("secrets: the execution role only, the stack's path, decrypt through SSM only", () => {
    const secrets = statements.find((st) => st.Sid === "ReadStackSecrets")!;
    expect(secrets.Resource).toEqual(["arn:aws:ssm:eu-west-1:111111111111:parameter/svc/dev/*"]);
    expect(secrets.Condition).toEqual({ ArnEquals: { "aws:PrincipalArn": ["arn:aws:iam::111111111111:role/svc-dev-task-execution"] } });
    expect(statements.find((st) => st.Sid === "DecryptSecretsThroughSsm")!.Condition!.StringEquals).toEqual({ "kms:ViaService": "ssm.eu-west-1.amazonaws.com" });
  });
});

describe("PermissionsBoundary", () => {
  test("defaults: one customer-managed policy <prefix>-boundary holding the statements", () => {
    let arn = "";
    const s = synthWith((sc) => (arn = new PermissionsBoundary(sc, "boundary", { ...input, partition: undefined }).arn));
    expect(s).toHaveResourceWithProperties(IamPolicy, { name: "svc-dev-boundary" });
    const [policy] = Object.values(resourcesOf(s, "aws_iam_policy"));
    expect(JSON.parse(policy.policy).Statement).toEqual(boundaryStatements(input));
    expect(arn).toMatch(/^\$\{TfToken\[/);
  });
});
