import { DescribeParametersCommand } from "@aws-sdk/client-ssm";
import { secretProblems, secretsPreflight, type ExpectedSecrets } from "../lib/secrets-preflight";

const expected: ExpectedSecrets = { pathPrefix: "/webapp/prod", names: ["DATABASE_URL", "API_KEY", "TOKEN"], keyAlias: "alias/webapp-prod-secrets" };

describe("secretProblems (pure)", () => {
  test("one line per missing, plain or wrongly keyed secret, each with the command that fixes it", () => {
    const problems = secretProblems(expected, [
      { Name: "/webapp/prod/DATABASE_URL", Type: "SecureString", KeyId: "alias/webapp-prod-secrets" },
      { Name: "/webapp/prod/API_KEY", Type: "SecureString", KeyId: "alias/aws/ssm" },
    ]);
    expect(problems.map((p) => [p.name, p.problem])).toEqual([
      ["/webapp/prod/API_KEY", "wrong-key"],
      ["/webapp/prod/TOKEN", "missing"],
    ]);
    expect(problems[0].message).toMatch(/encrypted with alias\/aws\/ssm, not alias\/webapp-prod-secrets: .*anyone with ssm:GetParameter can\. Re-put it: aws ssm put-parameter --type SecureString --key-id alias\/webapp-prod-secrets --name \/webapp\/prod\/API_KEY/);
    expect(problems[1].message).toMatch(/^\/webapp\/prod\/TOKEN does not exist: .*Create it: aws ssm put-parameter/);
  });

  test("a String parameter is refused; the key's ARN counts as the key when given", () => {
    const arn = "arn:aws:kms:eu-west-1:111111111111:key/abc";
    const problems = secretProblems({ ...expected, names: ["DATABASE_URL", "API_KEY"], keyIds: [arn] }, [
      { Name: "/webapp/prod/DATABASE_URL", Type: "String" },
      { Name: "/webapp/prod/API_KEY", Type: "SecureString", KeyId: arn },
    ]);
    expect(problems.map((p) => [p.name, p.problem])).toEqual([["/webapp/prod/DATABASE_URL", "not-secure-string"]]);
  });
});

describe("secretsPreflight", () => {
  test("asks DescribeParameters (metadata only) for exactly the declared names, following pages", async () => {
    const sent: DescribeParametersCommand[] = [];
    const client = {
      send: async (command: DescribeParametersCommand) => {
        sent.push(command);
        return sent.length === 1
          ? { Parameters: [{ Name: "/webapp/prod/DATABASE_URL", Type: "SecureString", KeyId: "alias/webapp-prod-secrets" }], NextToken: "next" }
          : { Parameters: [{ Name: "/webapp/prod/API_KEY", Type: "SecureString", KeyId: "alias/webapp-prod-secrets" }, { Name: "/webapp/prod/TOKEN", Type: "SecureString", KeyId: "alias/webapp-prod-secrets" }] };
      },
    };
    expect(await secretsPreflight(expected, client as never)).toEqual([]);
    expect(sent.map((c) => c.constructor.name)).toEqual(["DescribeParametersCommand", "DescribeParametersCommand"]);
    expect(sent[0].input.ParameterFilters).toEqual([{ Key: "Name", Option: "Equals", Values: ["/webapp/prod/DATABASE_URL", "/webapp/prod/API_KEY", "/webapp/prod/TOKEN"] }]);
    expect(sent[1].input.NextToken).toBe("next");
  });

  test("no secrets declared: no call", async () => {
    const client = { send: async () => { throw new Error("must not be called"); } };
    expect(await secretsPreflight({ ...expected, names: [] }, client as never)).toEqual([]);
  });
});
