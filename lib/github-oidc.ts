import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import { policy, type Statement } from "./iam-policy";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

export interface GithubOidcProps {
  /** e.g. `webapp-dev`: names the roles and scopes every write permission. */
  readonly namePrefix: string;
  /** Region of this stack's resources. */
  readonly region: string;
  /** `owner/repo`. */
  readonly repository: string;
  /**
   * Prefix of the `sub` claim. GitHub's immutable form is `repo:OWNER@OWNER_ID/REPO@REPO_ID`.
   * @default `repo:<repository>`
   */
  readonly subjectPrefix?: string;
  /** Subject suffixes allowed to plan. @default ["pull_request"] */
  readonly planSubjects?: readonly string[];
  /** Refs allowed to deploy, e.g. `refs/heads/main`. @default [] */
  readonly deployRefs?: readonly string[];
  /** GitHub environments allowed to deploy, e.g. `production`. @default [] */
  readonly deployEnvironments?: readonly string[];
  /** Create the account's OIDC provider here (once per account). @default true */
  readonly createProvider?: boolean;
  /** The existing provider's ARN; required when `createProvider` is false. */
  readonly providerArn?: string;
  /** The one ECR repository CI pushes to. */
  readonly ecrRepositoryArn: string;
  /** Roles the deploy role may pass, to ECS and EC2 only (execution, task, instance roles). */
  readonly passRoleArns: readonly string[];
  /** SSM path of this stack's parameters, e.g. `/webapp/dev`. */
  readonly ssmParameterPath: string;
  /** Tag every resource of the stack carries (provider default_tags), scoping EC2 writes. */
  readonly scopeTagKey: string;
  readonly scopeTagValue: string;
  /** Route 53 zone the deploy role may change records in. @default - no DNS permissions */
  readonly hostedZoneId?: string;
  /** S3 state bucket (and its key prefix) both roles may use. @default - no state permissions */
  readonly stateBucket?: string;
  /** @default "aws" */
  readonly partition?: string;
}

const READ_SERVICES = [
  "ec2:Describe*",
  "elasticloadbalancing:Describe*",
  "ecs:Describe*",
  "ecs:List*",
  "autoscaling:Describe*",
  "application-autoscaling:Describe*",
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
  "ecr:DescribeRepositories",
  "ecr:GetLifecyclePolicy",
  "ecr:ListTagsForResource",
  "iam:GetRole",
  "iam:GetRolePolicy",
  "iam:ListRolePolicies",
  "iam:ListAttachedRolePolicies",
  "iam:GetInstanceProfile",
  "iam:GetOpenIDConnectProvider",
  "iam:ListInstanceProfilesForRole",
  "acm:DescribeCertificate",
  "acm:ListTagsForCertificate",
  "route53:GetHostedZone",
  "route53:ListResourceRecordSets",
  "route53:GetChange",
  "sts:GetCallerIdentity",
];

/**
 * GitHub Actions OIDC: the account's identity provider (optional) and two roles, a read-only
 * plan role for pull requests and a deploy role for the configured refs or environments.
 * Trust pins `aud` and lists exact `sub` values with StringEquals: never a wildcard.
 */
export class GithubOidc extends Construct {
  public readonly provider?: IamOpenidConnectProvider;
  public readonly providerArn: string;
  public readonly planRole: IamRole;
  public readonly deployRole: IamRole;
  /** Exact subjects trusted by each role. */
  public readonly planSubjects: readonly string[];
  public readonly deploySubjects: readonly string[];

  constructor(scope: Construct, id: string, props: GithubOidcProps) {
    super(scope, id);
    const p = props.partition ?? "aws";
    const subjectPrefix = props.subjectPrefix ?? `repo:${props.repository}`;
    const createProvider = props.createProvider ?? true;
    const deployRefs = props.deployRefs ?? [];
    const deployEnvironments = props.deployEnvironments ?? [];
    if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(props.repository)) {
      throw new Error(`GithubOidc: repository must be owner/repo, got ${JSON.stringify(props.repository)}`);
    }
    if (!subjectPrefix.startsWith("repo:")) throw new Error(`GithubOidc: subjectPrefix must start with "repo:", got ${JSON.stringify(subjectPrefix)}`);
    if (!createProvider && !props.providerArn) {
      throw new Error("GithubOidc: providerArn is required when createProvider is false (the account's existing GitHub OIDC provider)");
    }
    if (deployRefs.length === 0 && deployEnvironments.length === 0) {
      throw new Error("GithubOidc: no deployRefs and no deployEnvironments: nobody could assume the deploy role; name at least one");
    }
    this.planSubjects = (props.planSubjects ?? ["pull_request"]).map((s) => `${subjectPrefix}:${s}`);
    this.deploySubjects = [
      ...deployRefs.map((r) => `${subjectPrefix}:ref:${r}`),
      ...deployEnvironments.map((e) => `${subjectPrefix}:environment:${e}`),
    ];
    for (const s of [...this.planSubjects, ...this.deploySubjects]) {
      if (/[*?]/.test(s)) throw new Error(`GithubOidc: subject ${JSON.stringify(s)} contains a wildcard; trust exact subjects only`);
    }

    if (createProvider) {
      // No thumbprint: AWS validates GitHub's certificate against its own trust store.
      this.provider = new IamOpenidConnectProvider(this, "provider", {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdList: ["sts.amazonaws.com"],
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
              StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com", [`${GITHUB_OIDC_HOST}:sub`]: subjects },
            },
          },
        ],
      });

    const prefix = props.namePrefix;
    const arn = (service: string, resource: string, region = props.region) => `arn:${p}:${service}:${region}:*:${resource}`;
    const stateStatements: Statement[] = props.stateBucket
      ? [
          { Sid: "StateList", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [`arn:${p}:s3:::${props.stateBucket}`] },
          {
            Sid: "StateRead",
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: [`arn:${p}:s3:::${props.stateBucket}/*`],
          },
        ]
      : [];
    // Terraform's S3 native lock file (use_lockfile): plan takes the lock too.
    const lockStatements: Statement[] = props.stateBucket
      ? [{ Sid: "StateLock", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: [`arn:${p}:s3:::${props.stateBucket}/*.tflock`] }]
      : [];
    const readStatements: Statement[] = [
      // Read-only actions: Describe/List/Get have little or no resource-level scoping in these
      // services, and reveal configuration, not data.
      { Sid: "Read", Effect: "Allow", Action: READ_SERVICES, Resource: "*" },
      // The provider refreshes the secrets' metadata; values stay write-only (see lib/secrets.ts).
      { Sid: "ReadParameters", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: [arn("ssm", `parameter${props.ssmParameterPath}/*`)] },
    ];

    this.planRole = new IamRole(this, "plan", {
      name: `${prefix}-github-plan`,
      description: `Read-only: terraform plan for pull requests of ${props.repository}`,
      assumeRolePolicy: trust(this.planSubjects),
      maxSessionDuration: 3600,
    });
    new IamRolePolicy(this, "plan-policy", {
      role: this.planRole.id,
      name: "plan-read-only",
      policy: policy([...readStatements, ...stateStatements, ...lockStatements]),
    });

    const tagged = (condition: "aws:RequestTag" | "aws:ResourceTag") => ({ StringEquals: { [`${condition}/${props.scopeTagKey}`]: props.scopeTagValue } });
    const deployStatements: Statement[] = [
      ...readStatements,
      ...stateStatements,
      ...(props.stateBucket
        ? [{ Sid: "StateWrite", Effect: "Allow" as const, Action: ["s3:PutObject", "s3:DeleteObject"], Resource: [`arn:${p}:s3:::${props.stateBucket}/*`] }]
        : []),
      // EC2 networking and launch templates cannot be scoped by name: creation requires the
      // stack's tag in the request, every later change requires it on the resource.
      {
        Sid: "Ec2CreateTagged",
        Effect: "Allow",
        Action: [
          "ec2:CreateVpc",
          "ec2:CreateSubnet",
          "ec2:CreateInternetGateway",
          "ec2:CreateNatGateway",
          "ec2:AllocateAddress",
          "ec2:CreateRouteTable",
          "ec2:CreateSecurityGroup",
          "ec2:CreateLaunchTemplate",
          "ec2:CreateFlowLogs",
        ],
        Resource: "*",
        Condition: tagged("aws:RequestTag"),
      },
      {
        Sid: "Ec2TagOnCreate",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "ec2:CreateAction": ["CreateVpc", "CreateSubnet", "CreateInternetGateway", "CreateNatGateway", "AllocateAddress", "CreateRouteTable", "CreateSecurityGroup", "CreateLaunchTemplate", "CreateFlowLogs", "RunInstances"],
          },
        },
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
          "ec2:ReleaseAddress",
          "ec2:DisassociateAddress",
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
          "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
          "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
          "ec2:ModifySecurityGroupRules",
          "ec2:DeleteSecurityGroup",
          "ec2:CreateLaunchTemplateVersion",
          "ec2:ModifyLaunchTemplate",
          "ec2:DeleteLaunchTemplate",
          "ec2:DeleteFlowLogs",
          "ec2:CreateTags",
          "ec2:DeleteTags",
        ],
        Resource: "*",
        Condition: tagged("aws:ResourceTag"),
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
          "elasticloadbalancing:CreateRule",
          "elasticloadbalancing:DeleteRule",
          "elasticloadbalancing:ModifyRule",
          "elasticloadbalancing:SetRulePriorities",
          "elasticloadbalancing:AddTags",
          "elasticloadbalancing:RemoveTags",
        ],
        Resource: [
          arn("elasticloadbalancing", `loadbalancer/app/${prefix}/*`),
          arn("elasticloadbalancing", `targetgroup/${prefix}-*/*`),
          arn("elasticloadbalancing", `listener/app/${prefix}/*`),
          arn("elasticloadbalancing", `listener-rule/app/${prefix}/*`),
        ],
      },
      {
        Sid: "Ecs",
        Effect: "Allow",
        Action: [
          "ecs:DeleteCluster",
          "ecs:UpdateCluster",
          "ecs:UpdateClusterSettings",
          "ecs:PutClusterCapacityProviders",
          "ecs:UpdateCapacityProvider",
          "ecs:DeleteCapacityProvider",
          "ecs:UpdateService",
          "ecs:DeleteService",
          "ecs:TagResource",
          "ecs:UntagResource",
        ],
        Resource: [arn("ecs", `cluster/${prefix}`), arn("ecs", `capacity-provider/${prefix}`), arn("ecs", `service/${prefix}/*`), arn("ecs", `task-definition/${prefix}-*:*`)],
      },
      // These creates have no resource-level permissions: the request must carry the stack's tag.
      {
        Sid: "EcsCreateTagged",
        Effect: "Allow",
        Action: ["ecs:CreateCluster", "ecs:CreateCapacityProvider", "ecs:RegisterTaskDefinition"],
        Resource: "*",
        Condition: tagged("aws:RequestTag"),
      },
      { Sid: "EcsCreateService", Effect: "Allow", Action: ["ecs:CreateService"], Resource: "*", Condition: { ArnLike: { "ecs:cluster": arn("ecs", `cluster/${prefix}`) } } },
      // Exception, written down: DeregisterTaskDefinition has no resource-level permission and no
      // condition key, and Terraform calls it on every new revision. It stops no running task.
      { Sid: "EcsDeregisterTaskDefinition", Effect: "Allow", Action: ["ecs:DeregisterTaskDefinition"], Resource: "*" },
      {
        Sid: "AutoScalingGroup",
        Effect: "Allow",
        Action: [
          "autoscaling:CreateAutoScalingGroup",
          "autoscaling:UpdateAutoScalingGroup",
          "autoscaling:DeleteAutoScalingGroup",
          "autoscaling:CreateOrUpdateTags",
          "autoscaling:DeleteTags",
          "autoscaling:SetInstanceProtection",
        ],
        Resource: [arn("autoscaling", `autoScalingGroup:*:autoScalingGroupName/${prefix}*`)],
      },
      {
        // Scalable targets have generated ids; limit to ECS service task counts.
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
        // The Auto Scaling group launches from the stack's launch template: the caller needs
        // RunInstances for it, limited to launches whose parameters come from a launch template.
        Sid: "LaunchFromTemplate",
        Effect: "Allow",
        Action: ["ec2:RunInstances"],
        Resource: "*",
        Condition: { ArnLike: { "ec2:LaunchTemplate": `arn:${p}:ec2:${props.region}:*:launch-template/*` }, Bool: { "ec2:IsLaunchTemplateResource": "true" } },
      },
      {
        Sid: "ServiceLinkedRoles",
        Effect: "Allow",
        Action: ["iam:CreateServiceLinkedRole"],
        Resource: [`arn:${p}:iam::*:role/aws-service-role/*`],
        Condition: {
          StringEquals: {
            "iam:AWSServiceName": ["ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com", "autoscaling.amazonaws.com"],
          },
        },
      },
      {
        Sid: "Logs",
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:AssociateKmsKey"],
        Resource: [arn("logs", `log-group:/ecs/${prefix}/*`), arn("logs", `log-group:/vpc/${prefix}/*`)],
      },
      {
        Sid: "Alarms",
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
        Resource: [arn("cloudwatch", `alarm:${prefix}-*`), `arn:${p}:cloudwatch::*:dashboard/${prefix}`],
      },
      {
        Sid: "Topic",
        Effect: "Allow",
        Action: ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe", "sns:TagResource", "sns:UntagResource"],
        Resource: [arn("sns", `${prefix}-*`)],
      },
      {
        Sid: "Parameters",
        Effect: "Allow",
        Action: ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"],
        Resource: [arn("ssm", `parameter${props.ssmParameterPath}/*`)],
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
      // GetAuthorizationToken has no resource-level permissions: AWS requires "*"; it only
      // grants a login, and every push is scoped to the repository above.
      { Sid: "RegistryLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        // Exception, written down: the deploy role manages this stack's roles, including
        // itself (it is part of the stack). Scoped to `<prefix>-*` names; a reviewer sees
        // every policy change in the plan before merge.
        Sid: "StackRoles",
        Effect: "Allow",
        Action: [
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:UpdateRole",
          "iam:UpdateAssumeRolePolicy",
          "iam:PutRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:AttachRolePolicy",
          "iam:DetachRolePolicy",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:CreateInstanceProfile",
          "iam:DeleteInstanceProfile",
          "iam:AddRoleToInstanceProfile",
          "iam:RemoveRoleFromInstanceProfile",
          "iam:TagInstanceProfile",
        ],
        Resource: [`arn:${p}:iam::*:role/${prefix}-*`, `arn:${p}:iam::*:instance-profile/${prefix}-*`],
      },
      {
        Sid: "PassStackRoles",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [...props.passRoleArns],
        Condition: { StringEquals: { "iam:PassedToService": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"] } },
      },
    ];
    if (createProvider) {
      deployStatements.push({
        Sid: "OidcProvider",
        Effect: "Allow",
        Action: ["iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:TagOpenIDConnectProvider"],
        Resource: [`arn:${p}:iam::*:oidc-provider/${GITHUB_OIDC_HOST}`],
      });
    }
    if (props.hostedZoneId) {
      deployStatements.push(
        { Sid: "DnsRecords", Effect: "Allow", Action: ["route53:ChangeResourceRecordSets"], Resource: [`arn:${p}:route53:::hostedzone/${props.hostedZoneId}`] },
        {
          // RequestCertificate has no resource-level permissions; the condition limits it to DNS-validated requests.
          Sid: "Certificates",
          Effect: "Allow",
          Action: ["acm:RequestCertificate", "acm:AddTagsToCertificate"],
          Resource: "*",
          Condition: { StringEquals: { "acm:ValidationMethod": "DNS" } },
        },
        { Sid: "CertificateDelete", Effect: "Allow", Action: ["acm:DeleteCertificate"], Resource: [arn("acm", "certificate/*")], Condition: tagged("aws:ResourceTag") },
      );
    }

    this.deployRole = new IamRole(this, "deploy", {
      name: `${prefix}-github-deploy`,
      description: `cdktf deploy of ${prefix} from ${props.repository}`,
      assumeRolePolicy: trust(this.deploySubjects),
      maxSessionDuration: 3600,
    });
    new IamRolePolicy(this, "deploy-policy", { role: this.deployRole.id, name: "deploy-this-stack", policy: policy(deployStatements) });
  }
}
