import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { Construct } from "constructs";
import { policy, type Statement } from "./iam-policy";

/** Name of an environment's boundary policy: `<namePrefix>-boundary`. */
export const boundaryName = (namePrefix: string) => `${namePrefix}-boundary`;

/**
 * Actions the boundary always denies, whatever a role's own policies say: every IAM action and
 * every way to become another principal. A stack role can thus never change IAM (its own
 * policies included) nor chain into another role.
 */
export const BOUNDARY_DENIED_ACTIONS = [
  "iam:*",
  "sts:AssumeRole",
  "sts:AssumeRoleWithWebIdentity",
  "sts:AssumeRoleWithSAML",
  "sts:GetFederationToken",
  "organizations:*",
  "account:*",
] as const;

/**
 * Name suffixes of the roles the stack creates (`<namePrefix>-<suffix>`): lib/ecs-roles.ts and
 * lib/network.ts. The task role has no entry: the application has no permissions until someone
 * adds them here and to the task role (an administrator's change to the boundary).
 */
export const ROLE_SUFFIXES = { execution: "task-execution", task: "task", instance: "instance", flowLogs: "vpc-flow-logs" } as const;

export interface BoundaryInput {
  readonly partition: string;
  readonly region: string;
  /** The account (a token at synth). */
  readonly accountId: string;
  /** e.g. `webapp-dev`: the log groups, repository and parameters are named with it. */
  readonly namePrefix: string;
  /** The stack's ECR repository ARN. */
  readonly ecrRepositoryArn: string;
  /** SSM path of the secrets, e.g. `/webapp/dev`. */
  readonly ssmParameterPath: string;
}

/**
 * The most any role the stack creates may ever do (execution, task, instance, flow logs, and
 * future ones): the union of what the ECS agent, the tasks' execution role and VPC Flow Logs
 * need, each on this account's (and where possible this stack's) resources, and never IAM or
 * role assumption. A role's effective rights are the intersection of this and its own policies,
 * so whoever can write a stack role's policy still cannot grant more than this. Pure.
 */
export function boundaryStatements(b: BoundaryInput): Statement[] {
  const here = (service: string, resource: string) => `arn:${b.partition}:${service}:${b.region}:${b.accountId}:${resource}`;
  const role = (suffix: string) => `arn:${b.partition}:iam::${b.accountId}:role/${b.namePrefix}-${suffix}`;
  // Each grant is further limited to the roles that need it (aws:PrincipalArn): a role the
  // deploy role might create under another `<prefix>-` name gets nothing through the boundary.
  const only = (...suffixes: string[]) => ({ ArnEquals: { "aws:PrincipalArn": suffixes.map(role) } });
  const logGroups = [here("logs", `log-group:/ecs/${b.namePrefix}/*`), here("logs", `log-group:/vpc/${b.namePrefix}/*`)];
  return [
    {
      // The ECS container agent on the instances (what AmazonEC2ContainerServiceforEC2Role
      // grants), on this account's ECS resources in this region.
      Sid: "EcsAgent",
      Effect: "Allow",
      Action: [
        "ecs:CreateCluster",
        "ecs:DeregisterContainerInstance",
        "ecs:RegisterContainerInstance",
        "ecs:Poll",
        "ecs:StartTelemetrySession",
        "ecs:UpdateContainerInstancesState",
        "ecs:SubmitAttachmentStateChanges",
        "ecs:SubmitContainerStateChange",
        "ecs:SubmitTaskStateChange",
        "ecs:TagResource",
      ],
      Resource: [here("ecs", "*")],
      Condition: only(ROLE_SUFFIXES.instance),
    },
    {
      // No resource-level permission exists for these (AWS requires "*"): the agent's endpoint
      // discovery and reading its instance's tags.
      Sid: "EcsAgentDiscovery",
      Effect: "Allow",
      Action: ["ecs:DiscoverPollEndpoint", "ec2:DescribeTags"],
      Resource: "*",
      Condition: only(ROLE_SUFFIXES.instance),
    },
    {
      // The registry login has no resource-level permission either; the pulls are limited below.
      Sid: "RegistryLogin",
      Effect: "Allow",
      Action: ["ecr:GetAuthorizationToken"],
      Resource: "*",
      Condition: only(ROLE_SUFFIXES.execution, ROLE_SUFFIXES.instance),
    },
    {
      Sid: "PullStackImages",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: [b.ecrRepositoryArn],
      Condition: only(ROLE_SUFFIXES.execution, ROLE_SUFFIXES.instance),
    },
    {
      // Task logs (awslogs) and VPC flow logs: only the stack's log groups.
      Sid: "WriteStackLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [...logGroups, ...logGroups.map((g) => `${g}:log-stream:*`)],
      Condition: only(ROLE_SUFFIXES.execution, ROLE_SUFFIXES.instance, ROLE_SUFFIXES.flowLogs),
    },
    {
      Sid: "ReadStackSecrets",
      Effect: "Allow",
      Action: ["ssm:GetParameters"],
      Resource: [here("ssm", `parameter${b.ssmParameterPath}/*`)],
      Condition: only(ROLE_SUFFIXES.execution),
    },
    {
      Sid: "DecryptSecretsThroughSsm",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [here("kms", "key/*")],
      Condition: { StringEquals: { "kms:ViaService": `ssm.${b.region}.amazonaws.com` }, ...only(ROLE_SUFFIXES.execution) },
    },
    { Sid: "NeverIamNeverAssume", Effect: "Deny", Action: [...BOUNDARY_DENIED_ACTIONS], Resource: "*" },
  ];
}

export interface PermissionsBoundaryProps extends Omit<BoundaryInput, "partition"> {
  /** @default "aws" */
  readonly partition?: string;
}

/**
 * The environment's permissions boundary, `<namePrefix>-boundary`: every role the stack creates
 * carries it, and the deploy role may create or change a role's permissions only with it
 * attached (lib/github-oidc.ts). Changing this policy is an administrator's apply.
 */
export class PermissionsBoundary extends Construct {
  public readonly policy: IamPolicy;
  /** `aws_iam_policy.arn`. */
  public readonly arn: string;
  public readonly statements: readonly Statement[];

  constructor(scope: Construct, id: string, props: PermissionsBoundaryProps) {
    super(scope, id);
    this.statements = boundaryStatements({ ...props, partition: props.partition ?? "aws" });
    this.policy = new IamPolicy(this, "policy", {
      name: boundaryName(props.namePrefix),
      description: `Permissions boundary of every role ${props.namePrefix} creates: its most, never IAM or role assumption`,
      policy: policy(this.statements),
    });
    this.arn = this.policy.arn;
  }
}
