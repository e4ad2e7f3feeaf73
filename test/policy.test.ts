/**
 * The policy pack on small Terraform JSON fixtures: for every rule, one fixture that breaks it
 * (the finding names the rule and the address) and one that passes; then the rules' finer
 * points, and how exceptions apply.
 */
import { evaluatePolicy, findingTarget, formatViolation, RULE_IDS, RULES, type PolicyException } from "../lib/policy";

type Body = Record<string, unknown>;

/** `{ "aws_lb.main": {...} }` as synthesized JSON; `data.` addresses become data sources. */
function tf(resources: Record<string, Body>): Record<string, unknown> {
  const out: { resource: Record<string, Record<string, Body>>; data: Record<string, Record<string, Body>> } = { resource: {}, data: {} };
  for (const [address, body] of Object.entries(resources)) {
    const isData = address.startsWith("data.");
    const [type, name] = (isData ? address.slice(5) : address).split(".");
    const into = isData ? out.data : out.resource;
    (into[type] ??= {})[name] = body;
  }
  return out;
}
const ref = (address: string, attr = "id") => `\${${address}.${attr}}`;
const doc = (...statements: Body[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const GITHUB_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
const githubTrust = (condition: Body) => doc({ Effect: "Allow", Principal: { Federated: GITHUB_ARN }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition });
const container = (c: Body) => JSON.stringify([{ name: "app", image: "repo:tag", essential: true, ...c }]);
const lt = (body: Body) => ({ "aws_launch_template.hosts": { metadata_options: { http_tokens: "required" }, ...body } });
const lbWith = (listener: Body, extra: Record<string, Body> = {}) => tf({ "aws_lb.main": {}, "aws_lb_listener.web": { load_balancer_arn: ref("aws_lb.main", "arn"), ...listener }, ...extra });
const sgPair = { "aws_security_group.a": { description: "a" }, "aws_security_group.b": { description: "b" } };
const bucket = (extra: Record<string, Body>) => tf({ "aws_s3_bucket.state": { bucket: "state" }, ...extra });

interface Case {
  /** Breaks the rule. */
  readonly bad: Record<string, unknown>;
  /** Where the finding must point: `address` or `address#part`. */
  readonly at: string;
  /** Passes the rule, with resources of the rule's type in it. */
  readonly good: Record<string, unknown>;
}

const CASES: Record<string, Case> = {
  "LB-ACCESS-LOGS": {
    bad: tf({ "aws_lb.main": { access_logs: { bucket: "logs" } } }), // enabled defaults to false, even with a bucket
    at: "aws_lb.main",
    good: tf({ "aws_lb.main": { access_logs: { bucket: "logs", enabled: true } } }),
  },
  "LB-DELETION-PROTECTION": { bad: tf({ "aws_lb.main": {} }), at: "aws_lb.main", good: tf({ "aws_lb.main": { enable_deletion_protection: true } }) },
  "LB-DROP-INVALID-HEADERS": {
    bad: tf({ "aws_lb.main": { drop_invalid_header_fields: false } }),
    at: "aws_lb.main",
    good: tf({ "aws_lb.main": { drop_invalid_header_fields: true } }),
  },
  "LB-DESYNC-MITIGATION": {
    bad: tf({ "aws_lb.main": { desync_mitigation_mode: "monitor" } }),
    at: "aws_lb.main",
    good: tf({ "aws_lb.main": { desync_mitigation_mode: "strictest" } }),
  },
  "LB-INTERNET-FACING": { bad: tf({ "aws_lb.main": { internal: false } }), at: "aws_lb.main", good: tf({ "aws_lb.main": { internal: true } }) },
  "LB-WAF": {
    bad: tf({ "aws_lb.main": {} }),
    at: "aws_lb.main",
    good: tf({ "aws_lb.main": {}, "aws_wafv2_web_acl_association.main": { resource_arn: ref("aws_lb.main", "arn"), web_acl_arn: "arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y" } }),
  },
  "LB-LISTENER-HTTPS": {
    bad: lbWith({ port: 80, protocol: "HTTP", default_action: [{ type: "forward", target_group_arn: "tg" }] }),
    at: "aws_lb_listener.web",
    good: lbWith({ port: 80, protocol: "HTTP", default_action: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }] }),
  },
  "LB-TLS-POLICY": {
    bad: lbWith({ port: 443, protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-2016-08" }),
    at: "aws_lb_listener.web",
    good: lbWith({ port: 443, protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }),
  },
  "LB-TG-HTTPS": { bad: tf({ "aws_lb_target_group.blue": { protocol: "HTTP" } }), at: "aws_lb_target_group.blue", good: tf({ "aws_lb_target_group.blue": { protocol: "HTTPS" } }) },
  "SG-DESCRIPTION": {
    bad: tf({ "aws_security_group.a": { description: "Managed by Terraform" } }),
    at: "aws_security_group.a",
    good: tf({ "aws_security_group.a": { description: "Load balancer" } }),
  },
  "SG-RULE-DESCRIPTION": {
    bad: tf({
      ...sgPair,
      "aws_vpc_security_group_ingress_rule.r": {
        security_group_id: ref("aws_security_group.a"),
        ip_protocol: "tcp",
        from_port: 8080,
        to_port: 8080,
        referenced_security_group_id: ref("aws_security_group.b"),
      },
    }),
    at: "aws_vpc_security_group_ingress_rule.r",
    good: tf({
      ...sgPair,
      "aws_vpc_security_group_ingress_rule.r": {
        security_group_id: ref("aws_security_group.a"),
        description: "App from the LB",
        ip_protocol: "tcp",
        from_port: 8080,
        to_port: 8080,
        referenced_security_group_id: ref("aws_security_group.b"),
      },
    }),
  },
  "SG-PUBLIC-INGRESS": {
    bad: tf({
      "aws_security_group.a": { description: "hosts" },
      "aws_instance.host": { vpc_security_group_ids: [ref("aws_security_group.a")] },
      "aws_vpc_security_group_ingress_rule.ssh": { security_group_id: ref("aws_security_group.a"), ip_protocol: "tcp", from_port: 22, to_port: 22, cidr_ipv4: "0.0.0.0/0" },
    }),
    at: "aws_vpc_security_group_ingress_rule.ssh",
    good: tf({
      "aws_security_group.a": { description: "lb" },
      "aws_lb.main": { security_groups: [ref("aws_security_group.a")] },
      "aws_lb_listener.https": { load_balancer_arn: ref("aws_lb.main", "arn"), port: 443, protocol: "HTTPS" },
      "aws_vpc_security_group_ingress_rule.https": { security_group_id: ref("aws_security_group.a"), ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv4: "0.0.0.0/0" },
    }),
  },
  "SG-ALL-PORTS-INGRESS": {
    bad: tf({
      "aws_security_group.a": { description: "a" },
      "aws_security_group_rule.all": { type: "ingress", security_group_id: ref("aws_security_group.a"), protocol: "-1", from_port: 0, to_port: 0, cidr_blocks: ["10.0.0.0/8"] },
    }),
    at: "aws_security_group_rule.all",
    good: tf({
      "aws_security_group.a": { description: "a" },
      "aws_security_group_rule.all": { type: "ingress", security_group_id: ref("aws_security_group.a"), protocol: "tcp", from_port: 443, to_port: 443, cidr_blocks: ["10.0.0.0/8"] },
    }),
  },
  "SG-OPEN-EGRESS": {
    bad: tf({ ...sgPair, "aws_vpc_security_group_egress_rule.out": { security_group_id: ref("aws_security_group.a"), ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv4: "0.0.0.0/0" } }),
    at: "aws_vpc_security_group_egress_rule.out",
    good: tf({
      ...sgPair,
      "aws_vpc_security_group_egress_rule.out": {
        security_group_id: ref("aws_security_group.a"),
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        referenced_security_group_id: ref("aws_security_group.b"),
      },
    }),
  },
  "SG-DEFAULT-RESTRICTED": {
    bad: tf({ "aws_vpc.main": { cidr_block: "10.0.0.0/16" } }),
    at: "aws_vpc.main",
    good: tf({ "aws_vpc.main": { cidr_block: "10.0.0.0/16" }, "aws_default_security_group.default": { vpc_id: ref("aws_vpc.main") } }),
  },
  "SG-ATTACHED": {
    bad: tf({ "aws_security_group.a": { description: "spare" } }),
    at: "aws_security_group.a",
    good: tf({ "aws_security_group.a": { description: "lb" }, "aws_lb.main": { security_groups: [ref("aws_security_group.a")] } }),
  },
  "VPC-FLOW-LOGS": {
    bad: tf({ "aws_vpc.main": {} }),
    at: "aws_vpc.main",
    good: tf({ "aws_vpc.main": {}, "aws_flow_log.all": { vpc_id: ref("aws_vpc.main"), traffic_type: "ALL" } }),
  },
  "SUBNET-NO-PUBLIC-IP": { bad: tf({ "aws_subnet.a": { map_public_ip_on_launch: true } }), at: "aws_subnet.a", good: tf({ "aws_subnet.a": { map_public_ip_on_launch: false } }) },
  "EC2-NO-PUBLIC-IP": {
    bad: tf(lt({ network_interfaces: [{ device_index: 0, associate_public_ip_address: "true" }] })),
    at: "aws_launch_template.hosts",
    good: tf(lt({ network_interfaces: [{ device_index: 0, associate_public_ip_address: "false" }] })),
  },
  "ECS-SERVICE-NO-PUBLIC-IP": {
    bad: tf({ "aws_ecs_service.web": { network_configuration: { assign_public_ip: true, subnets: ["s"] } } }),
    at: "aws_ecs_service.web",
    good: tf({ "aws_ecs_service.web": { network_configuration: { assign_public_ip: false, subnets: ["s"] } } }),
  },
  "EC2-IMDSV2": {
    bad: tf(lt({ metadata_options: { http_endpoint: "enabled", http_tokens: "optional" } })),
    at: "aws_launch_template.hosts",
    good: tf(lt({ metadata_options: { http_endpoint: "enabled", http_tokens: "required" } })),
  },
  "EC2-IMDS-HOP-LIMIT": {
    bad: tf(lt({ metadata_options: { http_tokens: "required", http_put_response_hop_limit: 2 } })),
    at: "aws_launch_template.hosts",
    good: tf(lt({ metadata_options: { http_tokens: "required", http_put_response_hop_limit: 1 } })),
  },
  "EC2-EBS-ENCRYPTED": {
    bad: tf(lt({ block_device_mappings: [{ device_name: "/dev/xvda", ebs: { volume_size: 30, encrypted: "false" } }] })),
    at: "aws_launch_template.hosts",
    good: tf(lt({ block_device_mappings: [{ device_name: "/dev/xvda", ebs: { volume_size: 30, encrypted: "true" } }] })),
  },
  "EC2-USER-DATA-NO-SECRETS": {
    bad: tf(lt({ user_data: '${base64encode("#!/bin/bash\\nexport DB_PASSWORD=hunter2hunter2\\n")}' })),
    at: "aws_launch_template.hosts",
    good: tf(lt({ user_data: '${base64encode("#!/bin/bash\\nexport DB_PASSWORD=$(aws ssm get-parameter --name /db --with-decryption)\\n")}' })),
  },
  "EC2-DETAILED-MONITORING": { bad: tf(lt({ monitoring: { enabled: false } })), at: "aws_launch_template.hosts", good: tf(lt({ monitoring: { enabled: true } })) },
  "ECS-CONTAINER-INSIGHTS": {
    bad: tf({ "aws_ecs_cluster.main": { setting: [{ name: "containerInsights", value: "disabled" }] } }),
    at: "aws_ecs_cluster.main",
    good: tf({ "aws_ecs_cluster.main": { setting: [{ name: "containerInsights", value: "enabled" }] } }),
  },
  "ECS-EXECUTION-ROLE-DISTINCT": {
    bad: tf({ "aws_ecs_task_definition.web": { container_definitions: container({}), execution_role_arn: ref("aws_iam_role.r", "arn"), task_role_arn: ref("aws_iam_role.r", "arn") } }),
    at: "aws_ecs_task_definition.web",
    good: tf({ "aws_ecs_task_definition.web": { container_definitions: container({}), execution_role_arn: ref("aws_iam_role.exec", "arn"), task_role_arn: ref("aws_iam_role.task", "arn") } }),
  },
  "ECS-NO-PRIVILEGED": {
    bad: tf({ "aws_ecs_task_definition.web": { container_definitions: container({ privileged: true }) } }),
    at: "aws_ecs_task_definition.web#app",
    good: tf({ "aws_ecs_task_definition.web": { container_definitions: container({ privileged: false }) } }),
  },
  "ECS-NO-HOST-PID": {
    bad: tf({ "aws_ecs_task_definition.web": { container_definitions: container({}), pid_mode: "host" } }),
    at: "aws_ecs_task_definition.web",
    good: tf({ "aws_ecs_task_definition.web": { container_definitions: container({}), pid_mode: "task" } }),
  },
  "ECS-NO-PLAIN-SECRETS": {
    bad: tf({ "aws_ecs_task_definition.web": { container_definitions: container({ environment: [{ name: "DATABASE_PASSWORD", value: "hunter2" }] }) } }),
    at: "aws_ecs_task_definition.web#app",
    good: tf({
      "aws_ecs_task_definition.web": {
        container_definitions: container({ environment: [{ name: "COLOR", value: "blue" }], secrets: [{ name: "DATABASE_PASSWORD", valueFrom: "arn:aws:ssm:eu-west-1:1:parameter/db" }] }),
      },
    }),
  },
  "ECS-READONLY-ROOT-FS": {
    bad: tf({ "aws_ecs_task_definition.web": { container_definitions: container({ readonlyRootFilesystem: false }) } }),
    at: "aws_ecs_task_definition.web#app",
    good: tf({ "aws_ecs_task_definition.web": { container_definitions: container({ readonlyRootFilesystem: true }) } }),
  },
  "POLICY-READABLE": {
    bad: tf({ "aws_iam_role_policy.p": { role: "r", policy: "${jsonencode(local.policy)}" } }),
    at: "aws_iam_role_policy.p",
    good: tf({ "aws_iam_role_policy.p": { role: "r", policy: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }) } }),
  },
  "IAM-NO-STAR-PRINCIPAL": {
    bad: tf({ "aws_s3_bucket_policy.p": { bucket: "b", policy: doc({ Sid: "Public", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }) } }),
    at: "aws_s3_bucket_policy.p#Public",
    good: tf({
      "aws_s3_bucket_policy.p": {
        bucket: "b",
        policy: doc({ Sid: "Public", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }),
      },
    }),
  },
  "IAM-NO-ADMIN": {
    bad: tf({ "aws_iam_policy.p": { policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) } }),
    at: "aws_iam_policy.p#Statement[0]",
    good: tf({ "aws_iam_policy.p": { policy: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }) } }),
  },
  "IAM-NO-WILDCARD-ACTION": {
    bad: tf({ "aws_iam_policy.p": { policy: doc({ Sid: "S3", Effect: "Allow", Action: ["s3:*"], Resource: "arn:aws:s3:::b/*" }) } }),
    at: "aws_iam_policy.p#S3",
    good: tf({ "aws_iam_policy.p": { policy: doc({ Sid: "S3", Effect: "Allow", Action: ["s3:GetObject", "ec2:Describe*"], Resource: "arn:aws:s3:::b/*" }) } }),
  },
  "IAM-NO-WILDCARD-RESOURCE": {
    bad: tf({ "aws_iam_role_policy.p": { policy: doc({ Sid: "Read", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }) } }),
    at: "aws_iam_role_policy.p#Read",
    good: tf({ "aws_iam_role_policy.p": { policy: doc({ Sid: "Read", Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "arn:aws:ec2:eu-west-1:*:instance/*" }) } }),
  },
  "IAM-NO-UNSCOPED-WRITE": {
    bad: tf({ "aws_iam_role_policy.p": { policy: doc({ Sid: "Dereg", Effect: "Allow", Action: ["ecs:DeregisterTaskDefinition"], Resource: "*" }) } }),
    at: "aws_iam_role_policy.p#Dereg",
    good: tf({
      "aws_iam_role_policy.p": { policy: doc({ Sid: "Create", Effect: "Allow", Action: ["ecs:CreateCluster"], Resource: "*", Condition: { StringEquals: { "aws:RequestTag/Stack": "webapp-dev" } } }) },
    }),
  },
  "IAM-NO-PASSROLE-STAR": {
    bad: tf({ "aws_iam_role_policy.p": { policy: doc({ Sid: "Pass", Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/*" }) } }),
    at: "aws_iam_role_policy.p#Pass",
    good: tf({
      "aws_iam_role_policy.p": {
        policy: doc({
          Sid: "Pass",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: [ref("aws_iam_role.task", "arn")],
          Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        }),
      },
    }),
  },
  "IAM-OIDC-AUDIENCE": {
    bad: tf({ "aws_iam_role.deploy": { assume_role_policy: githubTrust({ StringEquals: { "token.actions.githubusercontent.com:sub": "repo:acme/webapp:ref:refs/heads/main" } }) } }),
    at: "aws_iam_role.deploy#Statement[0]",
    good: tf({
      "aws_iam_role.deploy": {
        assume_role_policy: githubTrust({
          StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:acme/webapp:ref:refs/heads/main" },
        }),
      },
    }),
  },
  "IAM-OIDC-SUBJECT": {
    bad: tf({
      "aws_iam_role.deploy": {
        assume_role_policy: githubTrust({ StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" }, StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/*" } }),
      },
    }),
    at: "aws_iam_role.deploy#Statement[0]",
    good: tf({
      "aws_iam_role.deploy": {
        // GitHub's immutable form survives renames of the owner or the repository.
        assume_role_policy: githubTrust({
          StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": ["repo:acme@1234/webapp@5678:environment:production"] },
        }),
      },
    }),
  },
  "IAM-SERVICE-TRUST-SOURCE": {
    bad: tf({ "aws_iam_role.flow": { assume_role_policy: doc({ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" }) } }),
    at: "aws_iam_role.flow#Statement[0]",
    good: tf({
      "aws_iam_role.flow": {
        assume_role_policy: doc({
          Effect: "Allow",
          Principal: { Service: "vpc-flow-logs.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        }),
      },
    }),
  },
  "IAM-NO-ADMIN-MANAGED-POLICY": {
    bad: tf({ "aws_iam_role_policy_attachment.admin": { role: "r", policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" } }),
    at: "aws_iam_role_policy_attachment.admin",
    good: tf({ "aws_iam_role_policy_attachment.admin": { role: "r", policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role" } }),
  },
  "ECR-IMMUTABLE-TAGS": {
    bad: tf({ "aws_ecr_repository.r": { image_tag_mutability: "MUTABLE" } }),
    at: "aws_ecr_repository.r",
    good: tf({ "aws_ecr_repository.r": { image_tag_mutability: "IMMUTABLE" } }),
  },
  "ECR-SCAN-ON-PUSH": {
    bad: tf({ "aws_ecr_repository.r": { image_scanning_configuration: { scan_on_push: false } } }),
    at: "aws_ecr_repository.r",
    good: tf({ "aws_ecr_repository.r": { image_scanning_configuration: { scan_on_push: true } } }),
  },
  "ECR-KMS-ENCRYPTION": {
    bad: tf({ "aws_ecr_repository.r": { encryption_configuration: [{ encryption_type: "AES256" }] } }),
    at: "aws_ecr_repository.r",
    good: tf({ "aws_ecr_repository.r": { encryption_configuration: [{ encryption_type: "KMS", kms_key: ref("aws_kms_key.ecr", "arn") }] } }),
  },
  "IAM-ROLE-BOUNDARY": {
    bad: tf({ "aws_iam_role.task": { name: "svc-task", assume_role_policy: doc({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }) } }),
    at: "aws_iam_role.task",
    good: tf({
      "aws_iam_policy.boundary": { name: "svc-boundary", policy: doc({ Effect: "Deny", Action: ["iam:*"], Resource: "*" }) },
      "aws_iam_role.task": {
        name: "svc-task",
        assume_role_policy: doc({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }),
        permissions_boundary: ref("aws_iam_policy.boundary", "arn"),
      },
    }),
  },
  "IAM-ROLE-WRITE-BOUNDARY": {
    bad: tf({ "aws_iam_role_policy.deploy": { role: "deploy", policy: doc({ Sid: "StackRoles", Effect: "Allow", Action: ["iam:PutRolePolicy", "iam:CreateRole"], Resource: ["arn:aws:iam::*:role/svc-*"] }) } }),
    at: "aws_iam_role_policy.deploy#StackRoles",
    good: tf({
      "aws_iam_role_policy.deploy": {
        role: "deploy",
        policy: doc({
          Sid: "StackRoles",
          Effect: "Allow",
          Action: ["iam:PutRolePolicy", "iam:CreateRole"],
          Resource: ["arn:aws:iam::*:role/svc-*"],
          Condition: { StringEquals: { "iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/svc-boundary" } },
        }),
      },
    }),
  },
  "SNS-ALARM-KEY": {
    bad: tf({ "aws_sns_topic.alarms": { name: "alarms", kms_master_key_id: "alias/aws/sns" }, "aws_cloudwatch_metric_alarm.a": { alarm_actions: [ref("aws_sns_topic.alarms", "arn")] } }),
    at: "aws_sns_topic.alarms",
    good: tf({
      "aws_kms_key.alarms": {
        policy: doc({ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }),
      },
      "aws_sns_topic.alarms": { name: "alarms", kms_master_key_id: ref("aws_kms_key.alarms", "arn") },
      "aws_sns_topic_policy.alarms": {
        arn: ref("aws_sns_topic.alarms", "arn"),
        policy: doc({ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }),
      },
      "aws_cloudwatch_metric_alarm.a": { alarm_actions: [ref("aws_sns_topic.alarms", "arn")] },
    }),
  },
  "SECRETS-NO-PR-READ": {
    bad: tf({
      "aws_iam_role.plan": { name: "plan", assume_role_policy: githubTrust({ StringEquals: { "token.actions.githubusercontent.com:sub": ["repo:acme/webapp:pull_request"] } }) },
      "aws_iam_role_policy.plan": { role: ref("aws_iam_role.plan"), policy: doc({ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: ["arn:aws:ssm:eu-west-1:*:parameter/webapp/prod/*"] }) },
    }),
    at: "aws_iam_role.plan",
    good: tf({
      "aws_iam_role.plan": { name: "plan", assume_role_policy: githubTrust({ StringEquals: { "token.actions.githubusercontent.com:sub": ["repo:acme/webapp:pull_request"] } }) },
      "aws_iam_role_policy.plan": { role: ref("aws_iam_role.plan"), policy: doc({ Effect: "Allow", Action: ["ssm:DescribeParameters"], Resource: "*" }) },
    }),
  },
  "LOGS-RETENTION-YEAR": {
    bad: tf({ "aws_cloudwatch_log_group.g": { name: "/ecs/x", retention_in_days: 30 } }),
    at: "aws_cloudwatch_log_group.g",
    good: tf({ "aws_cloudwatch_log_group.g": { name: "/ecs/x", retention_in_days: 365 } }),
  },
  "LOGS-RETENTION": {
    bad: tf({ "aws_cloudwatch_log_group.g": { name: "/ecs/x" } }),
    at: "aws_cloudwatch_log_group.g",
    good: tf({ "aws_cloudwatch_log_group.g": { name: "/ecs/x", retention_in_days: 30 } }),
  },
  "SNS-ENCRYPTION": { bad: tf({ "aws_sns_topic.t": { name: "alarms" } }), at: "aws_sns_topic.t", good: tf({ "aws_sns_topic.t": { name: "alarms", kms_master_key_id: "alias/aws/sns" } }) },
  "SSM-SECURE-STRING": {
    bad: tf({ "aws_ssm_parameter.p": { name: "/x/DB", type: "String", value: "v" } }),
    at: "aws_ssm_parameter.p",
    good: tf({ "aws_ssm_parameter.p": { name: "/x/DB", type: "SecureString", value_wo: "placeholder", value_wo_version: 1 } }),
  },
  "SSM-NO-VALUE-IN-STATE": {
    bad: tf({ "aws_ssm_parameter.p": { name: "/x/DB", type: "SecureString", value: "hunter2" } }),
    at: "aws_ssm_parameter.p",
    good: tf({ "aws_ssm_parameter.p": { name: "/x/DB", type: "SecureString", value_wo: "placeholder", value_wo_version: 1 } }),
  },
  "S3-VERSIONING": {
    bad: bucket({ "aws_s3_bucket_versioning.v": { bucket: ref("aws_s3_bucket.state"), versioning_configuration: { status: "Suspended" } } }),
    at: "aws_s3_bucket.state",
    good: bucket({ "aws_s3_bucket_versioning.v": { bucket: ref("aws_s3_bucket.state"), versioning_configuration: { status: "Enabled" } } }),
  },
  "S3-ENCRYPTION": {
    bad: bucket({ "aws_s3_bucket_server_side_encryption_configuration.e": { bucket: ref("aws_s3_bucket.state"), rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }] } }),
    at: "aws_s3_bucket.state",
    good: bucket({ "aws_s3_bucket_server_side_encryption_configuration.e": { bucket: ref("aws_s3_bucket.state"), rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" } }] } }),
  },
  "S3-PUBLIC-ACCESS-BLOCK": {
    bad: bucket({
      "aws_s3_bucket_public_access_block.p": { bucket: ref("aws_s3_bucket.state"), block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: false },
    }),
    at: "aws_s3_bucket.state",
    good: bucket({
      "aws_s3_bucket_public_access_block.p": { bucket: ref("aws_s3_bucket.state"), block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
    }),
  },
  "S3-ACCESS-LOGGING": {
    bad: bucket({}),
    at: "aws_s3_bucket.state",
    good: bucket({ "aws_s3_bucket_logging.l": { bucket: ref("aws_s3_bucket.state"), target_bucket: "logs", target_prefix: "state/" } }),
  },
  "S3-TLS-ONLY": {
    bad: bucket({
      "aws_s3_bucket_policy.p": { bucket: ref("aws_s3_bucket.state"), policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "s3:GetObject", Resource: "*" }) },
    }),
    at: "aws_s3_bucket.state",
    good: bucket({
      "aws_s3_bucket_policy.p": {
        bucket: ref("aws_s3_bucket.state"),
        policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [ref("aws_s3_bucket.state", "arn")], Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      },
    }),
  },
  "S3-ACLS-DISABLED": {
    bad: bucket({ "aws_s3_bucket_ownership_controls.o": { bucket: ref("aws_s3_bucket.state"), rule: { object_ownership: "ObjectWriter" } } }),
    at: "aws_s3_bucket.state",
    good: bucket({ "aws_s3_bucket_ownership_controls.o": { bucket: ref("aws_s3_bucket.state"), rule: { object_ownership: "BucketOwnerEnforced" } } }),
  },
  "DDB-PITR": {
    bad: tf({ "aws_dynamodb_table.locks": { name: "locks", point_in_time_recovery: { enabled: false } } }),
    at: "aws_dynamodb_table.locks",
    good: tf({ "aws_dynamodb_table.locks": { name: "locks", point_in_time_recovery: { enabled: true } } }),
  },
};

const targetsOf = (json: unknown, rule: string) =>
  evaluatePolicy("fixture", json, [])
    .violations.filter((v) => v.rule === rule)
    .map(findingTarget);
/** Terraform types a rule names in its resourceType. */
const typesOf = (resourceType: string) => resourceType.split(/[,\s]+/).filter((t) => /^aws_[a-z0-9_]+$/.test(t));

describe("the pack", () => {
  test("has at least 30 rules, each with an id, mirrors, a resource type, a message and a fix", () => {
    expect(RULES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(RULE_IDS).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[A-Z0-9]+(-[A-Z0-9]+)+$/);
      expect(typesOf(r.resourceType).length).toBeGreaterThan(0);
      expect(r.message).not.toMatch(/\.$/);
      expect(r.fix.length).toBeGreaterThan(10);
      for (const m of r.mirrors) expect(m).toMatch(/^(CKV2?_AWS_\d+|AVD-AWS-\d{4}|prowler:[a-z0-9_]+)$/);
    }
    // Only the pack's own guards mirror nothing: the readable-document guard, and the guards of
    // the hardening no scanner checks (boundaries, secrets out of a pull request's reach).
    expect(RULES.filter((r) => r.mirrors.length === 0).map((r) => r.id)).toEqual(["POLICY-READABLE", "IAM-ROLE-BOUNDARY", "IAM-ROLE-WRITE-BOUNDARY", "SECRETS-NO-PR-READ"]);
  });

  test("the fixture table has a breaking and a passing fixture for every rule", () => {
    expect(Object.keys(CASES).sort()).toEqual([...RULE_IDS].sort());
  });
});

describe.each(RULES.map((r) => [r.id, r] as const))("%s", (id, rule) => {
  const c = CASES[id];

  test("fires on the breaking fixture, naming the rule and the address", () => {
    expect(targetsOf(c.bad, id)).toContain(c.at);
    const finding = evaluatePolicy("fixture", c.bad, []).violations.find((v) => v.rule === id && findingTarget(v) === c.at)!;
    expect(finding).toMatchObject({ rule: id, mirrors: rule.mirrors, fix: rule.fix, resourceType: c.at.split(".")[0] });
    expect(finding.message.startsWith(rule.message)).toBe(true);
    expect(formatViolation(finding)).toBe(`${id} ${c.at}: ${finding.message}. Fix: ${rule.fix}`);
  });

  test("passes the passing fixture, which holds resources of the rule's type", () => {
    expect(targetsOf(c.good, id)).toEqual([]);
    const present = Object.keys((c.good as { resource: Record<string, unknown> }).resource);
    expect(typesOf(rule.resourceType).some((t) => present.includes(t))).toBe(true);
  });
});

describe("finer points of the rules", () => {
  describe("hardening guards", () => {
    const prTrust = githubTrust({ StringEquals: { "token.actions.githubusercontent.com:sub": ["repo:acme/webapp:pull_request"] } });
    test("SECRETS-NO-PR-READ follows attached managed policies and wildcards (kms:*), and leaves roles no pull request can assume alone", () => {
      const json = tf({
        "aws_iam_role.plan": { name: "plan", assume_role_policy: prTrust },
        "aws_iam_policy.read": { name: "read", policy: doc({ Effect: "Allow", Action: ["kms:*"], Resource: "*" }) },
        "aws_iam_role_policy_attachment.plan": { role: ref("aws_iam_role.plan", "name"), policy_arn: ref("aws_iam_policy.read", "arn") },
        "aws_iam_role.deploy": { name: "deploy", assume_role_policy: githubTrust({ StringEquals: { "token.actions.githubusercontent.com:sub": ["repo:acme/webapp:ref:refs/heads/main"] } }) },
        "aws_iam_role_policy.deploy": { role: ref("aws_iam_role.deploy"), policy: doc({ Effect: "Allow", Action: ["ssm:GetParameters"], Resource: "*" }) },
      });
      expect(targetsOf(json, "SECRETS-NO-PR-READ")).toEqual(["aws_iam_role.plan"]);
      expect(evaluatePolicy("fixture", json, []).violations.find((v) => v.rule === "SECRETS-NO-PR-READ")!.message).toMatch(/\(kms:Decrypt\)$/);
    });

    test("IAM-ROLE-WRITE-BOUNDARY flags iam:* and any Allow of iam:DeleteRolePermissionsBoundary, bounded or not", () => {
      const json = tf({
        "aws_iam_policy.p": {
          name: "p",
          policy: doc(
            { Sid: "All", Effect: "Allow", Action: ["iam:*"], Resource: "*" },
            { Sid: "Remove", Effect: "Allow", Action: ["iam:DeleteRolePermissionsBoundary"], Resource: "*", Condition: { StringEquals: { "iam:PermissionsBoundary": "x" } } },
            { Sid: "DenyIsFine", Effect: "Deny", Action: ["iam:PutRolePolicy"], Resource: "*" },
          ),
        },
      });
      expect(targetsOf(json, "IAM-ROLE-WRITE-BOUNDARY").sort()).toEqual(["aws_iam_policy.p#All", "aws_iam_policy.p#Remove"]);
    });

    test("IAM-ROLE-BOUNDARY leaves roles no AWS service assumes (GitHub's) alone", () => {
      expect(targetsOf(tf({ "aws_iam_role.plan": { name: "plan", assume_role_policy: prTrust } }), "IAM-ROLE-BOUNDARY")).toEqual([]);
    });

    test("SNS-ALARM-KEY: a key CloudWatch may use for any account, or a topic policy without SourceAccount, still fails; a topic no alarm uses is not checked", () => {
      const key = (condition?: Body) => ({ policy: doc({ Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*", ...(condition ? { Condition: condition } : {}) }) });
      const alarm = { "aws_cloudwatch_metric_alarm.a": { ok_actions: [ref("aws_sns_topic.t", "arn")] } };
      const topic = { "aws_sns_topic.t": { name: "t", kms_master_key_id: ref("aws_kms_key.k", "arn") } };
      expect(targetsOf(tf({ "aws_kms_key.k": key(), ...topic, ...alarm }), "SNS-ALARM-KEY")).toEqual(["aws_sns_topic.t"]);
      const pinned = key({ StringEquals: { "aws:SourceAccount": "123456789012" } });
      const loosePolicy = { "aws_sns_topic_policy.t": { arn: ref("aws_sns_topic.t", "arn"), policy: doc({ Sid: "Cw", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: "*" }) } };
      expect(targetsOf(tf({ "aws_kms_key.k": pinned, ...topic, ...alarm, ...loosePolicy }), "SNS-ALARM-KEY")).toEqual(["aws_sns_topic.t"]);
      expect(targetsOf(tf({ "aws_sns_topic.t": { name: "t", kms_master_key_id: "alias/aws/sns" } }), "SNS-ALARM-KEY")).toEqual([]);
    });

    test("LOGS-RETENTION-YEAR leaves groups without retention to LOGS-RETENTION", () => {
      expect(targetsOf(tf({ "aws_cloudwatch_log_group.g": { name: "/x" } }), "LOGS-RETENTION-YEAR")).toEqual([]);
    });
  });

  test("LB-LISTENER-HTTPS: an HTTP listener that redirects by default still fails when a rule on it forwards", () => {
    const json = lbWith(
      { port: 80, protocol: "HTTP", default_action: [{ type: "redirect", redirect: { protocol: "HTTPS" } }] },
      { "aws_lb_listener_rule.app": { listener_arn: ref("aws_lb_listener.web", "arn"), action: [{ type: "forward", target_group_arn: "tg" }] } }
    );
    expect(targetsOf(json, "LB-LISTENER-HTTPS")).toEqual(["aws_lb_listener.web"]);
  });

  test("LB-TLS-POLICY: an HTTPS listener without ssl_policy gets AWS's 2016 default and fails", () => {
    expect(evaluatePolicy("x", lbWith({ port: 443, protocol: "HTTPS" }), []).violations.find((v) => v.rule === "LB-TLS-POLICY")?.message).toMatch(/ELBSecurityPolicy-2016-08/);
  });

  describe("SG-PUBLIC-INGRESS: the internet may reach only a load balancer's listener ports", () => {
    const world = (port: number, extra: Record<string, Body> = {}) =>
      tf({
        "aws_security_group.lb": { description: "lb" },
        "aws_lb.main": { security_groups: [ref("aws_security_group.lb")] },
        "aws_lb_listener.http": { load_balancer_arn: ref("aws_lb.main", "arn"), port: 80, protocol: "HTTP" },
        "aws_vpc_security_group_ingress_rule.in": { security_group_id: ref("aws_security_group.lb"), ip_protocol: "tcp", from_port: port, to_port: port, cidr_ipv6: "::/0" },
        ...extra,
      });
    test("a listener port from ::/0 passes", () => expect(targetsOf(world(80), "SG-PUBLIC-INGRESS")).toEqual([]));
    test("a port no listener uses fails", () => expect(targetsOf(world(8443), "SG-PUBLIC-INGRESS")).toEqual(["aws_vpc_security_group_ingress_rule.in"]));
    test("the same group also on an instance fails", () =>
      expect(targetsOf(world(80, { "aws_instance.x": { vpc_security_group_ids: [ref("aws_security_group.lb")] } }), "SG-PUBLIC-INGRESS")).toEqual(["aws_vpc_security_group_ingress_rule.in"]));
    test("an inline ingress block is found and named by its index", () => {
      const json = tf({ "aws_security_group.x": { description: "x", ingress: [{ description: "ssh", protocol: "tcp", from_port: 22, to_port: 22, cidr_blocks: ["0.0.0.0/0"] }] } });
      expect(targetsOf(json, "SG-PUBLIC-INGRESS")).toEqual(["aws_security_group.x#ingress[0]"]);
    });
  });

  test("SG-DEFAULT-RESTRICTED: a default security group with rules fails on that group", () => {
    const json = tf({ "aws_vpc.main": {}, "aws_default_security_group.d": { vpc_id: ref("aws_vpc.main"), ingress: [{ protocol: "-1", self: true, from_port: 0, to_port: 0 }] } });
    expect(targetsOf(json, "SG-DEFAULT-RESTRICTED")).toEqual(["aws_default_security_group.d"]);
  });

  describe("EC2-IMDS-HOP-LIMIT: fit for the network mode", () => {
    const hosts = (userData: string) =>
      tf({
        ...lt({ metadata_options: { http_tokens: "required", http_put_response_hop_limit: 1 }, user_data: userData }),
        "aws_ecs_task_definition.web": { network_mode: "awsvpc", container_definitions: container({}) },
      });
    test("awsvpc tasks without ECS_AWSVPC_BLOCK_IMDS fail even at hop limit 1", () =>
      expect(targetsOf(hosts('${base64encode("#!/bin/bash\\necho ECS_CLUSTER=x >> /etc/ecs/ecs.config\\n")}'), "EC2-IMDS-HOP-LIMIT")).toEqual(["aws_launch_template.hosts"]));
    test("with it they pass", () => expect(targetsOf(hosts('${base64encode("#!/bin/bash\\nECS_AWSVPC_BLOCK_IMDS=true\\n")}'), "EC2-IMDS-HOP-LIMIT")).toEqual([]));
  });

  test("EC2-EBS-ENCRYPTED: no block device mapping at all fails (the AMI's unencrypted snapshot)", () => {
    expect(evaluatePolicy("x", tf(lt({})), []).violations.find((v) => v.rule === "EC2-EBS-ENCRYPTED")?.message).toMatch(/no block device mapping/);
  });

  test.each([
    [
      "an access key in literal base64 user data",
      { user_data: Buffer.from("#!/bin/bash\naws configure set aws_access_key_id AKIAABCDEFGHIJKLMNOP\n").toString("base64") },
      ["aws_launch_template.hosts"],
    ],
    ["registry credentials for the ECS agent", { user_data: '${base64encode("ECS_ENGINE_AUTH_DATA={\\"https://r\\":{\\"auth\\":\\"x\\"}}\\n")}' }, ["aws_launch_template.hosts"]],
    ["a Terraform interpolation of a password", { user_data: '${base64encode("DB_PASSWORD=${random_password.db.result}\\n")}' }, ["aws_launch_template.hosts"]],
    ["a shell variable read at boot", { user_data: '${base64encode("export API_TOKEN=$TOKEN_FROM_SSM\\n")}' }, []],
  ])("EC2-USER-DATA-NO-SECRETS: %s", (_name, body, expected) => {
    expect(targetsOf(tf(lt(body)), "EC2-USER-DATA-NO-SECRETS")).toEqual(expected);
  });

  test("ECS-NO-PLAIN-SECRETS: a value that is a secret fails whatever the variable's name", () => {
    const json = tf({ "aws_ecs_task_definition.web": { container_definitions: container({ environment: [{ name: "UPSTREAM", value: "https://user:s3cret@example.com" }] }) } });
    expect(targetsOf(json, "ECS-NO-PLAIN-SECRETS")).toEqual(["aws_ecs_task_definition.web#app"]);
  });

  describe("IAM wildcards and scoping", () => {
    const identity = (statement: Body) => tf({ "aws_iam_role_policy.p": { policy: doc({ Sid: "S", ...statement }) } });
    test("a tag condition scopes a create on *; a transport-only condition does not", () => {
      const tagged = identity({ Effect: "Allow", Action: "ecs:CreateCluster", Resource: "*", Condition: { StringEquals: { "aws:RequestTag/Stack": "x" } } });
      const tlsOnly = identity({ Effect: "Allow", Action: "ecs:CreateCluster", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } });
      expect(targetsOf(tagged, "IAM-NO-WILDCARD-RESOURCE")).toEqual([]);
      expect(targetsOf(tagged, "IAM-NO-UNSCOPED-WRITE")).toEqual([]);
      expect(targetsOf(tlsOnly, "IAM-NO-WILDCARD-RESOURCE")).toEqual(["aws_iam_role_policy.p#S"]);
      expect(targetsOf(tlsOnly, "IAM-NO-UNSCOPED-WRITE")).toEqual(["aws_iam_role_policy.p#S"]);
    });
    test("read-only families on * are no unscoped write, but still a wildcard resource", () => {
      const read = identity({ Effect: "Allow", Action: ["ec2:Describe*", "ecs:List*", "ecr:GetAuthorizationToken"], Resource: "*" });
      expect(targetsOf(read, "IAM-NO-UNSCOPED-WRITE")).toEqual([]);
      expect(targetsOf(read, "IAM-NO-WILDCARD-RESOURCE")).toEqual(["aws_iam_role_policy.p#S"]);
    });
    test("NotAction and NotResource count as wildcards", () => {
      expect(targetsOf(identity({ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b" }), "IAM-NO-WILDCARD-ACTION")).toEqual(["aws_iam_role_policy.p#S"]);
      expect(targetsOf(identity({ Effect: "Allow", Action: "s3:PutObject", NotResource: "arn:aws:s3:::b" }), "IAM-NO-UNSCOPED-WRITE")).toEqual(["aws_iam_role_policy.p#S"]);
    });
    test("Deny statements never count (a deny-all with Principal * is a guard, not a grant)", () => {
      const deny = tf({ "aws_s3_bucket_policy.p": { bucket: "b", policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }) } });
      for (const rule of ["IAM-NO-STAR-PRINCIPAL", "IAM-NO-WILDCARD-ACTION"]) expect(targetsOf(deny, rule)).toEqual([]);
    });
    test("iam:* on every role is a PassRole on *", () => {
      expect(targetsOf(identity({ Effect: "Allow", Action: "iam:*", Resource: "*" }), "IAM-NO-PASSROLE-STAR")).toEqual(["aws_iam_role_policy.p#S"]);
    });
    test("an inline_policy of a role is read and named by its name", () => {
      const json = tf({ "aws_iam_role.r": { assume_role_policy: doc(), inline_policy: [{ name: "admin", policy: doc({ Sid: "All", Effect: "Allow", Action: "*", Resource: "*" }) }] } });
      expect(targetsOf(json, "IAM-NO-ADMIN")).toEqual(["aws_iam_role.r#inline_policy[admin]/All"]);
    });
    test("a data.aws_iam_policy_document is read like JSON", () => {
      const json = tf({
        "data.aws_iam_policy_document.admin": { statement: [{ sid: "All", effect: "Allow", actions: ["*"], resources: ["*"] }] },
        "aws_iam_policy.p": { policy: ref("data.aws_iam_policy_document.admin", "json") },
      });
      expect(targetsOf(json, "IAM-NO-ADMIN")).toEqual(["aws_iam_policy.p#All"]);
      expect(targetsOf(json, "POLICY-READABLE")).toEqual([]);
    });
  });

  describe("GitHub OIDC trust", () => {
    const trust = (sub: unknown, op = "StringEquals") =>
      tf({
        "aws_iam_openid_connect_provider.github": { url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] },
        "aws_iam_role.deploy": {
          assume_role_policy: doc({
            Effect: "Allow",
            Principal: { Federated: ref("aws_iam_openid_connect_provider.github", "arn") },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" }, ...(sub === undefined ? {} : { [op]: { "token.actions.githubusercontent.com:sub": sub } }) },
          }),
        },
      });
    test.each([
      ["an exact ref", "repo:acme/webapp:ref:refs/heads/main", []],
      ["the immutable OWNER@ID/REPO@ID form", "repo:acme@123/webapp@456:pull_request", []],
      ["an environment", ["repo:acme/webapp:environment:production"], []],
      ["no sub at all (any repository on GitHub)", undefined, ["aws_iam_role.deploy#Statement[0]"]],
      ["any ref of the repository", "repo:acme/webapp:*", ["aws_iam_role.deploy#Statement[0]"]],
      ["a wildcard repository", "repo:acme/*:ref:refs/heads/main", ["aws_iam_role.deploy#Statement[0]"]],
      ["no context after the repository", "repo:acme/webapp", ["aws_iam_role.deploy#Statement[0]"]],
    ])("sub with %s", (_name, sub, expected) => {
      expect(targetsOf(trust(sub), "IAM-OIDC-SUBJECT")).toEqual(expected);
    });
    test("the provider is recognised by reference, so an unpinned audience is found", () => {
      const json = trust("repo:acme/webapp:pull_request");
      const role = (json as any).resource.aws_iam_role.deploy;
      role.assume_role_policy = role.assume_role_policy.replace('"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"', '"token.actions.githubusercontent.com:aud":"something-else"');
      expect(targetsOf(json, "IAM-OIDC-AUDIENCE")).toEqual(["aws_iam_role.deploy#Statement[0]"]);
    });
  });

  test("IAM-SERVICE-TRUST-SOURCE leaves EC2's trust alone (no such condition exists for it)", () => {
    const json = tf({ "aws_iam_role.hosts": { assume_role_policy: doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }) } });
    expect(targetsOf(json, "IAM-SERVICE-TRUST-SOURCE")).toEqual([]);
  });

  test("S3 bucket settings are found by the bucket's name as well as by reference", () => {
    const json = bucket({ "aws_s3_bucket_versioning.v": { bucket: "state", versioning_configuration: { status: "Enabled" } } });
    expect(targetsOf(json, "S3-VERSIONING")).toEqual([]);
  });

  test("an empty or foreign document finds nothing and does not throw", () => {
    for (const json of [{}, null, "text", { resource: { aws_lb: "x" } }]) expect(evaluatePolicy("x", json, []).violations).toEqual([]);
  });
});

describe("exceptions", () => {
  const json = tf({
    "aws_lb.public": {},
    "aws_lb.other": {},
    "aws_iam_role_policy.deploy": {
      policy: doc({ Sid: "Login", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }, { Sid: "Nodes", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" }),
    },
  });
  const run = (exceptions: PolicyException[]) => evaluatePolicy("dev", json, exceptions);
  const targets = (fs: ReadonlyArray<{ rule: string; address: string; part?: string }>, rule: string) => fs.filter((f) => f.rule === rule).map(findingTarget);

  test("without exceptions every finding is a violation", () => {
    const r = run([]);
    expect(r).toMatchObject({ stack: "dev", rulesChecked: RULES.length, excepted: [], unusedExceptions: [] });
    expect(targets(r.violations, "LB-INTERNET-FACING")).toEqual(["aws_lb.public", "aws_lb.other"]);
  });

  test("a glob covers only the addresses it matches, and the reason comes along", () => {
    const r = run([{ rule: "LB-INTERNET-FACING", reason: "the public entry point", resources: ["aws_lb.pub*"] }]);
    expect(targets(r.violations, "LB-INTERNET-FACING")).toEqual(["aws_lb.other"]);
    expect(r.excepted).toContainEqual(expect.objectContaining({ rule: "LB-INTERNET-FACING", address: "aws_lb.public", reason: "the public entry point" }));
  });

  test("without resources an exception covers every finding of its rule, and of no other rule", () => {
    const r = run([{ rule: "LB-INTERNET-FACING", reason: "both are public" }]);
    expect(targets(r.violations, "LB-INTERNET-FACING")).toEqual([]);
    expect(targets(r.excepted, "LB-INTERNET-FACING")).toEqual(["aws_lb.public", "aws_lb.other"]);
    expect(targets(r.violations, "LB-WAF")).toEqual(["aws_lb.public", "aws_lb.other"]);
  });

  test("#Sid covers one statement: a new statement in the same policy is still a violation", () => {
    const r = run([{ rule: "IAM-NO-WILDCARD-RESOURCE", reason: "a registry login has no resource", resources: ["aws_iam_role_policy.deploy#Login"] }]);
    expect(targets(r.excepted, "IAM-NO-WILDCARD-RESOURCE")).toEqual(["aws_iam_role_policy.deploy#Login"]);
    expect(targets(r.violations, "IAM-NO-WILDCARD-RESOURCE")).toEqual(["aws_iam_role_policy.deploy#Nodes"]);
  });

  test("an exception that matches nothing is reported as unused, whole", () => {
    const stale = { rule: "DDB-PITR", reason: "there used to be a lock table" };
    expect(run([stale]).unusedExceptions).toEqual([stale]);
  });

  test("a pattern that matches nothing is reported on its own", () => {
    const r = run([{ rule: "LB-INTERNET-FACING", reason: "the public entry point", resources: ["aws_lb.public", "aws_lb.gone"] }]);
    expect(r.unusedExceptions).toEqual([{ rule: "LB-INTERNET-FACING", reason: "the public entry point", resources: ["aws_lb.gone"] }]);
  });

  test("an exception for an unknown rule covers nothing and is reported", () => {
    const r = run([{ rule: "NO-SUCH-RULE", reason: "typo" }]);
    expect(r.unusedExceptions).toEqual([{ rule: "NO-SUCH-RULE", reason: "typo" }]);
    expect(r.excepted).toEqual([]);
  });
});
