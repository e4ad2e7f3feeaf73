/**
 * Remote state: the state stack (config/state.hcl), the environments' S3 backends
 * (config/backend-<env>.hcl), what the GitHub roles may do with them, and their config errors.
 */
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Testing } from "cdktf";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadProjectConfig, parseBackendConfig, parseEnvironmentConfig, parseStateConfig, type StateConfig } from "../lib/config";
import { OUTPUTS } from "../lib/outputs";
import { ServiceStack } from "../stacks/service-stack";
import { StateBackendStack } from "../stacks/state-backend-stack";
import { parse, resourcesOf } from "./support/scope";
import { validateAndPlan } from "./support/terraform";
import { configErrorOf } from "./support/config-error";

const STATE_FILE = "/srv/cfg/state.hcl";
const BACKEND_FILE = "/srv/cfg/backend-dev.hcl";
const STATE = 'bucket = "acme-webapp-terraform-state"\nregion = "eu-west-1"\n';
const BACKEND = 'bucket = "acme-webapp-terraform-state"\nkey = "webapp/dev/terraform.tfstate"\nregion = "eu-west-1"\n';

function synthState(config: StateConfig): string {
  return Testing.synth(new StateBackendStack(Testing.app(), "state", { config }));
}

/** The shipped dev tfvars with the given backend text. */
async function devWithBackend(backendText: string) {
  const file = path.resolve("config/dev.tfvars");
  return parseEnvironmentConfig(file, fs.readFileSync(file, "utf8"), await parseBackendConfig(path.resolve("config/backend-dev.hcl"), backendText));
}
const synthDev = async (backendText?: string) => {
  const config = backendText === undefined ? await parseEnvironmentConfig(path.resolve("config/dev.tfvars"), fs.readFileSync("config/dev.tfvars", "utf8")) : await devWithBackend(backendText);
  return Testing.synth(new ServiceStack(Testing.app(), "dev", { config }));
};

describe("StateBackendStack", () => {
  let synth: string;
  beforeAll(async () => {
    synth = synthState(await parseStateConfig(STATE_FILE, STATE));
  });

  test("defaults: the bucket is never destroyed by Terraform and keeps every state version", () => {
    expect(synth).toHaveResourceWithProperties(S3Bucket, { bucket: "acme-webapp-terraform-state", force_destroy: false, lifecycle: { prevent_destroy: true } });
    expect(synth).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    expect(synth).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [expect.objectContaining({ status: "Enabled", noncurrent_version_expiration: [{ noncurrent_days: 90 }], abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] })],
    });
  });

  test("defaults: encrypted with SSE-KMS, fully private, ACLs off", () => {
    expect(synth).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true }],
    });
    expect(synth).toHaveResourceWithProperties(S3BucketPublicAccessBlock, { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(synth).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: "BucketOwnerEnforced" } });
  });

  test("defaults: the bucket policy refuses plain HTTP and TLS below 1.2, and grants nothing", () => {
    const [policy] = Object.values(resourcesOf(synth, "aws_s3_bucket_policy"));
    const statements = JSON.parse(policy.policy).Statement;
    expect(statements).toEqual([
      expect.objectContaining({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      expect.objectContaining({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } }),
    ]);
    expect(statements.every((s: { Effect: string }) => s.Effect === "Deny")).toBe(true);
  });

  test("defaults: no DynamoDB table (S3 native locking); the provider tags everything", () => {
    expect(Object.keys(resourcesOf(synth, "aws_dynamodb_table"))).toEqual([]);
    const provider = parse(synth).provider as { aws: Array<{ region: string; default_tags: Array<{ tags: Record<string, string> }> }> };
    expect(provider.aws[0]).toMatchObject({ region: "eu-west-1", default_tags: [{ tags: { ManagedBy: "cdktf", Stack: "state" } }] });
  });

  test("override: dynamodb_table adds a lock table with point-in-time recovery, encryption and deletion protection", async () => {
    const s = synthState(await parseStateConfig(STATE_FILE, `${STATE}dynamodb_table = "acme-locks"\nnoncurrent_version_expiration_days = 30\naws_account_id = "111111111111"\n`));
    expect(s).toHaveResourceWithProperties(DynamodbTable, {
      name: "acme-locks",
      hash_key: "LockID",
      attribute: [{ name: "LockID", type: "S" }],
      billing_mode: "PAY_PER_REQUEST",
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
      deletion_protection_enabled: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(s).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, { rule: [expect.objectContaining({ noncurrent_version_expiration: [{ noncurrent_days: 30 }] })] });
    expect((parse(s).provider as { aws: Array<{ allowed_account_ids: string[] }> }).aws[0].allowed_account_ids).toEqual(["111111111111"]);
  });

  test("validates and plans with the real Terraform and AWS provider (with the lock table)", async () => {
    const planned = validateAndPlan(synthState(await parseStateConfig(STATE_FILE, `${STATE}dynamodb_table = "acme-locks"\n`)), "plan-state");
    expect(planned.counts).toEqual({ add: 8, change: 0, destroy: 0, replace: 0 });
    const types = (planned.json.resource_changes ?? []).map((rc) => rc.type).sort();
    expect(types).toEqual([
      "aws_dynamodb_table",
      "aws_s3_bucket",
      "aws_s3_bucket_lifecycle_configuration",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_versioning",
    ]);
  });
});

describe("environment backends", () => {
  test("with config/backend-<env>.hcl: an encrypted S3 backend with native locking and one key per environment", async () => {
    const s = await synthDev(BACKEND);
    expect((parse(s).terraform as { backend: unknown }).backend).toEqual({
      s3: { bucket: "acme-webapp-terraform-state", key: "webapp/dev/terraform.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true },
    });
    expect(parse(s).output?.[OUTPUTS.stateBackend].value).toEqual({
      type: "s3",
      bucket: "acme-webapp-terraform-state",
      key: "webapp/dev/terraform.tfstate",
      region: "eu-west-1",
      use_lockfile: true,
      dynamodb_table: "",
    });
  });

  test("without a backend file: the local backend, and the output says so", async () => {
    const s = await synthDev();
    expect((parse(s).terraform as { backend?: Record<string, unknown> }).backend ?? { local: {} }).toHaveProperty("local");
    expect(parse(s).output?.[OUTPUTS.stateBackend].value).toEqual({ type: "local", path: "terraform.dev.tfstate" });
  });

  test("the GitHub roles reach only this environment's state object and its lock", async () => {
    const s = await synthDev(BACKEND);
    const statements = Object.values(resourcesOf(s, "aws_iam_role_policy")).flatMap((p: { policy: string }) => JSON.parse(p.policy).Statement);
    const bucketArn = "arn:aws:s3:::acme-webapp-terraform-state";
    const s3 = statements.filter((st: { Action: string[] }) => st.Action.some((a) => a.startsWith("s3:")));
    const resources = new Set(s3.flatMap((st: { Resource: string[] }) => st.Resource));
    expect([...resources].sort()).toEqual([bucketArn, `${bucketArn}/webapp/dev/terraform.tfstate`, `${bucketArn}/webapp/dev/terraform.tfstate.tflock`]);
    const writes = s3.filter((st: { Action: string[] }) => st.Action.some((a) => a === "s3:PutObject" || a === "s3:DeleteObject"));
    for (const st of writes) expect(st.Resource).not.toContain(bucketArn);
    expect(statements.some((st: { Action: string[] }) => st.Action.some((a) => a.startsWith("dynamodb:")))).toBe(false);
  });

  test("dynamodb_table: the backend uses it and both roles may take its lock item, in that table only", async () => {
    const s = await synthDev(`${BACKEND}dynamodb_table = "acme-locks"\n`);
    expect((parse(s).terraform as { backend: { s3: Record<string, unknown> } }).backend.s3).toMatchObject({ dynamodb_table: "acme-locks", use_lockfile: true });
    const lock = Object.values(resourcesOf(s, "aws_iam_role_policy"))
      .flatMap((p: { policy: string }) => JSON.parse(p.policy).Statement)
      .filter((st: { Action: string[] }) => st.Action.some((a) => a.startsWith("dynamodb:")));
    expect(lock).toHaveLength(2); // plan role and deploy role
    for (const st of lock) {
      expect(st.Resource).toEqual(["arn:aws:dynamodb:*:*:table/acme-locks"]);
      expect([...st.Action].sort()).toEqual(["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"]);
    }
  });

  test("the shipped backends: dev and prod keep their state apart in the state stack's bucket", async () => {
    const { environments, state } = await loadProjectConfig(path.resolve("config"));
    const backends = Object.fromEntries(environments.map((e) => [e.environment, e.backend]));
    expect(backends.dev).toMatchObject({ bucket: state!.bucket, key: "webapp/dev/terraform.tfstate", useLockfile: true });
    expect(backends.prod).toMatchObject({ bucket: state!.bucket, key: "webapp/prod/terraform.tfstate", useLockfile: true });
  });
});

describe("config errors name the file, line, key, given and allowed", () => {
  test.each<[string, string, string, number | undefined, RegExp]>([
    ["a bucket name with capitals", 'bucket = "Acme_State"\nregion = "eu-west-1"\n', "bucket", 1, /given "Acme_State"; expected an S3 bucket name/],
    ["an unknown key, with a suggestion", `${STATE}noncurrent_version_expiration_day = 30\n`, "noncurrent_version_expiration_day", 3, /unknown key; did you mean `noncurrent_version_expiration_days`\?/],
    ["a retention of 0 days", `${STATE}noncurrent_version_expiration_days = 0\n`, "noncurrent_version_expiration_days", 3, /given 0; must be >= 1/],
    ["a missing region", 'bucket = "acme-webapp-terraform-state"\n', "region", undefined, /is required \(expected string\)/],
  ])("state.hcl: %s", async (_, text, key, line, message) => {
    const err = await configErrorOf(parseStateConfig(STATE_FILE, text));
    expect(err.problems).toEqual([expect.objectContaining({ key, line })]);
    expect(err.message).toMatch(new RegExp(`^${STATE_FILE.replace(/[./]/g, "\\$&")}${line ? `:${line}` : ""}: ${key}: `));
    expect(err.message).toMatch(message);
  });

  test.each<[string, string, string, RegExp]>([
    ["encrypt = false", `${BACKEND}encrypt = false\n`, "encrypt", /given false; allowed: true/],
    ["no lock at all", `${BACKEND}use_lockfile = false\n`, "use_lockfile", /given false and no dynamodb_table: the state would have no lock/],
    ["a key with a leading slash", BACKEND.replace('"webapp/', '"/webapp/'), "key", /given "\/webapp\/dev\/terraform\.tfstate"; expected an object key without a leading \//],
    ["a Terraform backend key this toolkit does not take", `${BACKEND}profile = "admin"\n`, "profile", /unknown key/],
  ])("backend-<env>.hcl: %s", async (_, text, key, message) => {
    const err = await configErrorOf(parseBackendConfig(BACKEND_FILE, text));
    expect(err.problems).toEqual([expect.objectContaining({ key })]);
    expect(err.message).toMatch(message);
  });

  test("an HCL syntax error in a backend file names its line", async () => {
    const err = await configErrorOf(parseBackendConfig(BACKEND_FILE, `${BACKEND}use_lockfile = \n`));
    expect(err.message).toMatch(/^\/srv\/cfg\/backend-dev\.hcl:4: HCL syntax error/);
  });

  describe("across files", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "backend-config-"));
      for (const f of ["dev.tfvars", "prod.tfvars"]) fs.copyFileSync(path.resolve("config", f), path.join(dir, f));
      fs.writeFileSync(path.join(dir, "state.hcl"), STATE);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);

    test("two environments sharing one state object are refused", async () => {
      write("backend-dev.hcl", BACKEND);
      write("backend-prod.hcl", BACKEND);
      const err = await configErrorOf(loadProjectConfig(dir));
      expect(err.problems).toEqual([expect.objectContaining({ file: path.join(dir, "backend-prod.hcl"), key: "key" })]);
      expect(err.message).toMatch(/backend-prod\.hcl:2: key: given "webapp\/dev\/terraform\.tfstate", the same state object as .*backend-dev\.hcl; give each environment its own key/);
    });

    test("a lock table the state stack does not create is refused", async () => {
      write("backend-dev.hcl", `${BACKEND}dynamodb_table = "acme-locks"\n`);
      const err = await configErrorOf(loadProjectConfig(dir));
      expect(err.message).toMatch(/backend-dev\.hcl:4: dynamodb_table: given "acme-locks", but .*state\.hcl creates no lock table/);
    });

    test("a state_bucket in tfvars that differs from the backend's bucket is refused", async () => {
      write("backend-dev.hcl", BACKEND);
      write("dev.tfvars", `${fs.readFileSync(path.resolve("config/dev.tfvars"), "utf8")}\nstate_bucket = "another-bucket"\n`);
      const err = await configErrorOf(loadProjectConfig(dir));
      expect(err.message).toMatch(/dev\.tfvars:\d+: state_bucket: given "another-bucket", but .*backend-dev\.hcl keeps the state in "acme-webapp-terraform-state"/);
    });

    test("a broken backend file is reported with the tfvars problems of the same run", async () => {
      write("backend-dev.hcl", 'bucket = "x"\n');
      write("prod.tfvars", fs.readFileSync(path.resolve("config/prod.tfvars"), "utf8").replace(/^container_port = 8080$/m, "container_port = 0"));
      const err = await configErrorOf(loadProjectConfig(dir));
      const where = err.problems.map((p) => `${path.basename(p.file ?? "")} ${p.key}`);
      expect(where).toEqual(expect.arrayContaining(["backend-dev.hcl bucket", "backend-dev.hcl key", "backend-dev.hcl region", "prod.tfvars container_port"]));
    });
  });
});
