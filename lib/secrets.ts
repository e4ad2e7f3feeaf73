import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";

export interface ServiceSecretsProps {
  /** Parameter path prefix, e.g. `/webapp/dev`; each secret is `<pathPrefix>/<NAME>`. */
  readonly pathPrefix: string;
  /** Environment variable names, e.g. `DATABASE_URL`. @default [] */
  readonly names?: readonly string[];
  /** Customer-managed KMS key. @default - the AWS-managed key `alias/aws/ssm` */
  readonly kmsKeyArn?: string;
}

/** The placeholder written once at creation; the service will not start healthy on it. */
export const SECRET_PLACEHOLDER = "UNSET: set with aws ssm put-parameter --overwrite";

/**
 * SSM SecureString parameters, one per secret name. Values never live in code, config or
 * Terraform state: the parameter is created with a placeholder through the write-only
 * `value_wo` argument (Terraform >= 1.11 never stores write-only values in state), and the
 * real value is set out of band:
 *
 *     aws ssm put-parameter --overwrite --type SecureString \
 *       --name /webapp/dev/DATABASE_URL --value "$DATABASE_URL"
 *
 * `ignore_changes` on the value arguments means a later plan never writes the placeholder back.
 * Tasks read the current value at start, so restart the colour's service after a change.
 */
export class ServiceSecrets extends Construct {
  public readonly parameters: Readonly<Record<string, SsmParameter>>;
  public readonly parameterArns: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ServiceSecretsProps) {
    super(scope, id);
    const names = props.names ?? [];
    if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(props.pathPrefix)) {
      throw new Error(`ServiceSecrets: pathPrefix ${JSON.stringify(props.pathPrefix)} must look like /service/env`);
    }
    const seen = new Set<string>();
    for (const n of names) {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(n)) throw new Error(`ServiceSecrets: ${JSON.stringify(n)} is not an environment variable name (A-Z, 0-9, _)`);
      if (seen.has(n)) throw new Error(`ServiceSecrets: ${n} is listed twice`);
      seen.add(n);
    }
    const parameters: Record<string, SsmParameter> = {};
    for (const n of names) {
      parameters[n] = new SsmParameter(this, n.toLowerCase().replace(/_/g, "-"), {
        name: `${props.pathPrefix}/${n}`,
        type: "SecureString",
        keyId: props.kmsKeyArn,
        description: `Secret ${n}; set its value with aws ssm put-parameter --overwrite (never in code or state)`,
        valueWo: SECRET_PLACEHOLDER,
        valueWoVersion: 1,
        lifecycle: { ignoreChanges: ["value", "value_wo", "value_wo_version", "insecure_value"] },
      });
    }
    this.parameters = parameters;
    this.parameterArns = Object.fromEntries(Object.entries(parameters).map(([n, p]) => [n, p.arn]));
  }
}
