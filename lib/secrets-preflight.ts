/**
 * Secrets preflight: before a deploy or a release, check that every secret the environment
 * declares exists as an SSM SecureString encrypted with the environment's own key, using
 * metadata only (ssm:DescribeParameters: names, types, key ids, never a value). The plan and
 * deploy roles may call it; neither can read a value (README.md, "Security").
 *
 *     node dist/lib/secrets-preflight.js config/prod.tfvars
 */
import { DescribeParametersCommand, SSMClient, type ParameterMetadata } from "@aws-sdk/client-ssm";

export interface ExpectedSecrets {
  /** Parameter path, e.g. `/webapp/prod`; each secret is `<pathPrefix>/<NAME>`. */
  readonly pathPrefix: string;
  /** The environment variable names from `secrets`. */
  readonly names: readonly string[];
  /** The key alias the parameters must use, e.g. `alias/webapp-prod-secrets`. */
  readonly keyAlias: string;
  /** Other spellings of the same key that count as it (its ARN or id), when known. @default [] */
  readonly keyIds?: readonly string[];
}

export interface SecretProblem {
  readonly name: string;
  readonly problem: "missing" | "not-secure-string" | "wrong-key";
  /** One line: what is wrong and the command that fixes it. */
  readonly message: string;
}

/** What is wrong with the parameters DescribeParameters returned, for the expected secrets. Pure. */
export function secretProblems(expected: ExpectedSecrets, found: readonly ParameterMetadata[]): SecretProblem[] {
  const byName = new Map(found.map((p) => [p.Name, p]));
  const keys = new Set([expected.keyAlias, ...(expected.keyIds ?? [])]);
  const put = (name: string) => `aws ssm put-parameter --type SecureString --key-id ${expected.keyAlias} --name ${name} --value "$VALUE"`;
  return expected.names.flatMap((n): SecretProblem[] => {
    const name = `${expected.pathPrefix}/${n}`;
    const p = byName.get(name);
    if (!p) return [{ name, problem: "missing", message: `${name} does not exist: the tasks cannot start. Create it: ${put(name)}` }];
    if (p.Type !== "SecureString") return [{ name, problem: "not-secure-string", message: `${name} is a ${p.Type}, not a SecureString: its value is stored unencrypted. Delete it and create it again: ${put(name)}` }];
    if (!p.KeyId || !keys.has(p.KeyId)) {
      return [
        {
          name,
          problem: "wrong-key",
          message: `${name} is encrypted with ${p.KeyId ?? "an unknown key"}, not ${expected.keyAlias}: the execution role cannot decrypt it${p.KeyId === "alias/aws/ssm" ? ", and anyone with ssm:GetParameter can" : ""}. Re-put it: ${put(name)} --overwrite`,
        },
      ];
    }
    return [];
  });
}

/** Metadata of the named parameters (DescribeParameters, Name Equals, at most 50 names a call). */
export async function describeSecrets(client: Pick<SSMClient, "send">, names: readonly string[]): Promise<ParameterMetadata[]> {
  const out: ParameterMetadata[] = [];
  for (let i = 0; i < names.length; i += 50) {
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: names.slice(i, i + 50) }], NextToken: nextToken, MaxResults: 50 }),
      );
      out.push(...(page.Parameters ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return out;
}

/** Checks one environment's secrets against AWS; resolves to the problems (empty when all is well). */
export async function secretsPreflight(expected: ExpectedSecrets, client: Pick<SSMClient, "send">): Promise<SecretProblem[]> {
  if (expected.names.length === 0) return [];
  return secretProblems(expected, await describeSecrets(client, expected.names.map((n) => `${expected.pathPrefix}/${n}`)));
}

async function main(argv: readonly string[]): Promise<number> {
  const file = argv[0];
  if (!file) {
    process.stderr.write("usage: node dist/lib/secrets-preflight.js config/<env>.tfvars\n");
    return 2;
  }
  const { loadEnvironmentConfig } = await import("./config");
  const c = await loadEnvironmentConfig(file);
  const expected = { pathPrefix: `/${c.serviceName}/${c.environment}`, names: c.secrets, keyAlias: `alias/${c.serviceName}-${c.environment}-secrets` };
  const problems = await secretsPreflight(expected, new SSMClient({ region: c.region }));
  for (const p of problems) process.stderr.write(`secrets ${c.environment}: ${p.message}\n`);
  if (problems.length === 0) process.stdout.write(`secrets ${c.environment}: ${c.secrets.length} present, SecureString, encrypted with ${expected.keyAlias}\n`);
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`secrets preflight: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
