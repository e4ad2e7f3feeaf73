import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { boundaryName } from "./boundary";
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, githubPolicies } from "./github-policies";
import { policy, type Statement } from "./iam-policy";

export { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST } from "./github-policies";

export interface GithubOidcProps {
  /**
   * Prefix of every name in the stack, e.g. `webapp-dev`: the roles are
   * `<namePrefix>-github-plan` / `-github-deploy`, and every write the deploy role may do is
   * limited to resources named with it. Lowercase letters, digits and hyphens, at most 50 characters.
   */
  readonly namePrefix: string;
  /** Region of the stack's resources; regional ARNs in the policies are limited to it. */
  readonly region: string;
  /** The GitHub repository, `owner/repo`. */
  readonly repository: string;
  /**
   * Prefix of the OIDC `sub` claim, before `:pull_request`, `:ref:...` or `:environment:...`.
   * GitHub's immutable form `repo:OWNER@OWNER_ID/REPO@REPO_ID` survives renames of the
   * owner or repository. Compared case-sensitively by IAM: spell owner and repo as GitHub does.
   * @default `repo:<repository>`
   */
  readonly subjectPrefix?: string;
  /**
   * Subject suffixes that may assume the plan role: `pull_request`, `ref:refs/heads/NAME` or
   * `environment:NAME`. Exact values, never wildcards.
   * @default ["pull_request"]
   */
  readonly planSubjects?: readonly string[];
  /** Git refs whose jobs may deploy, e.g. `refs/heads/main` (subject `<prefix>:ref:<ref>`). @default [] */
  readonly deployRefs?: readonly string[];
  /**
   * GitHub environments whose jobs may deploy, e.g. `production` (subject
   * `<prefix>:environment:<env>`; a job with `environment:` presents this, not its ref).
   * At least one deploy ref or environment is required.
   * @default []
   */
  readonly deployEnvironments?: readonly string[];
  /** Create the account's GitHub OIDC provider here; it exists once per account. @default true */
  readonly createProvider?: boolean;
  /** ARN of the account's existing GitHub OIDC provider; required when `createProvider` is false, refused otherwise. @default - the created provider */
  readonly providerArn?: string;
  /** ARN of the one ECR repository CI pushes to. */
  readonly ecrRepositoryArn: string;
  /**
   * Roles the deploy role may pass, to ECS tasks and EC2 only: the task execution and task roles
   * and the instance profile's role (lib/ecs-roles.ts). Exact ARNs.
   */
  readonly passRoleArns: readonly string[];
  /** Role of the VPC flow logs, passed to `vpc-flow-logs.amazonaws.com` only. @default - none may be passed */
  readonly flowLogsRoleArn?: string;
  /**
   * SSM path of this stack's secrets, e.g. `/webapp/dev`. Neither role gets any right on it: no
   * role a pull request can assume may read a secret, and the deploy role neither reads nor writes
   * them (lib/secrets.ts). Validated, so a malformed path fails at synth.
   */
  readonly ssmParameterPath: string;
  /**
   * Tag key every resource of the stack carries (through the provider's `default_tags`). EC2
   * resources cannot be limited by name, so the deploy role may create them only with this tag
   * and change or delete them only when they carry it.
   */
  readonly scopeTagKey: string;
  /** Value of `scopeTagKey` on this stack's resources, e.g. the name prefix. */
  readonly scopeTagValue: string;
  /** S3 bucket of the Terraform state, used with `use_lockfile` (S3 native locking). @default - no state permissions */
  readonly stateBucket?: string;
  /**
   * Key of this stack's state object in `stateBucket`. Set it when the bucket holds other
   * states (another environment's): the roles then reach only this key and its `.tflock`.
   * @default - every object in the bucket (and every `*.tflock` for the plan role's lock)
   */
  readonly stateKey?: string;
  /**
   * DynamoDB lock table of the state (Terraform < 1.10 locking): both roles may read, take and
   * release the lock item, nothing else. Needs `stateBucket`.
   * @default - no DynamoDB permissions (S3 native locking only)
   */
  readonly stateLockTable?: string;
  /** Route 53 hosted zone the deploy role may change records in (with ACM DNS validation). @default - no DNS or certificate permissions */
  readonly hostedZoneId?: string;
  /**
   * Let the deploy role change its own and the plan role's policies and trust. Off, a change to
   * either GitHub role needs an administrator's apply, so CI can never widen its own rights.
   * @default false
   */
  readonly allowSelfModification?: boolean;
  /** AWS partition in ARNs; pass `aws_partition`'s value outside the commercial partition. @default "aws" */
  readonly partition?: string;
  /**
   * ARN of the environment's permissions boundary (lib/boundary.ts): the deploy role may create
   * a stack role, write or attach its policies, or set its boundary only with exactly this one.
   */
  readonly permissionsBoundaryArn: string;
  /** Name of that boundary policy, which the deploy role may never change or delete. @default `<namePrefix>-boundary` */
  readonly boundaryPolicyName?: string;
}

const MAX_PREFIX = 64 - "-github-deploy".length;
const WILDCARD = /[*?]/;
const SUFFIX_SHAPE = /^(pull_request|ref:refs\/[A-Za-z0-9._/-]+|environment:[^:\s]+)$/;

/**
 * GitHub Actions OIDC for one stack: the account's identity provider (optional), a read-only
 * plan role for pull requests and a deploy role for the configured refs or environments.
 * Both trust policies pin `aud` and list the exact `sub` values with StringEquals: no wildcard
 * ever, so a new branch, fork or environment never inherits access.
 */
export class GithubOidc extends Construct {
  /** The created OIDC provider, when `createProvider`. */
  public readonly provider?: IamOpenidConnectProvider;
  /** ARN of the provider both roles trust. */
  public readonly providerArn: string;
  public readonly planRole: IamRole;
  public readonly deployRole: IamRole;
  /** Exact `sub` values each role trusts. */
  public readonly planSubjects: readonly string[];
  public readonly deploySubjects: readonly string[];

  constructor(scope: Construct, id: string, props: GithubOidcProps) {
    super(scope, id);
    const prefix = props.namePrefix;
    const p = props.partition ?? "aws";
    const region = props.region;
    const subjectPrefix = props.subjectPrefix ?? `repo:${props.repository}`;
    const planSuffixes = props.planSubjects ?? ["pull_request"];
    const deployRefs = props.deployRefs ?? [];
    const deployEnvironments = props.deployEnvironments ?? [];
    const createProvider = props.createProvider ?? true;
    const allowSelfModification = props.allowSelfModification ?? false;
    const fail = (message: string): never => {
      throw new Error(`GithubOidc: ${message}`);
    };
    const literal = (v: string) => !Token.isUnresolved(v);

    // ---- validation: everything below builds ARN patterns from these strings ----------------
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(prefix) || prefix.length > MAX_PREFIX) {
      fail(`namePrefix must be lowercase letters, digits and hyphens, at most ${MAX_PREFIX} characters, got ${JSON.stringify(prefix)}`);
    }
    if (literal(region) && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) fail(`region must look like eu-west-1, got ${JSON.stringify(region)}`);
    const repo = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+)$/.exec(props.repository);
    if (!repo || repo[2] === "." || repo[2] === "..") fail(`repository must be "owner/repo", got ${JSON.stringify(props.repository)}`);
    const immutable = /^repo:([A-Za-z0-9-]+)(@\d+)?\/([A-Za-z0-9._-]+)(@\d+)?$/.exec(subjectPrefix);
    if (!immutable) {
      fail(`subjectPrefix must be "repo:OWNER/REPO" or "repo:OWNER@OWNER_ID/REPO@REPO_ID" without wildcards, got ${JSON.stringify(subjectPrefix)}`);
    } else if (`${immutable[1]}/${immutable[3]}`.toLowerCase() !== props.repository.toLowerCase()) {
      fail(`subjectPrefix ${JSON.stringify(subjectPrefix)} names another repository than ${JSON.stringify(props.repository)}`);
    }
    const checkExact = (prop: string, values: readonly string[], shape: RegExp, allowed: string) => {
      for (const v of values) {
        if (WILDCARD.test(v)) fail(`${prop} contains a wildcard in ${JSON.stringify(v)}; trust exact subjects only (IAM StringEquals, never * or ?)`);
        if (!shape.test(v)) fail(`${prop} has ${JSON.stringify(v)}; allowed: ${allowed}`);
      }
    };
    checkExact("planSubjects", planSuffixes, SUFFIX_SHAPE, '"pull_request", "ref:refs/heads/NAME" or "environment:NAME"');
    checkExact("deployRefs", deployRefs, /^refs\/[A-Za-z0-9._/-]+$/, 'full refs such as "refs/heads/main" or "refs/tags/v1.2.3"');
    checkExact("deployEnvironments", deployEnvironments, /^[^:\s]+$/, "GitHub environment names, e.g. \"production\"");
    if (planSuffixes.length === 0) fail("planSubjects is empty: nobody could assume the plan role; use the default [\"pull_request\"] or name one");
    if (deployRefs.length === 0 && deployEnvironments.length === 0) {
      fail("deployRefs and deployEnvironments are both empty: nobody could assume the deploy role; name at least one ref or environment");
    }
    if (!createProvider && props.providerArn === undefined) {
      fail("providerArn is required when createProvider is false (the ARN of the account's existing GitHub OIDC provider)");
    }
    if (createProvider && props.providerArn !== undefined) {
      fail(`providerArn ${JSON.stringify(props.providerArn)} was given with createProvider true; set createProvider false to trust the existing provider`);
    }
    if (props.providerArn !== undefined && literal(props.providerArn) && !new RegExp(`^arn:aws[a-z-]*:iam::\\d{12}:oidc-provider/${GITHUB_OIDC_HOST.replace(/\./g, "\\.")}$`).test(props.providerArn)) {
      fail(`providerArn must be arn:aws:iam::ACCOUNT:oidc-provider/${GITHUB_OIDC_HOST}, got ${JSON.stringify(props.providerArn)}`);
    }
    for (const [prop, arn] of [["ecrRepositoryArn", props.ecrRepositoryArn], ...props.passRoleArns.map((a) => ["passRoleArns", a]), ["flowLogsRoleArn", props.flowLogsRoleArn]] as const) {
      if (arn !== undefined && literal(arn) && (WILDCARD.test(arn) || !arn.startsWith("arn:"))) fail(`${prop} must be exact ARNs without wildcards, got ${JSON.stringify(arn)}`);
    }
    if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(props.ssmParameterPath)) fail(`ssmParameterPath must look like /service/env, got ${JSON.stringify(props.ssmParameterPath)}`);
    for (const [prop, v] of [["scopeTagKey", props.scopeTagKey], ["scopeTagValue", props.scopeTagValue]] as const) {
      if (v === "" || WILDCARD.test(v)) fail(`${prop} must be a non-empty tag ${prop === "scopeTagKey" ? "key" : "value"} without wildcards, got ${JSON.stringify(v)}`);
    }
    if (props.stateBucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.stateBucket)) {
      fail(`stateBucket must be an S3 bucket name, got ${JSON.stringify(props.stateBucket)}`);
    }
    if (props.stateLockTable !== undefined && (props.stateBucket === undefined || !/^[A-Za-z0-9_.-]{3,255}$/.test(props.stateLockTable))) {
      fail(`stateLockTable needs stateBucket and must be a DynamoDB table name, got ${JSON.stringify(props.stateLockTable)}`);
    }
    if (props.stateKey !== undefined && (props.stateBucket === undefined || props.stateKey === "" || props.stateKey.startsWith("/") || WILDCARD.test(props.stateKey))) {
      fail(`stateKey needs stateBucket and must be an object key without a leading "/" or wildcards, got ${JSON.stringify(props.stateKey)}`);
    }
    if (props.hostedZoneId !== undefined && !/^Z[A-Z0-9]{1,31}$/.test(props.hostedZoneId)) fail(`hostedZoneId must look like Z0123456789ABC, got ${JSON.stringify(props.hostedZoneId)}`);

    this.planSubjects = unique(planSuffixes.map((s) => `${subjectPrefix}:${s}`));
    this.deploySubjects = unique([...deployRefs.map((r) => `${subjectPrefix}:ref:${r}`), ...deployEnvironments.map((e) => `${subjectPrefix}:environment:${e}`)]);

    // ---- provider -----------------------------------------------------------------------------
    if (createProvider) {
      // No thumbprint: AWS validates GitHub's certificate against its own trusted CAs and no
      // longer reads the thumbprint for this provider; it is optional in the binding.
      this.provider = new IamOpenidConnectProvider(this, "provider", {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdList: [GITHUB_OIDC_AUDIENCE],
      });
      this.providerArn = this.provider.arn;
    } else {
      this.providerArn = props.providerArn!;
    }

    const docs = githubPolicies({
      namePrefix: prefix,
      partition: p,
      region,
      providerArn: this.providerArn,
      planSubjects: this.planSubjects,
      deploySubjects: this.deploySubjects,
      ecrRepositoryArn: props.ecrRepositoryArn,
      passRoleArns: props.passRoleArns,
      flowLogsRoleArn: props.flowLogsRoleArn,
      scopeTagKey: props.scopeTagKey,
      scopeTagValue: props.scopeTagValue,
      stateBucket: props.stateBucket,
      stateKey: props.stateKey,
      stateLockTable: props.stateLockTable,
      hostedZoneId: props.hostedZoneId,
      permissionsBoundaryArn: props.permissionsBoundaryArn,
      boundaryPolicyName: props.boundaryPolicyName ?? boundaryName(prefix),
      createProvider,
      allowSelfModification,
    });

    // IAM allows 10,240 characters of inline policy per role, which the deploy role's rights
    // exceed: the reads both roles share, the deploy role's network rights (EC2 and the load
    // balancer) and its edge rights (keys, access-log bucket, WAF) are customer-managed policies
    // (6,144 characters each) attached to the roles.
    const managed = (id: string, name: string, description: string, statements: Statement[]) =>
      new IamPolicy(this, id, { name: `${prefix}-github-${name}`, description, policy: policy(statements) });

    this.planRole = new IamRole(this, "plan", {
      name: `${prefix}-github-plan`,
      description: `Read-only: terraform plan of ${prefix} for ${props.repository}`,
      assumeRolePolicy: policy(docs.planTrust),
      maxSessionDuration: 3600,
    });
    const readPolicy = managed("read-policy", "read", `Read-only view of ${prefix} for terraform plan and refresh (no secret values)`, docs.read);
    new IamRolePolicyAttachment(this, "plan-read", { role: this.planRole.name, policyArn: readPolicy.arn });
    new IamRolePolicy(this, "plan-policy", { role: this.planRole.id, name: "plan-state", policy: policy(docs.planInline) });

    this.deployRole = new IamRole(this, "deploy", {
      name: `${prefix}-github-deploy`,
      description: `terraform apply of ${prefix} only, from ${props.repository}`,
      assumeRolePolicy: policy(docs.deployTrust),
      maxSessionDuration: 3600,
    });
    const networkPolicy = managed("deploy-network-policy", "deploy-network", `EC2 networking and launch templates (by the stack tag) and the load balancer of ${prefix}`, docs.deployNetwork);
    const edgePolicy = managed("deploy-edge-policy", "deploy-edge", `KMS keys (by the stack tag), access-log bucket and WAF web ACL of ${prefix}`, docs.deployEdge);
    new IamRolePolicyAttachment(this, "deploy-read", { role: this.deployRole.name, policyArn: readPolicy.arn });
    new IamRolePolicyAttachment(this, "deploy-network", { role: this.deployRole.name, policyArn: networkPolicy.arn });
    new IamRolePolicyAttachment(this, "deploy-edge", { role: this.deployRole.name, policyArn: edgePolicy.arn });
    new IamRolePolicy(this, "deploy-policy", {
      role: this.deployRole.id,
      name: "deploy-this-stack",
      policy: policy(docs.deployInline),
    });
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
