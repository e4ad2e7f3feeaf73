/** EC2 and ECS rules: instance metadata, volumes, user data, monitoring; clusters, task definitions. */
import { block, blocks, bool, num, userDataText } from "../terraform";
import type { PolicyRule, RuleHit, StackView, TfResource } from "../types";
import { hits } from "./util";

const INSTANCE_TYPES = ["aws_launch_template", "aws_launch_configuration", "aws_instance"];

/** metadata_options of a launch template, launch configuration or instance. */
const metadataOptions = (r: TfResource) => block(r.body.metadata_options);

/**
 * Secrets that must never be in user data (readable by anyone with
 * ec2:DescribeInstanceAttribute) or in a task definition's plain environment.
 */
const SECRET_VALUE_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/, "a private key"],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, "a GitHub token"],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
  [/[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/i, "a URL with a password"],
];
/** Variable names that hold secrets. */
const SECRET_NAME = /(PASSWORD|PASSWD|PWD$|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH_DATA|CONNECTION_?STRING|DATABASE_URL|DSN$)/i;

/** What in `text` looks like a secret, or undefined. */
export function secretIn(text: string): string | undefined {
  for (const [re, what] of SECRET_VALUE_PATTERNS) if (re.test(text)) return what;
  for (const line of text.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S.*)$/.exec(line);
    // ECS_ENGINE_AUTH_DATA carries registry credentials; any *_PASSWORD=... or *_SECRET=... too.
    // A shell variable ($VAR, ${VAR}) or command ($(aws ssm ...)) is read at boot from elsewhere;
    // a literal or a Terraform interpolation (${random_password.x.result}) puts the value itself
    // into user data.
    if (m && SECRET_NAME.test(m[1]) && !/^["']?\$(\{[A-Z_][A-Z0-9_]*\}|[A-Za-z_(])/.test(m[2])) return `${m[1]}=...`;
  }
  return undefined;
}

interface Container {
  readonly name: string;
  readonly def: Record<string, unknown>;
}

/** The containers of a task definition, or undefined when `container_definitions` is not literal JSON. */
export function containersOf(td: TfResource): Container[] | undefined {
  const raw = td.body.container_definitions;
  let parsed: unknown = raw;
  if (typeof raw === "string") {
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(parsed)) return undefined;
  return parsed.filter((c) => c && typeof c === "object").map((c: Record<string, unknown>, i) => ({ name: typeof c.name === "string" ? c.name : `container[${i}]`, def: c }));
}

function perContainer(view: StackView, fails: (c: Container, td: TfResource) => boolean | string): RuleHit[] {
  return view.resources("aws_ecs_task_definition").flatMap((td) =>
    (containersOf(td) ?? []).flatMap((c): RuleHit[] => {
      const why = fails(c, td);
      return why === false ? [] : [{ resource: td, part: c.name, detail: typeof why === "string" ? why : undefined }];
    })
  );
}

/** Block device mappings' EBS settings of a launch template / configuration / instance: [where, encrypted]. */
function volumes(r: TfResource): Array<[string, unknown]> {
  if (r.type === "aws_launch_template") {
    return blocks(r.body.block_device_mappings)
      .filter((m) => m.ebs !== undefined)
      .map((m) => [String(m.device_name ?? "?"), block(m.ebs).encrypted]);
  }
  return [
    ...blocks(r.body.root_block_device).map((b): [string, unknown] => ["root_block_device", b.encrypted]),
    ...blocks(r.body.ebs_block_device).map((b): [string, unknown] => [String(b.device_name ?? "ebs_block_device"), b.encrypted]),
  ];
}

export const COMPUTE_RULES: PolicyRule[] = [
  {
    id: "EC2-IMDSV2",
    mirrors: ["CKV_AWS_79", "AVD-AWS-0130", "AVD-AWS-0028"],
    resourceType: "aws_launch_template, aws_launch_configuration, aws_instance",
    message: "instance metadata accepts IMDSv1 (no session token): an SSRF in anything on the host can read the instance role's credentials",
    fix: 'set metadata_options { http_tokens = "required" } (IMDSv2 only)',
    check: (view) =>
      hits(view.resources(...INSTANCE_TYPES), (r) => {
        const m = metadataOptions(r);
        return m.http_endpoint !== "disabled" && m.http_tokens !== "required" && `http_tokens ${m.http_tokens === undefined ? "not set (optional)" : JSON.stringify(m.http_tokens)}`;
      }),
  },
  {
    id: "EC2-IMDS-HOP-LIMIT",
    mirrors: ["CKV_AWS_341"],
    resourceType: "aws_launch_template, aws_launch_configuration, aws_instance",
    message: "containers can reach the instance metadata service and so the instance role's credentials",
    fix: "set metadata_options.http_put_response_hop_limit = 1 (bridge-mode containers are one hop further) and, for awsvpc tasks, ECS_AWSVPC_BLOCK_IMDS=true in the ECS agent config",
    check: (view) => {
      const awsvpc = view.resources("aws_ecs_task_definition").some((td) => td.body.network_mode === "awsvpc");
      return hits(view.resources(...INSTANCE_TYPES), (r) => {
        const m = metadataOptions(r);
        if (m.http_endpoint === "disabled") return false;
        const hop = m.http_put_response_hop_limit === undefined ? 1 : num(m.http_put_response_hop_limit);
        if (hop === undefined || hop > 1) return `http_put_response_hop_limit ${JSON.stringify(m.http_put_response_hop_limit)}`;
        // awsvpc tasks have their own network namespace: the hop limit does not keep them from IMDS.
        if (awsvpc && r.type !== "aws_instance") {
          const text = userDataText(r.body);
          if (text === undefined || !/^\s*ECS_AWSVPC_BLOCK_IMDS\s*=\s*true\s*$/m.test(text)) return "awsvpc tasks in the stack, but user data does not set ECS_AWSVPC_BLOCK_IMDS=true";
        }
        return false;
      });
    },
  },
  {
    id: "EC2-EBS-ENCRYPTED",
    mirrors: ["CKV_AWS_8", "CKV_AWS_3", "AVD-AWS-0008", "AVD-AWS-0131"],
    resourceType: "aws_launch_template, aws_launch_configuration, aws_instance, aws_ebs_volume",
    message: "an EBS volume is not encrypted",
    fix: 'set encrypted = "true" on every block device mapping (root included) or aws_ebs_volume',
    check: (view) => [
      ...hits(view.resources(...INSTANCE_TYPES), (r) => {
        const v = volumes(r);
        if (v.length === 0) return "no block device mapping: the root volume takes the AMI snapshot's (unencrypted) setting";
        const plain = v.filter(([, enc]) => bool(enc) !== true).map(([where]) => where);
        return plain.length > 0 && plain.join(", ");
      }),
      ...hits(view.resources("aws_ebs_volume"), (v) => bool(v.body.encrypted) !== true),
    ],
  },
  {
    id: "EC2-USER-DATA-NO-SECRETS",
    mirrors: ["CKV_AWS_46", "AVD-AWS-0029", "AVD-AWS-0129"],
    resourceType: "aws_launch_template, aws_launch_configuration, aws_instance",
    message: "user data holds a secret: anyone with ec2:DescribeInstanceAttribute (and every process on the host) can read it",
    fix: "keep secrets in SSM Parameter Store or Secrets Manager and read them at runtime with the instance or task role",
    check: (view) =>
      hits(view.resources(...INSTANCE_TYPES), (r) => {
        const text = userDataText(r.body);
        const found = text === undefined ? undefined : secretIn(text);
        return found !== undefined && found;
      }),
  },
  {
    id: "EC2-DETAILED-MONITORING",
    mirrors: ["CKV_AWS_126"],
    resourceType: "aws_launch_template, aws_instance",
    message: "detailed (1-minute) monitoring is off",
    fix: "set monitoring { enabled = true } on the launch template (monitoring = true on an instance)",
    check: (view) => [
      ...hits(view.resources("aws_launch_template"), (lt) => bool(block(lt.body.monitoring).enabled) !== true),
      ...hits(view.resources("aws_instance"), (i) => bool(i.body.monitoring) !== true),
    ],
  },
  {
    id: "ECS-CONTAINER-INSIGHTS",
    mirrors: ["CKV_AWS_65", "AVD-AWS-0034"],
    resourceType: "aws_ecs_cluster",
    message: "Container Insights is off: no per-service task counts, CPU and memory metrics (the running-below-desired alarm has no data)",
    fix: 'add setting { name = "containerInsights", value = "enabled" } (or "enhanced") to the cluster',
    check: (view) => hits(view.resources("aws_ecs_cluster"), (c) => !blocks(c.body.setting).some((s) => s.name === "containerInsights" && (s.value === "enabled" || s.value === "enhanced"))),
  },
  {
    id: "ECS-EXECUTION-ROLE-DISTINCT",
    mirrors: ["CKV_AWS_249"],
    resourceType: "aws_ecs_task_definition",
    message: "the task role is the execution role: the application holds the agent's image-pull, log and secret-read permissions",
    fix: "give the task definition a task_role_arn of its own, distinct from execution_role_arn (lib/ecs-roles.ts has both)",
    check: (view) => hits(view.resources("aws_ecs_task_definition"), (td) => td.body.execution_role_arn !== undefined && td.body.execution_role_arn === td.body.task_role_arn),
  },
  {
    id: "ECS-NO-PRIVILEGED",
    mirrors: ["CKV_AWS_334"],
    resourceType: "aws_ecs_task_definition",
    message: "a container runs privileged: it has root on the host",
    fix: "remove privileged = true; add only the Linux capabilities the container needs",
    check: (view) => perContainer(view, (c) => bool(c.def.privileged) === true),
  },
  {
    id: "ECS-NO-HOST-PID",
    mirrors: ["CKV_AWS_335"],
    resourceType: "aws_ecs_task_definition",
    message: "the task shares the host's process namespace: it can see and signal every process on the instance",
    fix: 'remove pid_mode = "host" (use "task" to share processes between the task\'s own containers)',
    check: (view) => hits(view.resources("aws_ecs_task_definition"), (td) => td.body.pid_mode === "host"),
  },
  {
    id: "ECS-NO-PLAIN-SECRETS",
    mirrors: ["AVD-AWS-0036"],
    resourceType: "aws_ecs_task_definition",
    message: "a secret is in a plain environment variable: it is visible in the task definition to anyone who can describe it, and in the state",
    fix: "move it to `secrets` (an SSM SecureString or Secrets Manager ARN in valueFrom), as the config's `secrets` key does",
    check: (view) =>
      perContainer(view, (c) => {
        const env = blocks(c.def.environment);
        const bad = env.filter((e) => {
          const name = String(e.name ?? "");
          const value = typeof e.value === "string" ? e.value : "";
          return (SECRET_NAME.test(name) && value !== "") || secretIn(value) !== undefined;
        });
        return bad.length > 0 && bad.map((e) => String(e.name)).join(", ");
      }),
  },
  {
    id: "ECS-READONLY-ROOT-FS",
    mirrors: ["CKV_AWS_336"],
    resourceType: "aws_ecs_task_definition",
    message: "the container's root filesystem is writable: an intruder can change the image's binaries at runtime",
    fix: "set readonlyRootFilesystem = true (ColourService readonlyRootFilesystem; /tmp stays writable as a tmpfs) once the image writes nowhere else",
    check: (view) => perContainer(view, (c) => bool(c.def.readonlyRootFilesystem) !== true),
  },
];
