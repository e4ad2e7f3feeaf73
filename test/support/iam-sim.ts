/**
 * Evaluates a synthesized stack's IAM documents as IAM would, with @cloud-copilot/iam-simulate:
 * identity policies (inline and attached), permissions boundaries, trust policies and resource
 * policies (key, topic). References between resources (`${aws_iam_role.x.arn}`) are resolved
 * to the ARNs AWS would give them in ACCOUNT, so no document is judged by its text.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";

export const ACCOUNT = "111111111111";
export const OTHER_ACCOUNT = "999999999999";

type Json = Record<string, any>;
export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** A synthesized stack with every `${type.name.attr}` reference resolvable. */
export class SimStack {
  readonly json: Json;
  readonly region: string;

  constructor(synth: string) {
    this.json = JSON.parse(synth);
    this.region = this.json.provider?.aws?.[0]?.region ?? this.json.provider?.aws?.region;
    if (!this.region) throw new Error("SimStack: the stack has no aws provider region");
  }

  resources(type: string): Array<[string, Json]> {
    return Object.entries(this.json.resource?.[type] ?? {});
  }

  /** The value AWS would give `type.name.attr`, for the attributes the stacks' policies use. */
  attribute(type: string, name: string, attr: string): string {
    const body = this.json.resource?.[type]?.[name];
    if (!body) throw new Error(`SimStack: no ${type}.${name}`);
    const r = this.region;
    const v = (x: unknown) => this.resolve(String(x));
    const key = `${type}.${attr}`;
    switch (key) {
      case "aws_ecr_repository.registry_id":
        return ACCOUNT;
      case "aws_ecr_repository.arn":
        return `arn:aws:ecr:${r}:${ACCOUNT}:repository/${v(body.name)}`;
      case "aws_iam_role.arn":
        return `arn:aws:iam::${ACCOUNT}:role/${v(body.name)}`;
      case "aws_iam_role.name":
      case "aws_iam_role.id":
        return v(body.name);
      case "aws_iam_policy.arn":
        return `arn:aws:iam::${ACCOUNT}:policy/${v(body.name)}`;
      case "aws_kms_key.arn":
        return `arn:aws:kms:${r}:${ACCOUNT}:key/${name}`;
      case "aws_kms_key.key_id":
        return name;
      case "aws_sns_topic.arn":
        return `arn:aws:sns:${r}:${ACCOUNT}:${v(body.name)}`;
      case "aws_cloudwatch_log_group.arn":
        return `arn:aws:logs:${r}:${ACCOUNT}:log-group:${v(body.name)}`;
      case "aws_iam_openid_connect_provider.arn":
        return `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
      case "aws_s3_bucket.arn":
        return `arn:aws:s3:::${v(body.bucket ?? `${body.bucket_prefix}sim`)}`;
      case "aws_s3_bucket.id":
        return v(body.bucket ?? `${body.bucket_prefix}sim`);
      default:
        throw new Error(`SimStack: cannot resolve ${type}.${name}.${attr}`);
    }
  }

  /** `text` with every `${type.name.attr}` replaced by its value. */
  resolve(text: string): string {
    return text.replace(/\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g, (_m, type, name, attr) => this.attribute(type, name, attr));
  }

  doc(text: string): Json {
    return JSON.parse(this.resolve(text));
  }

  /** The role named `roleName`: its trust, identity policies (inline and attached) and boundary. */
  role(roleName: string): { arn: string; trust: Json; identity: Json[]; boundary?: Json } {
    const entry = this.resources("aws_iam_role").find(([, b]) => b.name === roleName);
    if (!entry) throw new Error(`SimStack: no role ${roleName}; roles: ${this.resources("aws_iam_role").map(([, b]) => b.name).join(", ")}`);
    const [key, body] = entry;
    const refersToRole = (v: unknown) => v === `\${aws_iam_role.${key}.id}` || v === `\${aws_iam_role.${key}.name}`;
    const inline = this.resources("aws_iam_role_policy").filter(([, p]) => refersToRole(p.role)).map(([, p]) => this.doc(p.policy));
    const attached = this.resources("aws_iam_role_policy_attachment")
      .filter(([, a]) => refersToRole(a.role))
      .flatMap(([, a]) => {
        const m = /^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(a.policy_arn);
        // AWS managed policies (e.g. the ECS agent's) are not in the stack; the boundary caps them.
        return m ? [this.doc(this.json.resource.aws_iam_policy[m[1]].policy)] : [];
      });
    const boundaryRef = body.permissions_boundary ? /^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(body.permissions_boundary) : null;
    return {
      arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
      trust: this.doc(body.assume_role_policy),
      identity: [...inline, ...attached],
      boundary: boundaryRef ? this.doc(this.json.resource.aws_iam_policy[boundaryRef[1]].policy) : undefined,
    };
  }

  /** The ARN of the managed policy named `name` and its document. */
  policy(name: string): { arn: string; doc: Json } {
    const entry = this.resources("aws_iam_policy").find(([, b]) => b.name === name);
    if (!entry) throw new Error(`SimStack: no policy ${name}`);
    return { arn: `arn:aws:iam::${ACCOUNT}:policy/${name}`, doc: this.doc(entry[1].policy) };
  }

  /** The KMS key whose alias is `alias/<aliasName>`: its ARN and policy. */
  key(aliasName: string): { arn: string; policy: Json } {
    const alias = this.resources("aws_kms_alias").find(([, b]) => b.name === `alias/${aliasName}`);
    if (!alias) throw new Error(`SimStack: no alias ${aliasName}`);
    const m = /^\$\{aws_kms_key\.([^.]+)\.key_id\}$/.exec(alias[1].target_key_id)!;
    return { arn: this.attribute("aws_kms_key", m[1], "arn"), policy: this.doc(this.json.resource.aws_kms_key[m[1]].policy) };
  }
}

export interface Request {
  /** A role ARN, or a service principal such as `cloudwatch.amazonaws.com`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The account owning the resource. @default ACCOUNT */
  readonly resourceAccount?: string;
  readonly context?: Record<string, string | string[]>;
  /** Identity policies of the principal (none for a service). */
  readonly identity?: readonly Json[];
  readonly boundary?: Json;
  /** The resource's policy: a trust, key, topic or bucket policy. */
  readonly resourcePolicy?: Json;
}

/**
 * The keys IAM sets on every request of an IAM principal (the simulator leaves them to the
 * caller): for a role session, aws:PrincipalArn is the role's ARN.
 */
function principalKeys(principal: string): Record<string, string> {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(principal);
  return m ? { "aws:PrincipalArn": principal, "aws:PrincipalAccount": m[1] } : {};
}

/** IAM's decision for one request; a simulator error (bad action, bad context key) fails the test. */
export async function decide(r: Request): Promise<Decision> {
  const result = await runSimulation(
    {
      request: { principal: r.principal, action: r.action, resource: { resource: r.resource, accountId: r.resourceAccount ?? ACCOUNT }, contextVariables: { ...principalKeys(r.principal), ...r.context } },
      identityPolicies: (r.identity ?? []).map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(r.boundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: r.boundary }] } : {}),
      ...(r.resourcePolicy ? { resourcePolicy: r.resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === "error") throw new Error(`simulation of ${r.action} on ${r.resource} failed: ${JSON.stringify(result.errors)}`);
  // A context key the simulator does not apply would make a condition fail for the wrong reason.
  const ignored = result.resultType === "single" ? (result.result.ignoredContextKeys ?? []) : [];
  if (ignored.length > 0) throw new Error(`simulation of ${r.action} on ${r.resource} ignored the context keys ${ignored.join(", ")}`);
  return result.overallResult as Decision;
}
