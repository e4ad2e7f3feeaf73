import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { policy, serviceTrust, type Statement } from "./iam-policy";

export interface EcsRolesProps {
  /** e.g. `webapp-dev`; roles are `<namePrefix>-task-execution`, `-task`, `-instance`. */
  readonly namePrefix: string;
  /** The one repository tasks may pull from. */
  readonly ecrRepositoryArn: string;
  /** Log groups the tasks write to. */
  readonly logGroupArns: readonly string[];
  /** SSM parameters injected as secrets. @default [] */
  readonly secretParameterArns?: readonly string[];
  /** Customer-managed KMS key of the secrets. @default - the AWS-managed key (no grant needed) */
  readonly secretsKmsKeyArn?: string;
  /** Attach AmazonSSMManagedInstanceCore to the instances (Session Manager shell access). @default false */
  readonly enableSsmSessionManager?: boolean;
}

/**
 * The ECS task execution role (pull this repository, write these log groups, read these
 * parameters), a task role with no permissions, and the EC2 instance role and profile.
 */
export class EcsRoles extends Construct {
  public readonly executionRole: IamRole;
  /** The application's own role: no permissions by default; attach what the app needs. */
  public readonly taskRole: IamRole;
  public readonly instanceRole: IamRole;
  public readonly instanceProfile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: EcsRolesProps) {
    super(scope, id);
    const secretArns = props.secretParameterArns ?? [];
    if (props.logGroupArns.length === 0) throw new Error("EcsRoles: logGroupArns is empty; tasks need a log group to write to");

    this.executionRole = new IamRole(this, "execution", {
      name: `${props.namePrefix}-task-execution`,
      description: "ECS agent on behalf of the tasks: pull the image, write logs, read secrets",
      assumeRolePolicy: serviceTrust("ecs-tasks.amazonaws.com"),
    });
    const statements: Statement[] = [
      // GetAuthorizationToken has no resource-level permissions: AWS requires "*".
      { Sid: "EcrAuth", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Sid: "EcrPull",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: [props.ecrRepositoryArn],
      },
      {
        Sid: "Logs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: props.logGroupArns.map((a) => `${a}:log-stream:*`),
      },
    ];
    if (secretArns.length > 0) {
      statements.push({ Sid: "Secrets", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [...secretArns] });
    }
    if (props.secretsKmsKeyArn) {
      statements.push({ Sid: "SecretsKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [props.secretsKmsKeyArn] });
    }
    new IamRolePolicy(this, "execution-policy", { role: this.executionRole.id, name: "task-execution", policy: policy(statements) });

    this.taskRole = new IamRole(this, "task", {
      name: `${props.namePrefix}-task`,
      description: "The application's own permissions (none by default)",
      assumeRolePolicy: serviceTrust("ecs-tasks.amazonaws.com"),
    });

    this.instanceRole = new IamRole(this, "instance", {
      name: `${props.namePrefix}-instance`,
      description: "ECS container instances: register with the cluster",
      assumeRolePolicy: serviceTrust("ec2.amazonaws.com"),
    });
    // AWS's documented minimum for the ECS agent on EC2 (register, poll, submit state, pull
    // images for the agent's own use). Its ecs:* actions take "*" because the agent discovers
    // its cluster at run time; AWS maintains the list as the agent changes.
    new IamRolePolicyAttachment(this, "instance-ecs", {
      role: this.instanceRole.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    });
    if (props.enableSsmSessionManager ?? false) {
      new IamRolePolicyAttachment(this, "instance-ssm", {
        role: this.instanceRole.name,
        policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      });
    }
    this.instanceProfile = new IamInstanceProfile(this, "instance-profile", {
      name: `${props.namePrefix}-instance`,
      role: this.instanceRole.name,
    });
  }
}
