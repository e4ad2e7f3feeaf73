import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KEY_ADMIN_ACTIONS, keyPolicyStatements, StackKey } from "../lib/kms-key";
import { synthWith } from "./support/scope";

describe("StackKey", () => {
  test("the account administers the key through IAM but can never use it; users are only the statements given", () => {
    const usage = [{ Sid: "U", Effect: "Allow" as const, Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt"], Resource: "*" }];
    const [admin, ...rest] = keyPolicyStatements({ partition: "aws", accountId: "111111111111", usage });
    expect(admin.Principal).toEqual({ AWS: "arn:aws:iam::111111111111:root" });
    expect(admin.Action).toEqual([...KEY_ADMIN_ACTIONS]);
    for (const a of ["kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKey*", "kms:ReEncryptFrom", "kms:CreateGrant"]) expect(KEY_ADMIN_ACTIONS).not.toContain(a);
    expect(rest).toEqual(usage);
  });

  test("defaults: rotation on, 30-day deletion window", () => {
    const s = synthWith((sc) => new StackKey(sc, "k", { aliasName: "svc-dev-x", description: "x", accountId: "111111111111", usage: [] }));
    expect(s).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
  });

  test.each([
    [{ deletionWindowInDays: 3 }, /deletionWindowInDays must be 7..30, got 3/],
    [{ aliasName: "aws/sns" }, /not start with aws\//],
  ])("throws when %j", (props, message) => {
    expect(() => synthWith((sc) => new StackKey(sc, "k", { aliasName: "svc-dev-x", description: "x", accountId: "111111111111", usage: [], ...props }))).toThrow(message);
  });
});
