import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { SECRET_PLACEHOLDER, ServiceSecrets, type ServiceSecretsProps } from "../lib/secrets";
import { resourcesOf, synthWith } from "./support/scope";

const synth = (props: Partial<ServiceSecretsProps> = {}) => synthWith((s) => new ServiceSecrets(s, "secrets", { pathPrefix: "/svc/dev", names: ["DATABASE_URL", "API_KEY"], ...props }));

describe("ServiceSecrets", () => {
  test("each name becomes a SecureString under the path, its value write-only and ignored afterwards", () => {
    const s = synth();
    const params = Object.values(resourcesOf(s, "aws_ssm_parameter"));
    expect(params.map((p) => p.name).sort()).toEqual(["/svc/dev/API_KEY", "/svc/dev/DATABASE_URL"]);
    for (const p of params) {
      expect(p.type).toBe("SecureString");
      // Never a state-stored value: only the write-only placeholder.
      expect(p).not.toHaveProperty("value");
      expect(p).not.toHaveProperty("insecure_value");
      expect(p.value_wo).toBe(SECRET_PLACEHOLDER);
      expect(p.lifecycle.ignore_changes).toEqual(expect.arrayContaining(["value", "value_wo", "value_wo_version"]));
    }
  });

  test("no names: no parameters", () => {
    expect(synthWith((sc) => new ServiceSecrets(sc, "secrets", { pathPrefix: "/svc/dev" }))).not.toHaveResource(SsmParameter);
  });

  test("override: customer-managed KMS key", () => {
    expect(synth({ kmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/k" })).toHaveResourceWithProperties(SsmParameter, { key_id: "arn:aws:kms:eu-west-1:111111111111:key/k" });
  });

  test.each([
    [{ names: ["database-url"] }, /"database-url" is not an environment variable name/],
    [{ names: ["A", "A"] }, /A is listed twice/],
    [{ pathPrefix: "svc/dev" }, /pathPrefix "svc\/dev" must look like \/service\/env/],
  ])("throws when %j", (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
