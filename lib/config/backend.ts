/**
 * Remote state settings, in HCL beside the tfvars:
 * - `config/backend-<env>.hcl`: the S3 backend of one environment, with Terraform's own key
 *   names (`bucket`, `key`, `region`, `use_lockfile`, `dynamodb_table`, `encrypt`,
 *   `kms_key_id`). Without the file the environment keeps a local backend.
 * - `config/state.hcl`: the state stack (`state`) that creates the bucket and, optionally, a
 *   DynamoDB lock table, once per account.
 * Errors are ConfigErrors like the tfvars': file, line, key, given, allowed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { ConfigError, lineOf, parseHcl, partialValues, problemCollector, reportSchemaIssues, show, type ConfigProblem } from "./hcl";
import type { PolicyException } from "../policy/types";
import { checkPolicyExceptions, policyExceptionsSchema, toPolicyExceptions } from "./policy-exceptions";
import { templateProblems } from "./literal";
import { SUPPORTED_PARTITION } from "./aws-data";
import { bucketNameProblem, regionProblem, stateKeyProblem, tagProblems } from "./rules";

/** Thrown when a rule reads a key that failed its own check: the rule is skipped. */
const SKIP = Symbol("skip");

// Bucket names and regions are checked by the rules (bucketNameProblem, regionProblem).
const BUCKET = z.string();
const REGION = z.string();
const TABLE = z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, { message: "a DynamoDB table name (3-255 letters, digits, _ . -)" });

export function backendSchema() {
  return z
    .object({
      bucket: BUCKET,
      key: z
        .string()
        .min(1)
        .max(1024)
        .regex(/^[^/*?][^*?]*$/, { message: "an object key without a leading / or wildcards, e.g. webapp/dev/terraform.tfstate" })
        .regex(/^(?!.*[$%]\{)/, { message: "an object key without ${ or %{: backend settings are literal, Terraform evaluates no expression in them" }),
      region: REGION,
      use_lockfile: z.boolean().default(true),
      dynamodb_table: TABLE.optional(),
      encrypt: z.literal(true, { message: "true: state holds resource attributes and is always encrypted at rest" }).default(true),
      kms_key_id: z
        .string()
        .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/, { message: "a KMS key or alias ARN" })
        .optional(),
    })
    .strict();
}

export function stateSchema() {
  return z
    .object({
      bucket: BUCKET,
      region: REGION,
      aws_account_id: z.string().regex(/^\d{12}$/, { message: "12 digits" }).optional(),
      dynamodb_table: TABLE.optional(),
      noncurrent_version_expiration_days: z.number().int().min(1).max(3650).default(90),
      tags: z.record(z.string(), z.string()).default({}),
      policy_exceptions: policyExceptionsSchema(),
    })
    .strict();
}

/** The state stack's id (`cdktf deploy state`): the name its config and its policy exceptions go by. */
export const STATE_STACK_ID = "state";

/** An environment's S3 backend (`config/backend-<env>.hcl`). */
export interface BackendConfig {
  /** The file it was read from. */
  readonly sourceFile: string;
  readonly bucket: string;
  /** The state object's key, one per environment. */
  readonly key: string;
  readonly region: string;
  /** S3 native locking (`<key>.tflock`, Terraform >= 1.10). @default true */
  readonly useLockfile: boolean;
  /** DynamoDB lock table, for Terraform older than 1.10. @default - none */
  readonly dynamodbTable?: string;
  /** SSE-KMS key of the state object. @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
}

/** The state stack (`config/state.hcl`). */
export interface StateConfig {
  readonly sourceFile: string;
  readonly bucket: string;
  readonly region: string;
  /** Pins the provider to this account. @default - any */
  readonly awsAccountId?: string;
  /** Creates this DynamoDB lock table too (only for Terraform < 1.10). @default - none */
  readonly dynamodbTable?: string;
  /** Old state versions are kept this many days. @default 90 */
  readonly noncurrentVersionExpirationDays: number;
  readonly tags: Readonly<Record<string, string>>;
  /** `policy_exceptions`: deliberate exceptions to the policy pack for the state stack, each with its reason. @default [] */
  readonly policyExceptions: readonly PolicyException[];
}

type Problem = (key: string, message: string) => void;

/**
 * Schema, then the file's rules: each rule runs on its own, also when other keys failed the
 * schema (a rule reading a failed key is skipped), so a file's problems all come together.
 */
async function validated<S extends z.ZodObject>(file: string, text: string, schema: S, rules: ReadonlyArray<(v: z.infer<S>, problem: Problem) => void>): Promise<z.infer<S>> {
  const raw = await parseHcl(file, text);
  const problems: ConfigProblem[] = [];
  const problem = problemCollector(text, problems);
  templateProblems(raw, problem);
  const result = schema.safeParse(raw);
  const v = result.success ? result.data : (partialValues(schema, raw, SKIP) as z.infer<S>);
  if (!result.success) reportSchemaIssues(schema, result.error.issues, raw, problem, "the Remote state section of README.md", text);
  for (const rule of rules) {
    try {
      rule(v, problem);
    } catch (e) {
      if (e !== SKIP) throw e;
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(file, problems);
  return result.data;
}

const bucketRule = (v: { bucket: string }, problem: Problem) => {
  const bad = bucketNameProblem(v.bucket);
  if (bad) problem("bucket", bad);
};
const regionRule = (v: { region: string }, problem: Problem) => {
  const bad = regionProblem(v.region);
  if (bad) problem("region", bad);
};

export async function parseBackendConfig(file: string, text: string): Promise<BackendConfig> {
  const v = await validated(file, text, backendSchema(), [
    bucketRule,
    regionRule,
    (b, problem) => {
      const bad = stateKeyProblem(b.key);
      if (bad) problem("key", bad);
    },
    (b, problem) => {
      if (b.kms_key_id !== undefined && !b.kms_key_id.startsWith(`arn:${SUPPORTED_PARTITION}:kms:${b.region}:`)) {
        problem("kms_key_id", `given ${show(b.kms_key_id)}; the state's KMS key must be a key of the ${SUPPORTED_PARTITION} partition in the bucket's region ${b.region} (arn:${SUPPORTED_PARTITION}:kms:${b.region}:...)`);
      }
    },
    (b, problem) => {
      if (!b.use_lockfile && !b.dynamodb_table) {
        problem("use_lockfile", "given false and no dynamodb_table: the state would have no lock, so two applies could run at once; keep use_lockfile = true (Terraform >= 1.10) or name a dynamodb_table");
      }
    },
  ]);
  return Object.freeze({
    sourceFile: file,
    bucket: v.bucket,
    key: v.key,
    region: v.region,
    useLockfile: v.use_lockfile,
    dynamodbTable: v.dynamodb_table,
    kmsKeyId: v.kms_key_id,
  });
}

export async function parseStateConfig(file: string, text: string): Promise<StateConfig> {
  const v = await validated(file, text, stateSchema(), [
    bucketRule,
    regionRule,
    (s, problem) => tagProblems(s.tags, ["ManagedBy", "Stack"], problem),
    (s, problem) => checkPolicyExceptions(s.policy_exceptions, problem),
  ]);
  return Object.freeze({
    sourceFile: file,
    bucket: v.bucket,
    region: v.region,
    awsAccountId: v.aws_account_id,
    dynamodbTable: v.dynamodb_table,
    noncurrentVersionExpirationDays: v.noncurrent_version_expiration_days,
    tags: Object.freeze({ ...v.tags }),
    policyExceptions: Object.freeze(toPolicyExceptions(v.policy_exceptions).map((e) => Object.freeze({ ...e, ...(e.resources ? { resources: Object.freeze([...e.resources]) } : {}) }))),
  });
}

/** The file name of an environment's backend, beside its tfvars. */
export function backendFileFor(tfvarsFile: string): string {
  return path.join(path.dirname(tfvarsFile), `backend-${path.basename(tfvarsFile).replace(/\.tfvars$/, "")}.hcl`);
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(file, [{ key: "", message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})` }]);
  }
}

/** `config/backend-<env>.hcl` beside the tfvars file, or undefined (a local backend) when there is none. */
export async function loadBackendConfigFor(tfvarsFile: string): Promise<BackendConfig | undefined> {
  const file = backendFileFor(tfvarsFile);
  const text = readIfPresent(file);
  return text === undefined ? undefined : parseBackendConfig(file, text);
}

/** `config/state.hcl`, or undefined when the project has no state stack. */
export async function loadStateConfig(dir: string): Promise<StateConfig | undefined> {
  const file = path.join(dir, "state.hcl");
  const text = readIfPresent(file);
  return text === undefined ? undefined : parseStateConfig(file, text);
}

/**
 * Rules across files: no two environments share a state object, and a backend that uses the
 * state stack's bucket uses only the lock table that stack creates.
 */
export function crossCheckBackends(backends: readonly BackendConfig[], state: StateConfig | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, BackendConfig>();
  for (const b of backends) {
    const id = `${b.bucket}/${b.key}`;
    const first = seen.get(id);
    if (first) problems.push({ file: b.sourceFile, key: "key", message: `given ${show(b.key)}, the same state object as ${first.sourceFile}; give each environment its own key` });
    else seen.set(id, b);
    if (state && b.bucket === state.bucket && b.region !== state.region) {
      problems.push({
        file: b.sourceFile,
        key: "region",
        message: `given ${show(b.region)}, but ${state.sourceFile} creates bucket ${show(state.bucket)} in ${show(state.region)}; a backend must name its bucket's region`,
      });
    }
    if (state && b.bucket === state.bucket && b.dynamodbTable && b.dynamodbTable !== state.dynamodbTable) {
      problems.push({
        file: b.sourceFile,
        key: "dynamodb_table",
        message: `given ${show(b.dynamodbTable)}, but ${state.sourceFile} creates ${state.dynamodbTable ? show(state.dynamodbTable) : "no lock table"}; set dynamodb_table there too, or drop it here and keep use_lockfile = true`,
      });
    }
  }
  // Each problem at its key's line in its file.
  return problems.map((p) => {
    try {
      return { ...p, line: p.file ? lineOf(fs.readFileSync(p.file, "utf8"), p.key) : undefined };
    } catch {
      return p;
    }
  });
}
