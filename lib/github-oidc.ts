import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { policy, type Statement } from "./iam-policy";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

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
  /** SSM path of this stack's parameters, e.g. `/webapp/dev` (the parameters are `<path>/<NAME>`). */
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

    const trust = (subjects: readonly string[]) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: this.providerArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE, [`${GITHUB_OIDC_HOST}:sub`]: subjects },
            },
          },
        ],
      });

    // ---- ARN patterns of this stack's resources ------------------------------------------------
    // The account is `*` because the stacks cannot know it offline; an identity policy only
    // acts in its own account for these services, which have no cross-account resource policies.
    const arn = (service: string, resource: string) => `arn:${p}:${service}:${region}:*:${resource}`;
    const iamArn = (resource: string) => `arn:${p}:iam::*:${resource}`;
    const ec2Here = arn("ec2", "*");
    const stackRoles = [iamArn(`role/${prefix}-*`), iamArn(`instance-profile/${prefix}-*`)];
    const githubRoles = [iamArn(`role/${prefix}-github-plan`), iamArn(`role/${prefix}-github-deploy`)];
    const githubPolicies = iamArn(`policy/${prefix}-github-*`);
    const oidcProvider = iamArn(`oidc-provider/${GITHUB_OIDC_HOST}`);
    const parameters = arn("ssm", `parameter${props.ssmParameterPath}/*`);
    const onlyTagged = (key: "aws:RequestTag" | "aws:ResourceTag") => ({ StringEquals: { [`${key}/${props.scopeTagKey}`]: props.scopeTagValue } });

    // ---- Terraform state (S3 backend with use_lockfile) ----------------------------------------
    const bucket = props.stateBucket && `arn:${p}:s3:::${props.stateBucket}`;
    const stateObject = bucket && `${bucket}/${props.stateKey ?? "*"}`;
    const lockObject = bucket && `${bucket}/${props.stateKey ?? "*"}.tflock`;
    const stateRead: Statement[] = bucket
      ? [
          // Key names only; the objects are limited below.
          { Sid: "StateList", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket] },
          { Sid: "StateRead", Effect: "Allow", Action: ["s3:GetObject"], Resource: [stateObject!] },
          // `terraform plan` takes the lock too: the lock file `<key>.tflock` is created and
          // deleted around every run.
          { Sid: "StateLock", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: [lockObject!] },
          ...(props.stateLockTable !== undefined
            ? [
                {
                  // The DynamoDB lock of older Terraform: the item LockID `<bucket>/<key>` (and its
                  // `-md5` digest item) in this one table. No condition on the item key: the
                  // digest item's id is derived, and the table holds only state locks. Any region:
                  // the table lives beside the state bucket, which may be in another region.
                  Sid: "StateLockTable",
                  Effect: "Allow" as const,
                  Action: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                  Resource: [`arn:${p}:dynamodb:*:*:table/${props.stateLockTable}`],
                },
              ]
            : []),
        ]
      : [];

    // ---- read-only (both roles: Terraform refreshes every resource) ----------------------------
    const reads: Statement[] = [
      {
        // Describe/List/Get reveal configuration, not data, and most have no resource-level
        // permissions in these services.
        Sid: "Read",
        Effect: "Allow",
        Action: [
          "ec2:Describe*",
          "elasticloadbalancing:Describe*",
          "ecs:Describe*",
          "ecs:List*",
          "autoscaling:Describe*",
          "application-autoscaling:Describe*",
          "application-autoscaling:ListTagsForResource",
          "logs:Describe*",
          "logs:ListTagsForResource",
          "logs:ListTagsLogGroup",
          "cloudwatch:Describe*",
          "cloudwatch:GetDashboard",
          "cloudwatch:ListDashboards",
          "cloudwatch:ListTagsForResource",
          "sns:GetTopicAttributes",
          "sns:GetSubscriptionAttributes",
          "sns:ListSubscriptionsByTopic",
          "sns:ListTagsForResource",
          "ssm:DescribeParameters",
          "ssm:ListTagsForResource",
          "acm:DescribeCertificate",
          "acm:ListTagsForCertificate",
          "route53:GetHostedZone",
          "route53:GetChange",
          "route53:ListResourceRecordSets",
          "route53:ListTagsForResource",
        ],
        Resource: "*",
      },
      {
        Sid: "ReadStackIam",
        Effect: "Allow",
        Action: [
          "iam:GetRole",
          "iam:GetRolePolicy",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
          "iam:GetInstanceProfile",
          "iam:GetPolicy",
          "iam:GetPolicyVersion",
          "iam:ListPolicyVersions",
          "iam:GetOpenIDConnectProvider",
        ],
        Resource: [...stackRoles, githubPolicies, oidcProvider],
      },
      {
        Sid: "ReadRepository",
        Effect: "Allow",
        // DescribeImages / DescribeImageScanFindings: the image workflow reads the scan of the
        // digest it pushed (.github/workflows/image.yml).
        Action: ["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource", "ecr:DescribeImages", "ecr:DescribeImageScanFindings"],
        Resource: [props.ecrRepositoryArn],
      },
      {
        // Trade-off, written down: the AWS provider refreshes each aws_ssm_parameter with
        // GetParameter(WithDecryption), so the plan needs it on this stack's path, and with the
        // AWS-managed key that returns the secret values to the job. Limited to this path (no
        // other stack's or service's secrets); values are never in code or state (lib/secrets.ts).
        // With a customer-managed key, grant no kms:Decrypt here and the plan cannot read values
        // (nor refresh the parameters).
        Sid: "ReadStackParameters",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:GetParameters"],
        Resource: [parameters],
      },
    ];

    // Explicit deny on both roles. A role this stack creates could name the deploy role in its
    // trust policy, which within one account lets that role be assumed without any Allow here;
    // denying sts:AssumeRole closes that path to rights beyond this policy.
    const noRoleChaining: Statement = { Sid: "NoRoleChaining", Effect: "Deny", Action: ["sts:AssumeRole"], Resource: "*" };

    this.planRole = new IamRole(this, "plan", {
      name: `${prefix}-github-plan`,
      description: `Read-only: terraform plan of ${prefix} for ${props.repository}`,
      assumeRolePolicy: trust(this.planSubjects),
      maxSessionDuration: 3600,
    });
    // IAM allows 10,240 characters of inline policy per role, which the deploy role's rights
    // exceed: the reads both roles share, and the deploy role's network rights (EC2 and the load
    // balancer), are customer-managed policies (6,144 characters each) attached to the roles.
    const managed = (id: string, name: string, description: string, statements: Statement[]) =>
      new IamPolicy(this, id, { name: `${prefix}-github-${name}`, description, policy: policy(statements) });
    const readPolicy = managed("read-policy", "read", `Read-only view of ${prefix} for terraform plan and refresh`, reads);
    new IamRolePolicyAttachment(this, "plan-read", { role: this.planRole.name, policyArn: readPolicy.arn });
    new IamRolePolicy(this, "plan-policy", { role: this.planRole.id, name: "plan-state", policy: policy([...stateRead, noRoleChaining]) });

    // ---- deploy: writes, each limited to this stack's resources --------------------------------
    const ec2CreateActions = [
      "CreateVpc",
      "CreateSubnet",
      "CreateInternetGateway",
      "CreateNatGateway",
      "AllocateAddress",
      "CreateRouteTable",
      "CreateSecurityGroup",
      "AuthorizeSecurityGroupIngress",
      "AuthorizeSecurityGroupEgress",
      "CreateLaunchTemplate",
      "CreateFlowLogs",
    ];
    const network: Statement[] = [
      // EC2 networking and launch templates are named by generated ids, so no ARN can pick out
      // this stack's: creation requires the stack's tag in the request, every later change
      // requires it on the resource. Resources are limited to this region.
      {
        Sid: "Ec2CreateTagged",
        Effect: "Allow",
        Action: ["ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateInternetGateway", "ec2:CreateNatGateway", "ec2:AllocateAddress", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateLaunchTemplate", "ec2:CreateFlowLogs"],
        Resource: [ec2Here],
        Condition: onlyTagged("aws:RequestTag"),
      },
      {
        // Tags (the stack tag among them) may be written as part of those creates only.
        Sid: "Ec2TagOnCreate",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: [ec2Here],
        Condition: { StringEquals: { "ec2:CreateAction": ec2CreateActions } },
      },
      {
        // The VPC's default security group is created by AWS without tags; Terraform adopts it
        // (aws_default_security_group) and tags it. Allowed only on an untagged security group
        // and only to add this stack's tag; from then on Ec2ChangeTagged applies.
        Sid: "Ec2AdoptDefaultSecurityGroup",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: [arn("ec2", "security-group/*")],
        Condition: { ...onlyTagged("aws:RequestTag"), Null: { [`aws:ResourceTag/${props.scopeTagKey}`]: "true" } },
      },
      {
        Sid: "Ec2ChangeTagged",
        Effect: "Allow",
        Action: [
          "ec2:ModifyVpcAttribute",
          "ec2:DeleteVpc",
          "ec2:ModifySubnetAttribute",
          "ec2:DeleteSubnet",
          "ec2:AttachInternetGateway",
          "ec2:DetachInternetGateway",
          "ec2:DeleteInternetGateway",
          "ec2:DeleteNatGateway",
          "ec2:DisassociateAddress",
          "ec2:ReleaseAddress",
          "ec2:CreateRoute",
          "ec2:ReplaceRoute",
          "ec2:DeleteRoute",
          "ec2:AssociateRouteTable",
          "ec2:DisassociateRouteTable",
          "ec2:DeleteRouteTable",
          "ec2:AuthorizeSecurityGroupIngress",
          "ec2:AuthorizeSecurityGroupEgress",
          "ec2:RevokeSecurityGroupIngress",
          "ec2:RevokeSecurityGroupEgress",
          "ec2:ModifySecurityGroupRules",
          "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
          "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
          "ec2:DeleteSecurityGroup",
          "ec2:CreateLaunchTemplateVersion",
          "ec2:ModifyLaunchTemplate",
          "ec2:DeleteLaunchTemplate",
          "ec2:DeleteFlowLogs",
          "ec2:CreateTags",
          "ec2:DeleteTags",
        ],
        Resource: [ec2Here],
        Condition: onlyTagged("aws:ResourceTag"),
      },
      {
        // Auto Scaling checks that the caller may launch what the group will launch. Limited to
        // launches whose parameters come from a launch template in this region; launch
        // templates cannot be name-scoped, but creating or changing one requires the stack tag,
        // and the instance profile's role must pass the PassRole statement below.
        Sid: "LaunchFromTemplate",
        Effect: "Allow",
        Action: ["ec2:RunInstances"],
        Resource: [ec2Here, `arn:${p}:ec2:${region}::image/*`],
        Condition: { ArnLike: { "ec2:LaunchTemplate": arn("ec2", "launch-template/*") }, Bool: { "ec2:IsLaunchTemplateResource": "true" } },
      },
      {
        // The launch template's image is `resolve:ssm:` an AWS public ECS-optimized AMI parameter.
        Sid: "ResolveEcsAmi",
        Effect: "Allow",
        Action: ["ssm:GetParameters", "ssm:GetParameter"],
        Resource: [`arn:${p}:ssm:${region}::parameter/aws/service/ecs/*`],
      },
      {
        Sid: "LoadBalancer",
        Effect: "Allow",
        Action: [
          "elasticloadbalancing:CreateLoadBalancer",
          "elasticloadbalancing:DeleteLoadBalancer",
          "elasticloadbalancing:ModifyLoadBalancerAttributes",
          "elasticloadbalancing:SetSecurityGroups",
          "elasticloadbalancing:SetSubnets",
          "elasticloadbalancing:CreateTargetGroup",
          "elasticloadbalancing:DeleteTargetGroup",
          "elasticloadbalancing:ModifyTargetGroup",
          "elasticloadbalancing:ModifyTargetGroupAttributes",
          "elasticloadbalancing:CreateListener",
          "elasticloadbalancing:DeleteListener",
          "elasticloadbalancing:ModifyListener",
          "elasticloadbalancing:ModifyListenerAttributes",
          "elasticloadbalancing:CreateRule",
          "elasticloadbalancing:DeleteRule",
          "elasticloadbalancing:ModifyRule",
          "elasticloadbalancing:SetRulePriorities",
          "elasticloadbalancing:AddTags",
          "elasticloadbalancing:RemoveTags",
        ],
        // The load balancer is named `<prefix>`, its target groups `<prefix>-<colour>` (lib/alb.ts).
        Resource: [
          arn("elasticloadbalancing", `loadbalancer/app/${prefix}/*`),
          arn("elasticloadbalancing", `targetgroup/${prefix}-*/*`),
          arn("elasticloadbalancing", `listener/app/${prefix}/*`),
          arn("elasticloadbalancing", `listener-rule/app/${prefix}/*`),
        ],
      },
    ];
    const writes: Statement[] = [
      ...(bucket ? [{ Sid: "StateWrite", Effect: "Allow" as const, Action: ["s3:PutObject"], Resource: [stateObject!] }] : []),
      {
        Sid: "Ecs",
        Effect: "Allow",
        Action: [
          "ecs:UpdateCluster",
          "ecs:UpdateClusterSettings",
          "ecs:DeleteCluster",
          "ecs:PutClusterCapacityProviders",
          "ecs:UpdateCapacityProvider",
          "ecs:DeleteCapacityProvider",
          "ecs:UpdateService",
          "ecs:DeleteService",
          "ecs:TagResource",
          "ecs:UntagResource",
        ],
        // Cluster and capacity provider `<prefix>`, services `<prefix>-<colour>`, task definition families `<prefix>-<colour>`.
        Resource: [arn("ecs", `cluster/${prefix}`), arn("ecs", `capacity-provider/${prefix}`), arn("ecs", `service/${prefix}/${prefix}-*`), arn("ecs", `task-definition/${prefix}-*:*`)],
      },
      // These creates have no resource-level permissions (AWS requires "*"): the request must
      // carry the stack's tag, and tagging them is limited to this stack's ARNs above.
      { Sid: "EcsCreateTagged", Effect: "Allow", Action: ["ecs:CreateCluster", "ecs:CreateCapacityProvider", "ecs:RegisterTaskDefinition"], Resource: "*", Condition: onlyTagged("aws:RequestTag") },
      { Sid: "EcsCreateService", Effect: "Allow", Action: ["ecs:CreateService"], Resource: "*", Condition: { ArnLike: { "ecs:cluster": arn("ecs", `cluster/${prefix}`) } } },
      // Exception, written down: DeregisterTaskDefinition has no resource-level permission and
      // no condition key; Terraform calls it for every replaced revision. It stops no running task.
      { Sid: "EcsDeregisterTaskDefinition", Effect: "Allow", Action: ["ecs:DeregisterTaskDefinition"], Resource: "*" },
      {
        Sid: "AutoScalingGroup",
        Effect: "Allow",
        Action: ["autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup", "autoscaling:DeleteAutoScalingGroup", "autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags", "autoscaling:SetInstanceProtection"],
        Resource: [arn("autoscaling", `autoScalingGroup:*:autoScalingGroupName/${prefix}-*`)],
      },
      {
        // Scalable targets and policies are addressed by generated ids: "*" limited by condition
        // to ECS service task counts.
        Sid: "ServiceAutoScaling",
        Effect: "Allow",
        Action: [
          "application-autoscaling:RegisterScalableTarget",
          "application-autoscaling:DeregisterScalableTarget",
          "application-autoscaling:PutScalingPolicy",
          "application-autoscaling:DeleteScalingPolicy",
          "application-autoscaling:TagResource",
          "application-autoscaling:UntagResource",
        ],
        Resource: "*",
        Condition: { StringEquals: { "application-autoscaling:service-namespace": "ecs", "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount" } },
      },
      {
        Sid: "ServiceLinkedRoles",
        Effect: "Allow",
        Action: ["iam:CreateServiceLinkedRole"],
        Resource: [iamArn("role/aws-service-role/*")],
        Condition: { StringEquals: { "iam:AWSServiceName": ["ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "autoscaling.amazonaws.com"] } },
      },
      {
        Sid: "LogGroups",
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"],
        // The tasks' groups `/ecs/<prefix>/<colour>` (lib/log-groups.ts), the flow logs' `/vpc/<prefix>/flow-logs` (lib/network.ts).
        Resource: [arn("logs", `log-group:/ecs/${prefix}/*`), arn("logs", `log-group:/vpc/${prefix}/*`)],
      },
      {
        Sid: "AlarmsAndDashboard",
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
        Resource: [arn("cloudwatch", `alarm:${prefix}-*`), `arn:${p}:cloudwatch::*:dashboard/${prefix}`],
      },
      {
        Sid: "AlarmTopic",
        Effect: "Allow",
        Action: ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe", "sns:TagResource", "sns:UntagResource"],
        Resource: [arn("sns", `${prefix}-*`)],
      },
      {
        Sid: "StackParameters",
        Effect: "Allow",
        Action: ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"],
        Resource: [parameters],
      },
      {
        Sid: "Repository",
        Effect: "Allow",
        Action: [
          "ecr:CreateRepository",
          "ecr:DeleteRepository",
          "ecr:PutLifecyclePolicy",
          "ecr:DeleteLifecyclePolicy",
          "ecr:PutImageScanningConfiguration",
          "ecr:PutImageTagMutability",
          "ecr:TagResource",
          "ecr:UntagResource",
          // push, and the pulls a build uses as cache
          "ecr:BatchCheckLayerAvailability",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
        ],
        Resource: [props.ecrRepositoryArn],
      },
      // Exception, written down: ecr:GetAuthorizationToken has no resource-level permission
      // (AWS requires "*"); it only returns a registry login, and every push is limited to the
      // repository above.
      { Sid: "RegistryLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        // Trade-off, written down: the deploy role manages this stack's roles (`<prefix>-*`),
        // which it must to apply the stack. Whoever controls the deploy job can therefore shape
        // the task role's rights and run code with them; that is the power of a deployer, and it
        // stays inside one account's `<prefix>-*` roles. Limits: managed policies only from the
        // two the stack attaches; no role chaining (NoRoleChaining); and, unless
        // allowSelfModification, no change to the GitHub roles themselves (NoSelfModification),
        // so CI cannot widen its own rights. A permissions boundary on the stack's roles would
        // close the rest and needs an administrator-owned policy outside this stack.
        Sid: "StackRoles",
        Effect: "Allow",
        Action: [
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy",
          "iam:PutRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:CreateInstanceProfile",
          "iam:DeleteInstanceProfile",
          "iam:AddRoleToInstanceProfile",
          "iam:RemoveRoleFromInstanceProfile",
          "iam:TagInstanceProfile",
          "iam:UntagInstanceProfile",
        ],
        Resource: stackRoles,
      },
      {
        Sid: "StackRoleManagedPolicies",
        Effect: "Allow",
        Action: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
        Resource: [iamArn(`role/${prefix}-*`)],
        Condition: {
          ArnLike: {
            "iam:PolicyARN": [
              `arn:${p}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`,
              `arn:${p}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
              ...(allowSelfModification ? [githubPolicies] : []),
            ],
          },
        },
      },
      {
        Sid: "PassStackRoles",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [...props.passRoleArns],
        Condition: { StringEquals: { "iam:PassedToService": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"] } },
      },
    ];
    if (props.flowLogsRoleArn !== undefined) {
      writes.push({
        Sid: "PassFlowLogsRole",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [props.flowLogsRoleArn],
        Condition: { StringEquals: { "iam:PassedToService": "vpc-flow-logs.amazonaws.com" } },
      });
    }
    if (createProvider) {
      writes.push({
        Sid: "OidcProvider",
        Effect: "Allow",
        Action: [
          "iam:CreateOpenIDConnectProvider",
          "iam:DeleteOpenIDConnectProvider",
          "iam:UpdateOpenIDConnectProviderThumbprint",
          "iam:AddClientIDToOpenIDConnectProvider",
          "iam:RemoveClientIDFromOpenIDConnectProvider",
          "iam:TagOpenIDConnectProvider",
          "iam:UntagOpenIDConnectProvider",
        ],
        Resource: [oidcProvider],
      });
    }
    if (props.hostedZoneId !== undefined) {
      writes.push(
        { Sid: "DnsRecords", Effect: "Allow", Action: ["route53:ChangeResourceRecordSets"], Resource: [`arn:${p}:route53:::hostedzone/${props.hostedZoneId}`] },
        // RequestCertificate has no resource-level permission (AWS requires "*"): limited by
        // condition to DNS-validated requests carrying the stack's tag.
        {
          Sid: "CertificateRequest",
          Effect: "Allow",
          Action: ["acm:RequestCertificate"],
          Resource: "*",
          Condition: { StringEquals: { "acm:ValidationMethod": "DNS", [`aws:RequestTag/${props.scopeTagKey}`]: props.scopeTagValue } },
        },
        { Sid: "CertificateTagOnCreate", Effect: "Allow", Action: ["acm:AddTagsToCertificate"], Resource: [arn("acm", "certificate/*")], Condition: onlyTagged("aws:RequestTag") },
        { Sid: "CertificateChange", Effect: "Allow", Action: ["acm:DeleteCertificate", "acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"], Resource: [arn("acm", "certificate/*")], Condition: onlyTagged("aws:ResourceTag") },
      );
    }
    const denies: Statement[] = [noRoleChaining];
    if (allowSelfModification) {
      writes.push({
        Sid: "GithubPolicies",
        Effect: "Allow",
        Action: ["iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy"],
        Resource: [githubPolicies],
      });
    } else {
      denies.push({
        Sid: "NoSelfModification",
        Effect: "Deny",
        Action: [
          "iam:DeleteRole",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
          "iam:UpdateAssumeRolePolicy",
          "iam:PutRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:AttachRolePolicy",
          "iam:DetachRolePolicy",
          "iam:PutRolePermissionsBoundary",
          "iam:DeleteRolePermissionsBoundary",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:CreatePolicyVersion",
          "iam:DeletePolicyVersion",
          "iam:SetDefaultPolicyVersion",
          "iam:DeletePolicy",
          "iam:TagPolicy",
          "iam:UntagPolicy",
        ],
        Resource: [...githubRoles, githubPolicies],
      });
    }

    this.deployRole = new IamRole(this, "deploy", {
      name: `${prefix}-github-deploy`,
      description: `terraform apply of ${prefix} only, from ${props.repository}`,
      assumeRolePolicy: trust(this.deploySubjects),
      maxSessionDuration: 3600,
    });
    const networkPolicy = managed("deploy-network-policy", "deploy-network", `EC2 networking and launch templates (by the stack tag) and the load balancer of ${prefix}`, network);
    new IamRolePolicyAttachment(this, "deploy-read", { role: this.deployRole.name, policyArn: readPolicy.arn });
    new IamRolePolicyAttachment(this, "deploy-network", { role: this.deployRole.name, policyArn: networkPolicy.arn });
    new IamRolePolicy(this, "deploy-policy", {
      role: this.deployRole.id,
      name: "deploy-this-stack",
      policy: policy([...stateRead, ...writes, ...denies]),
    });
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
