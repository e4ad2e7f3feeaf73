import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { policy, serviceTrust, type Statement } from "./iam-policy";

export interface EcsRolesProps {
  /**
   * Prefix of every name, e.g. `webapp-dev`: roles are `<namePrefix>-task-execution`,
   * `<namePrefix>-task` and `<namePrefix>-instance` (also the instance profile).
   * Lowercase letters, digits and hyphens, at most 49 characters (IAM role names stop at 64).
   */
  readonly namePrefix: string;
  /** ARN of the one ECR repository the tasks pull from. */
  readonly ecrRepositoryArn: string;
  /** ARNs of the log groups the tasks write to (as `aws_cloudwatch_log_group.arn`, without `:*`). At least one. */
  readonly logGroupArns: readonly string[];
  /** ARNs of the SSM parameters injected as secrets; may be empty (no SSM permission is granted then). */
  readonly secretParameterArns: readonly string[];
  /**
   * Customer-managed KMS key the secrets are encrypted with, when its key policy does not name
   * the execution role itself. @default - no IAM statement (lib/secrets.ts's key policy names the role)
   */
  readonly secretsKmsKeyArn?: string;
  /** Region of the stack: the tasks' trust requires requests from ECS in this region. */
  readonly region: string;
  /**
   * The stack's account (a token at synth: the ECR repository's `registry_id`). The tasks'
   * trust requires `aws:SourceAccount` = this account and `aws:SourceArn` in it.
   */
  readonly accountId: string;
  /** Permissions boundary every role here carries (lib/boundary.ts). */
  readonly permissionsBoundaryArn: string;
  /** Attach `AmazonSSMManagedInstanceCore` to the instance role (Session Manager shell on the hosts). @default false */
  readonly enableSsmSessionManager?: boolean;
  /** AWS partition of the managed policy ARNs; pass `aws_partition`'s value outside the commercial partition. @default "aws" */
  readonly partition?: string;
}

/** IAM role names stop at 64 characters; the longest suffix here is `-task-execution`. */
const MAX_PREFIX = 64 - "-task-execution".length;
const WILDCARD = /[*?]/;

/**
 * The three ECS roles, each with only what its holder needs:
 * - `executionRole`: used by the ECS agent to start a task: pull this repository's image, write
 *   these log groups' streams, read exactly these secret parameters.
 * - `taskRole`: the application's own identity; no permissions until the user attaches some.
 * - `instanceRole` / `instanceProfile`: the EC2 hosts, so the ECS agent can join the cluster.
 */
export class EcsRoles extends Construct {
  /** Task execution role (`executionRoleArn` of the task definitions). */
  public readonly executionRole: IamRole;
  /** The application's role (`taskRoleArn`): no policy by default; attach what the app needs. */
  public readonly taskRole: IamRole;
  /** Role of the container instances. */
  public readonly instanceRole: IamRole;
  /** Instance profile wrapping `instanceRole`, for the launch template. */
  public readonly instanceProfile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: EcsRolesProps) {
    super(scope, id);
    const prefix = props.namePrefix;
    const partition = props.partition ?? "aws";
    const enableSsm = props.enableSsmSessionManager ?? false;
    const fail = (message: string): never => {
      throw new Error(`EcsRoles: ${message}`);
    };

    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(prefix) || prefix.length > MAX_PREFIX) {
      fail(`namePrefix must be lowercase letters, digits and hyphens, at most ${MAX_PREFIX} characters, got ${JSON.stringify(prefix)}`);
    }
    // A wildcard in any ARN would widen the grant to resources that are not this stack's.
    const checkArn = (prop: string, arn: string, shape: RegExp) => {
      if (Token.isUnresolved(arn)) return;
      if (WILDCARD.test(arn) || !shape.test(arn)) fail(`${prop} must be one exact ARN (${shape.source}), got ${JSON.stringify(arn)}`);
    };
    checkArn("ecrRepositoryArn", props.ecrRepositoryArn, /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/[a-z0-9._/-]+$/);
    if (props.logGroupArns.length === 0) fail("logGroupArns is empty; give the log group(s) the tasks write to");
    // `aws_cloudwatch_log_group.arn` has no trailing `:*` in AWS provider 5.x; one with it would
    // turn the stream ARN below into `...:*:log-stream:*`, which matches nothing.
    for (const arn of props.logGroupArns) checkArn("logGroupArns", arn, /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9_./#-]+$/);
    for (const arn of props.secretParameterArns) checkArn("secretParameterArns", arn, /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_./-]+$/);
    if (props.secretsKmsKeyArn !== undefined) checkArn("secretsKmsKeyArn", props.secretsKmsKeyArn, /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/);

    // Trust: the ECS tasks service only, and only for tasks of this account in this region
    // (confused deputy: ECS sends aws:SourceAccount and aws:SourceArn when it assumes the role).
    // Only the deploy role may pass these roles, and to ECS only (lib/github-oidc.ts).
    const tasksTrust = serviceTrust("ecs-tasks.amazonaws.com", { account: props.accountId, sourceArn: `arn:${partition}:ecs:${props.region}:${props.accountId}:*` });
    const permissionsBoundary = props.permissionsBoundaryArn;

    this.executionRole = new IamRole(this, "execution", {
      name: `${prefix}-task-execution`,
      description: "ECS agent on behalf of the tasks: pull the image, write logs, read the secrets",
      assumeRolePolicy: tasksTrust,
      permissionsBoundary,
    });
    // Written out instead of AmazonECSTaskExecutionRolePolicy, which grants ECR pulls and log
    // writes on every resource in the account.
    const statements: Statement[] = [
      // Exception, written down: ecr:GetAuthorizationToken has no resource-level permission
      // (AWS requires "*"). It only returns a registry login; every pull below is limited to
      // the one repository.
      { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Sid: "EcrPull",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: [props.ecrRepositoryArn],
      },
      {
        // awslogs creates the task's stream and writes to it; the groups themselves are Terraform's.
        Sid: "Logs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: props.logGroupArns.map((arn) => `${arn}:log-stream:*`),
      },
    ];
    if (props.secretParameterArns.length > 0) {
      statements.push({ Sid: "Secrets", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [...props.secretParameterArns] });
    }
    if (props.secretsKmsKeyArn !== undefined) {
      statements.push({
        Sid: "SecretsKey",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [props.secretsKmsKeyArn],
        Condition: { StringEquals: { "kms:ViaService": `ssm.${props.region}.amazonaws.com` } },
      });
    }
    new IamRolePolicy(this, "execution-policy", { role: this.executionRole.id, name: "task-execution", policy: policy(statements) });

    // A separate role from the execution role, so the application never holds the agent's
    // image-pull, log and secret permissions.
    this.taskRole = new IamRole(this, "task", {
      name: `${prefix}-task`,
      description: "The application's own permissions (none by default)",
      assumeRolePolicy: tasksTrust,
      permissionsBoundary,
    });

    // Trust: EC2 only. No confused-deputy condition exists for it (the instance profile is what binds it).
    this.instanceRole = new IamRole(this, "instance", {
      name: `${prefix}-instance`,
      description: "ECS container instances: the agent registers with the cluster and reports state",
      assumeRolePolicy: serviceTrust("ec2.amazonaws.com"),
      permissionsBoundary,
    });
    // AWS's managed policy, the documented minimum for the ECS agent on EC2. An inline policy
    // scoped to the cluster was considered and rejected: the agent's calls change between agent
    // versions (AWS updates this policy with them) and a missing action strands instances
    // outside the cluster, which no offline test here could catch. What it grants beyond the
    // agent's needs (ECR pulls and log writes on "*", used only by tasks without an execution
    // role, which this stack never defines) is out of the tasks' reach: the launch template
    // sets IMDSv2 with hop limit 1 and ECS_AWSVPC_BLOCK_IMDS, so containers cannot read the
    // instance's credentials (lib/ecs-capacity.ts).
    new IamRolePolicyAttachment(this, "instance-ecs", {
      role: this.instanceRole.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`,
    });
    if (enableSsm) {
      // Opt-in only: a shell on every host is an access path to all tasks on it.
      new IamRolePolicyAttachment(this, "instance-ssm", {
        role: this.instanceRole.name,
        policyArn: `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
      });
    }
    this.instanceProfile = new IamInstanceProfile(this, "instance-profile", {
      name: `${prefix}-instance`,
      role: this.instanceRole.name,
    });
  }
}
