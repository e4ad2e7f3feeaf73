import { Construct } from "constructs";
import type { Statement } from "./iam-policy";
import { StackKey } from "./kms-key";

export interface ServiceSecretsProps {
  /** Parameter path prefix, e.g. `/webapp/dev`; each secret is `<pathPrefix>/<NAME>`. */
  readonly pathPrefix: string;
  /** Environment variable names, e.g. `DATABASE_URL`. @default [] */
  readonly names?: readonly string[];
  /** Region of the parameters (SSM is regional; the key is used only through SSM here). */
  readonly region: string;
  /** The account of the stack (a token at synth: the ECR repository's `registry_id`). */
  readonly accountId: string;
  /** The task execution role: the only principal the key lets decrypt, and only through SSM. */
  readonly executionRoleArn: string;
  /** Alias of the key, without `alias/`, e.g. `webapp-dev-secrets`. */
  readonly keyAliasName: string;
  /** @default "aws" */
  readonly partition?: string;
}

/**
 * The secrets of one environment, designed so that no role a pull request can assume can obtain
 * a value (README.md, "Security"):
 *
 * - A customer-managed KMS key per environment. Its policy lets only the task execution role
 *   decrypt, and only through SSM (`kms:ViaService`); its IAM policy and the boundary limit its
 *   SSM reads to this path. The account may administer the key but not use it, so
 *   no IAM policy (the plan role's least of all) can grant kms:Decrypt on it. Principals of the
 *   account with an IAM allow may encrypt through SSM, which is how values are set.
 * - Terraform does not manage the parameters: it only references them by ARN (the task
 *   definitions' `secrets`), so neither plan nor apply ever reads a value (the AWS provider
 *   refreshes an `aws_ssm_parameter` with GetParameter WithDecryption, even with `value_wo`).
 * - Each value is set once, out of band, with the stack's key:
 *
 *       aws ssm put-parameter --type SecureString --key-id alias/webapp-dev-secrets \
 *         --name /webapp/dev/DATABASE_URL --value "$DATABASE_URL" [--overwrite]
 *
 *   `secretsPreflight` (lib/secrets-preflight.ts) checks, with metadata only
 *   (ssm:DescribeParameters), that each one exists, is a SecureString and uses this key.
 */
export class ServiceSecrets extends Construct {
  /** Names in the order given. */
  public readonly names: readonly string[];
  /** Parameter name per secret, e.g. `DATABASE_URL` -> `/webapp/dev/DATABASE_URL`. */
  public readonly parameterNames: Readonly<Record<string, string>>;
  /** Parameter ARN per secret (for the task definitions' `secrets` and the execution role). */
  public readonly parameterArns: Readonly<Record<string, string>>;
  /** The key the parameters must be encrypted with. */
  public readonly key: StackKey;

  constructor(scope: Construct, id: string, props: ServiceSecretsProps) {
    super(scope, id);
    const names = props.names ?? [];
    const p = props.partition ?? "aws";
    if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(props.pathPrefix)) {
      throw new Error(`ServiceSecrets: pathPrefix ${JSON.stringify(props.pathPrefix)} must look like /service/env`);
    }
    const seen = new Set<string>();
    for (const n of names) {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(n)) throw new Error(`ServiceSecrets: ${JSON.stringify(n)} is not an environment variable name (A-Z, 0-9, _)`);
      if (seen.has(n)) throw new Error(`ServiceSecrets: ${n} is listed twice`);
      seen.add(n);
    }
    this.names = [...names];
    this.parameterNames = Object.fromEntries(names.map((n) => [n, `${props.pathPrefix}/${n}`]));
    this.parameterArns = Object.fromEntries(names.map((n) => [n, secretParameterArn({ partition: p, region: props.region, accountId: props.accountId, pathPrefix: props.pathPrefix, name: n })]));
    this.key = new StackKey(this, "key", {
      aliasName: props.keyAliasName,
      description: `SSM SecureString parameters under ${props.pathPrefix}: only the task execution role decrypts, through SSM`,
      accountId: props.accountId,
      partition: p,
      usage: secretsKeyUsage({ partition: p, region: props.region, accountId: props.accountId, executionRoleArn: props.executionRoleArn }),
    });
  }
}

/** ARN of the parameter holding secret `name`. Pure. */
export function secretParameterArn(input: { partition?: string; region: string; accountId: string; pathPrefix: string; name: string }): string {
  return `arn:${input.partition ?? "aws"}:ssm:${input.region}:${input.accountId}:parameter${input.pathPrefix}/${input.name}`;
}

/** The secrets key's usage statements. Pure. */
export function secretsKeyUsage(input: { partition: string; region: string; accountId: string; executionRoleArn: string }): Statement[] {
  const viaSsm = { "kms:ViaService": `ssm.${input.region}.amazonaws.com` };
  return [
    {
      Sid: "ExecutionRoleDecryptsThroughSsm",
      Effect: "Allow",
      Principal: { AWS: input.executionRoleArn },
      Action: ["kms:Decrypt"],
      Resource: "*",
      Condition: { StringEquals: viaSsm },
    },
    {
      // How values are set (put-parameter): principals of this account whose IAM policies allow
      // it may encrypt through SSM. Encrypting reveals nothing.
      Sid: "AccountEncryptsThroughSsm",
      Effect: "Allow",
      Principal: { AWS: `arn:${input.partition}:iam::${input.accountId}:root` },
      Action: ["kms:Encrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: viaSsm },
    },
  ];
}
