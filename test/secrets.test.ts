import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { ServiceSecrets, type ServiceSecretsProps } from "../lib/secrets";
import { resourcesOf, synthWith } from "./support/scope";

const EXEC_ROLE = "arn:aws:iam::111111111111:role/svc-dev-task-execution";
const base: ServiceSecretsProps = {
  pathPrefix: "/svc/dev",
  names: ["DATABASE_URL", "API_KEY"],
  region: "eu-west-1",
  accountId: "111111111111",
  executionRoleArn: EXEC_ROLE,
  keyAliasName: "svc-dev-secrets",
};
let made: ServiceSecrets | undefined;
const synth = (props: Partial<ServiceSecretsProps> = {}) => synthWith((s) => (made = new ServiceSecrets(s, "secrets", { ...base, ...props })));

describe("ServiceSecrets", () => {
  test("Terraform manages no parameter (a refresh would read its value): the secrets are referenced by ARN under the path", () => {
    const s = synth();
    expect(s).not.toHaveResource(SsmParameter);
    expect(made!.parameterArns).toEqual({
      DATABASE_URL: "arn:aws:ssm:eu-west-1:111111111111:parameter/svc/dev/DATABASE_URL",
      API_KEY: "arn:aws:ssm:eu-west-1:111111111111:parameter/svc/dev/API_KEY",
    });
    expect(made!.parameterNames).toEqual({ DATABASE_URL: "/svc/dev/DATABASE_URL", API_KEY: "/svc/dev/API_KEY" });
  });

  test("a customer-managed key with rotation and the alias; only the execution role may decrypt, only through SSM", () => {
    const s = synth();
    expect(s).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(s).toHaveResourceWithProperties(KmsAlias, { name: "alias/svc-dev-secrets" });
    const [key] = Object.values(resourcesOf(s, "aws_kms_key"));
    const statements = JSON.parse(key.policy).Statement as Array<{ Sid: string; Effect: string; Principal: { AWS: string }; Action: string[]; Condition?: unknown }>;
    const decrypting = statements.filter((st) => st.Effect === "Allow" && st.Action.some((a) => a === "kms:Decrypt" || a === "kms:*" || a === "kms:CreateGrant"));
    expect(decrypting).toEqual([
      {
        Sid: "ExecutionRoleDecryptsThroughSsm",
        Effect: "Allow",
        Principal: { AWS: EXEC_ROLE },
        Action: ["kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" } },
      },
    ]);
  });

  test("no names: no parameter ARNs, the key still exists for the first one", () => {
    const s = synth({ names: [] });
    expect(made!.parameterArns).toEqual({});
    expect(s).toHaveResource(KmsKey);
  });

  test.each([
    [{ names: ["database-url"] }, /"database-url" is not an environment variable name/],
    [{ names: ["A", "A"] }, /A is listed twice/],
    [{ pathPrefix: "svc/dev" }, /pathPrefix "svc\/dev" must look like \/service\/env/],
    [{ keyAliasName: "aws/ssm" }, /aliasName must be .* not start with aws\//],
  ])("throws when %j", (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
