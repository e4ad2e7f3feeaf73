/**
 * The shipped dev and prod stacks, evaluated as IAM would (@cloud-copilot/iam-simulate): no role
 * a pull request can assume obtains a secret value; the deploy role can shape stack roles only
 * within the permissions boundary; the boundary holds whatever a role's own policies say; alarm
 * notifications can be encrypted by CloudWatch of this account only; service trusts refuse
 * another account.
 */
import { configOf, synthStack } from "./support/stacks";
import { ACCOUNT, decide, OTHER_ACCOUNT, SimStack } from "./support/iam-sim";

const stacks: Record<string, SimStack> = {};
/** prod (its backend: state bucket and key) with every optional feature that adds IAM statements: an issued certificate and DNS, a longer service name. */
const EVERYTHING_ON = (text: string) =>
  text.replace(/^service_name = "webapp"$/m, 'service_name = "a-long-name-svc"').replace(/^certificate_arn .*$/m, "") +
  `
domain_name     = "app.example.com"
hosted_zone_id  = "Z0123456789ABCDEFGHIJ"
alarm_email     = "oncall@example.com"
`;
beforeAll(async () => {
  for (const env of ["dev", "prod"]) stacks[env] = new SimStack(synthStack(await configOf(env)));
  stacks.everything = new SimStack(synthStack(await configOf("prod", EVERYTHING_ON)));
});

test.each(["dev", "prod", "everything"])("%s: every role's inline policies fit IAM's 10,240 characters, every managed policy (the boundary too) 6,144", (name) => {
  const s = stacks[name];
  // IAM counts the document without whitespace, with references resolved to ARNs.
  const size = (policy: string) => JSON.stringify(s.doc(policy)).length;
  const inlineByRole = new Map<string, number>();
  for (const [, p] of s.resources("aws_iam_role_policy")) inlineByRole.set(p.role, (inlineByRole.get(p.role) ?? 0) + size(p.policy));
  const over = [...inlineByRole].filter(([, n]) => n > 10240);
  expect(over).toEqual([]);
  const managed = s.resources("aws_iam_policy").map(([, p]) => [p.name, size(p.policy)] as const);
  expect(managed.map(([n]) => n)).toEqual(expect.arrayContaining([expect.stringMatching(/-boundary$/), expect.stringMatching(/-github-deploy-edge$/)]));
  expect(managed.filter(([, n]) => n > 6144)).toEqual([]);
});

const ADMIN = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
const REGION = "eu-west-1";

describe.each(["dev", "prod"])("%s", (env) => {
  const prefix = `webapp-${env}`;
  const s = () => stacks[env];
  const secret = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/webapp/${env}/DATABASE_URL`;
  const viaSsm = { "kms:ViaService": `ssm.${REGION}.amazonaws.com` };

  describe("secrets: no role a pull request can assume obtains a value", () => {
    test("the plan role trusts pull requests (the premise)", () => {
      const trust = s().role(`${prefix}-github-plan`).trust;
      expect(JSON.stringify(trust)).toContain("repo:acme/webapp:pull_request");
    });

    test.each(["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"])("the plan role is denied %s on the stack's secret and on any other parameter", async (action) => {
      const plan = s().role(`${prefix}-github-plan`);
      for (const resource of [secret, `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other/prod/DATABASE_URL`]) {
        expect({ resource, decision: await decide({ principal: plan.arn, action, resource, identity: plan.identity }) }).toEqual({ resource, decision: "ImplicitlyDenied" });
      }
    });

    test("the plan role is denied ssm:GetParametersByPath on the secrets' path", async () => {
      const plan = s().role(`${prefix}-github-plan`);
      expect(await decide({ principal: plan.arn, action: "ssm:GetParametersByPath", resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/webapp/${env}`, identity: plan.identity })).toBe("ImplicitlyDenied");
    });

    test("the plan role cannot decrypt with the secrets key, through SSM or directly, nor grant itself a use", async () => {
      const plan = s().role(`${prefix}-github-plan`);
      const key = s().key(`${prefix}-secrets`);
      for (const [action, context] of [
        ["kms:Decrypt", viaSsm],
        ["kms:Decrypt", {}],
        ["kms:CreateGrant", {}],
        ["kms:PutKeyPolicy", {}],
      ] as const) {
        expect({ action, decision: await decide({ principal: plan.arn, action, resource: key.arn, identity: plan.identity, resourcePolicy: key.policy, context }) }).toEqual({ action, decision: "ImplicitlyDenied" });
      }
    });

    test("even an account administrator's IAM policy gives no decrypt: the key policy does not delegate use to IAM", async () => {
      const key = s().key(`${prefix}-secrets`);
      expect(await decide({ principal: `arn:aws:iam::${ACCOUNT}:role/admin`, action: "kms:Decrypt", resource: key.arn, identity: [ADMIN], resourcePolicy: key.policy, context: viaSsm })).toBe("ImplicitlyDenied");
      // ... while it may still administer the key
      expect(await decide({ principal: `arn:aws:iam::${ACCOUNT}:role/admin`, action: "kms:PutKeyPolicy", resource: key.arn, identity: [ADMIN], resourcePolicy: key.policy })).toBe("Allowed");
    });

    test("the execution role reads and decrypts exactly its secrets, through SSM only (the positive control)", async () => {
      const exec = s().role(`${prefix}-task-execution`);
      const key = s().key(`${prefix}-secrets`);
      expect(await decide({ principal: exec.arn, action: "ssm:GetParameters", resource: secret, identity: exec.identity, boundary: exec.boundary })).toBe("Allowed");
      expect(await decide({ principal: exec.arn, action: "kms:Decrypt", resource: key.arn, identity: exec.identity, boundary: exec.boundary, resourcePolicy: key.policy, context: viaSsm })).toBe("Allowed");
      expect(await decide({ principal: exec.arn, action: "kms:Decrypt", resource: key.arn, identity: exec.identity, boundary: exec.boundary, resourcePolicy: key.policy, context: {} })).not.toBe("Allowed");
      // through another service than SSM: no
      expect(await decide({ principal: exec.arn, action: "kms:Decrypt", resource: key.arn, identity: exec.identity, boundary: exec.boundary, resourcePolicy: key.policy, context: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } })).not.toBe("Allowed");
      // another service's parameters: no
      expect(await decide({ principal: exec.arn, action: "ssm:GetParameters", resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other/prod/X`, identity: exec.identity, boundary: exec.boundary })).not.toBe("Allowed");
    });
  });

  describe("the deploy role and the permissions boundary", () => {
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/${prefix}-boundary`;
    const stackRole = `arn:aws:iam::${ACCOUNT}:role/${prefix}-task`;
    const ecsAgentPolicy = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";
    const asDeploy = async (action: string, resource: string, context: Record<string, string> = {}) => {
      const deploy = s().role(`${prefix}-github-deploy`);
      return decide({ principal: deploy.arn, action, resource, identity: deploy.identity, context });
    };
    const withPolicy = (action: string): Record<string, string> => (action === "iam:AttachRolePolicy" ? { "iam:PolicyARN": ecsAgentPolicy } : {});

    test.each(["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreateRole", "iam:PutRolePermissionsBoundary"])("%s on a stack role: denied without a boundary or with another, allowed with the stack's", async (action) => {
      expect(await asDeploy(action, stackRole, withPolicy(action))).not.toBe("Allowed");
      expect(await asDeploy(action, stackRole, { ...withPolicy(action), "iam:PermissionsBoundary": `arn:aws:iam::${ACCOUNT}:policy/someone-elses-boundary` })).not.toBe("Allowed");
      expect(await asDeploy(action, stackRole, { ...withPolicy(action), "iam:PermissionsBoundary": boundaryArn })).toBe("Allowed");
    });

    test("even with the boundary: no AdministratorAccess attached, no role outside the stack, no change to the GitHub roles", async () => {
      const b = { "iam:PermissionsBoundary": boundaryArn };
      expect(await asDeploy("iam:AttachRolePolicy", stackRole, { ...b, "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess" })).not.toBe("Allowed");
      expect(await asDeploy("iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/other-service-role`, b)).not.toBe("Allowed");
      expect(await asDeploy("iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/${prefix}-github-deploy`, b)).toBe("ExplicitlyDenied");
    });

    test("removing a boundary and editing or deleting the boundary policy are denied", async () => {
      expect(await asDeploy("iam:DeleteRolePermissionsBoundary", stackRole)).toBe("ExplicitlyDenied");
      for (const action of ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"]) {
        expect({ action, decision: await asDeploy(action, boundaryArn) }).toEqual({ action, decision: "ExplicitlyDenied" });
      }
    });

    test("trust policies are set only at creation: UpdateAssumeRolePolicy is denied on every stack role, with or without the boundary", async () => {
      expect(await asDeploy("iam:UpdateAssumeRolePolicy", stackRole)).not.toBe("Allowed");
      expect(await asDeploy("iam:UpdateAssumeRolePolicy", stackRole, { "iam:PermissionsBoundary": boundaryArn })).not.toBe("Allowed");
    });

    test("every role the stack creates carries the boundary", () => {
      for (const suffix of ["task-execution", "task", "instance", "vpc-flow-logs"]) expect({ suffix, bounded: s().role(`${prefix}-${suffix}`).boundary !== undefined }).toEqual({ suffix, bounded: true });
    });

    test("a stack role given AdministratorAccess still gets no IAM, no role assumption and nothing outside the boundary", async () => {
      const task = s().role(`${prefix}-task`);
      const asAdminTask = (action: string, resource: string) => decide({ principal: task.arn, action, resource, identity: [ADMIN], boundary: task.boundary });
      expect(await asAdminTask("iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/${prefix}-task`)).toBe("ExplicitlyDenied");
      expect(await asAdminTask("iam:CreateUser", `arn:aws:iam::${ACCOUNT}:user/intruder`)).toBe("ExplicitlyDenied");
      expect(await asAdminTask("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/${prefix}-github-deploy`)).toBe("ExplicitlyDenied");
      expect(await asAdminTask("s3:GetObject", "arn:aws:s3:::some-bucket/some-object")).not.toBe("Allowed");
      // the boundary gives the secrets to the execution role only
      expect(await asAdminTask("ssm:GetParameters", secret)).not.toBe("Allowed");
    });
  });

  describe("alarm delivery", () => {
    test("the topic's key lets CloudWatch of this account encrypt and decrypt, and nothing else", async () => {
      const key = s().key(`${prefix}-alarms`);
      const cw = (action: string, sourceAccount: string) => decide({ principal: "cloudwatch.amazonaws.com", action, resource: key.arn, resourcePolicy: key.policy, context: { "aws:SourceAccount": sourceAccount } });
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
        expect({ action, decision: await cw(action, ACCOUNT) }).toEqual({ action, decision: "Allowed" });
        expect({ action, decision: await cw(action, OTHER_ACCOUNT) }).toEqual({ action, decision: "ImplicitlyDenied" });
      }
      for (const action of ["kms:Encrypt", "kms:CreateGrant", "kms:ReEncryptFrom", "kms:PutKeyPolicy"]) {
        expect({ action, decision: await cw(action, ACCOUNT) }).toEqual({ action, decision: "ImplicitlyDenied" });
      }
      const usage = key.policy.Statement.filter((st: { Principal?: { Service?: string } }) => st.Principal?.Service === "cloudwatch.amazonaws.com");
      expect(usage).toEqual([
        {
          Sid: "CloudWatchAlarmsOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        },
      ]);
    });

    test("the topic uses that key, not alias/aws/sns", () => {
      const [[, topic]] = s().resources("aws_sns_topic");
      expect(s().resolve(topic.kms_master_key_id)).toBe(s().key(`${prefix}-alarms`).arn);
    });

    test("the topic accepts this stack's alarms of this account and denies an alarm from another account", async () => {
      const [[name, body]] = s().resources("aws_sns_topic_policy");
      const topicArn = s().resolve(body.arn);
      const publish = (account: string) =>
        decide({
          principal: "cloudwatch.amazonaws.com",
          action: "sns:Publish",
          resource: topicArn,
          resourcePolicy: s().doc(body.policy),
          context: { "aws:SourceAccount": account, "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${account}:alarm:${prefix}-blue-target-5xx` },
        });
      expect({ name, decision: await publish(ACCOUNT) }).toEqual({ name, decision: "Allowed" });
      expect({ name, decision: await publish(OTHER_ACCOUNT) }).toEqual({ name, decision: "ImplicitlyDenied" });
    });
  });

  describe("service trusts refuse another account (confused deputy)", () => {
    test.each([
      ["task-execution", "ecs-tasks.amazonaws.com", `arn:aws:ecs:${REGION}:ACCOUNT:task/${"webapp"}/abc`],
      ["task", "ecs-tasks.amazonaws.com", `arn:aws:ecs:${REGION}:ACCOUNT:task/webapp/abc`],
      ["vpc-flow-logs", "vpc-flow-logs.amazonaws.com", `arn:aws:ec2:${REGION}:ACCOUNT:vpc-flow-log/fl-123`],
    ])("%s trusts %s for this account only", async (suffix, service, sourceArn) => {
      const role = s().role(`${prefix}-${suffix}`);
      const assume = (account: string) =>
        decide({ principal: service, action: "sts:AssumeRole", resource: role.arn, resourcePolicy: role.trust, context: { "aws:SourceAccount": account, "aws:SourceArn": sourceArn.replace("ACCOUNT", account) } });
      expect(await assume(ACCOUNT)).toBe("Allowed");
      expect(await assume(OTHER_ACCOUNT)).toBe("ImplicitlyDenied");
    });
  });
});
