/**
 * The Terraform state lock of an environment: `shift` and `revert` refuse to move traffic while
 * an apply holds it. Where the lock lives comes from the stack's `state_backend` output (or
 * explicit flags); the S3 and DynamoDB clients are loaded only here, only when a lock is read.
 *
 * Terraform's formats: with `use_lockfile` the lock is the S3 object `<key>.tflock`, its body the
 * JSON LockInfo; with a DynamoDB table it is the item whose `LockID` is `<bucket>/<key>`, with the
 * same JSON in its `Info` attribute. No object / no item means unlocked.
 */
import type { StateBackendOutput } from "../outputs";
import { clientOptions, describeAwsError, EXIT, ShiftError, type AwsOptions } from "./aws";

/** Terraform's LockInfo, as written by the S3 and DynamoDB lockers. */
export interface LockInfo {
  readonly ID?: string;
  readonly Operation?: string;
  readonly Info?: string;
  readonly Who?: string;
  readonly Version?: string;
  readonly Created?: string;
  readonly Path?: string;
}

export type LockLocation =
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly key: string;
      readonly region: string;
      /** Check the `<key>.tflock` object. */
      readonly lockfile: boolean;
      /** Check this DynamoDB table's item too. */
      readonly table?: string;
      /** Where this came from, for messages ("the state_backend output", "--state-bucket"). */
      readonly source: string;
    }
  | { readonly kind: "local"; readonly path: string; readonly source: string }
  /** Nothing says where the state is: the lock cannot be checked (a warning, not a refusal). */
  | { readonly kind: "unknown"; readonly reason: string };

export interface LockFlags {
  readonly stateBucket?: string;
  readonly stateKey?: string;
  readonly stateRegion?: string;
  readonly lockTable?: string;
  /** false with --no-state-lockfile. */
  readonly stateLockfile?: boolean;
}

const str = (v: unknown) => typeof v === "string" && v.length > 0;

/**
 * Where the lock is: explicit flags win, else the `state_backend` output. Bad values are input
 * errors naming the output or flag.
 */
export function lockLocation(output: unknown, flags: LockFlags, defaultRegion: string | undefined, outputName = "state_backend"): LockLocation {
  if (flags.stateBucket !== undefined || flags.stateKey !== undefined || flags.lockTable !== undefined) {
    if (!str(flags.stateBucket) || !str(flags.stateKey)) {
      throw new ShiftError("--state-bucket and --state-key go together (the S3 backend's bucket and key); --lock-table needs them too", EXIT.input);
    }
    const region = flags.stateRegion ?? defaultRegion;
    if (!region) throw new ShiftError("--state-bucket needs --state-region (or --region)", EXIT.input);
    const lockfile = flags.stateLockfile !== false;
    if (!lockfile && !flags.lockTable) throw new ShiftError("--no-state-lockfile without --lock-table leaves no lock to check", EXIT.input);
    return { kind: "s3", bucket: flags.stateBucket!, key: flags.stateKey!, region, lockfile, table: flags.lockTable || undefined, source: "--state-bucket/--state-key" };
  }
  if (output === undefined || output === null) {
    return { kind: "unknown", reason: `the outputs have no ${outputName} output (a stack deployed before it existed?); pass --state-bucket and --state-key to check the Terraform lock` };
  }
  const o = output as Partial<Record<string, unknown>>;
  const bad = (what: string) => new ShiftError(`the ${outputName} output ${what}; got ${JSON.stringify(output)}. Redeploy the stack, or pass --state-bucket/--state-key.`, EXIT.input);
  if (typeof output !== "object") throw bad("must be an object");
  if (o.type === "local") {
    return { kind: "local", path: typeof o.path === "string" ? o.path : "(local)", source: `the ${outputName} output` };
  }
  if (o.type !== "s3") throw bad('must have type "s3" or "local"');
  if (!str(o.bucket) || !str(o.key) || !str(o.region)) throw bad("must have the strings bucket, key and region");
  if (typeof o.use_lockfile !== "boolean") throw bad("must have the boolean use_lockfile");
  if (typeof o.dynamodb_table !== "string") throw bad('must have the string dynamodb_table ("" when none)');
  const s3: StateBackendOutput = o as StateBackendOutput;
  if (s3.type !== "s3") throw bad("is not an S3 backend");
  if (!s3.use_lockfile && !s3.dynamodb_table) {
    // An S3 backend without any lock: Terraform itself does not lock, so there is nothing to wait for.
    return { kind: "unknown", reason: `the ${outputName} output says s3://${s3.bucket}/${s3.key} has no lock (use_lockfile false, no dynamodb_table): Terraform does not lock this state, so nothing can be checked` };
  }
  return { kind: "s3", bucket: s3.bucket, key: s3.key, region: s3.region, lockfile: s3.use_lockfile, table: s3.dynamodb_table || undefined, source: `the ${outputName} output` };
}

/** One lock found held: where, and what Terraform wrote into it. */
export interface HeldLock {
  /** `s3://bucket/key.tflock` or `dynamodb://table/LockID`. */
  readonly where: string;
  readonly info?: LockInfo;
  /** The lock's body when it is not LockInfo JSON. */
  readonly raw?: string;
}

export interface LockReport {
  /** What was read (empty when nothing could be checked). */
  readonly checked: readonly string[];
  readonly held: readonly HeldLock[];
  /** Why nothing was checked (local backend, no output). */
  readonly note?: string;
}

/** LockInfo from a lock's body; a body that is not LockInfo JSON still means the lock is held. */
export function parseLockInfo(body: string, where: string): HeldLock {
  try {
    const v = JSON.parse(body) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return { where, info: v as LockInfo };
  } catch {
    /* not JSON: held, by someone we cannot name */
  }
  return { where, raw: body.slice(0, 200) };
}

/** A plan holds the lock only to read: it cannot race a weight change, so it does not refuse. */
export function isReadOnlyLock(h: HeldLock): boolean {
  return h.info?.Operation === "OperationTypePlan";
}

function age(created: string | undefined, nowMs: number): string {
  const t = created ? Date.parse(created) : NaN;
  if (Number.isNaN(t)) return "";
  const min = Math.max(0, Math.round((nowMs - t) / 60_000));
  return min < 60 ? ` (${min} min ago)` : ` (${Math.floor(min / 60)} h ${min % 60} min ago)`;
}

/** One line naming who holds the lock, since when, for what. */
export function describeHeld(h: HeldLock, nowMs: number): string {
  if (!h.info) return `${h.where} is held, but its body is not Terraform's LockInfo JSON (${JSON.stringify(h.raw ?? "")})`;
  const i = h.info;
  const op = (i.Operation ?? "").replace(/^OperationType/, "").toLowerCase() || "unknown operation";
  return `${h.where} is held by ${i.Who ?? "unknown"} for a Terraform ${op} since ${i.Created ?? "an unknown time"}${age(i.Created, nowMs)} (lock ID ${i.ID ?? "unknown"}${i.Version ? `, Terraform ${i.Version}` : ""})`;
}

const partition = (region: string) => (region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws");
const s3Arn = (region: string, bucket: string, key?: string) => `arn:${partition(region)}:s3:::${bucket}${key === undefined ? "" : `/${key}`}`;

/** Reads the lock(s) at `loc`. AccessDenied is an error naming the missing permission, never "unlocked". */
export async function readLock(loc: LockLocation, aws: AwsOptions): Promise<LockReport> {
  if (loc.kind === "unknown") return { checked: [], held: [], note: loc.reason };
  if (loc.kind === "local") return { checked: [], held: [], note: `local backend (${loc.path}, from ${loc.source}): there is no shared lock to check` };
  const checked: string[] = [];
  const held: HeldLock[] = [];
  if (loc.lockfile) {
    const where = `s3://${loc.bucket}/${loc.key}.tflock`;
    checked.push(where);
    const body = await readS3Lock(loc.bucket, `${loc.key}.tflock`, loc.region, aws, where);
    if (body !== undefined) held.push(parseLockInfo(body, where));
  }
  if (loc.table) {
    const lockId = `${loc.bucket}/${loc.key}`;
    const where = `dynamodb://${loc.table}/${lockId}`;
    checked.push(where);
    const item = await readDynamoLock(loc.table, lockId, loc.region, aws, where);
    if (item !== undefined) held.push(item === null ? { where, raw: "(item without an Info attribute)" } : parseLockInfo(item, where));
  }
  return { checked, held };
}

async function readS3Lock(bucket: string, key: string, region: string, aws: AwsOptions, where: string): Promise<string | undefined> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const s3 = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = new s3.S3Client({ ...clientOptions(aws, region), forcePathStyle: aws.endpointUrl !== undefined });
  try {
    const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: aws.signal as never });
    return (await r.Body?.transformToString("utf8")) ?? "";
  } catch (e) {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (err.name === "NoSuchKey" || (err.$metadata?.httpStatusCode === 404 && err.name !== "NoSuchBucket")) return undefined;
    if (err.name === "NoSuchBucket") throw new ShiftError(`reading the Terraform lock ${where}: the state bucket ${bucket} does not exist. Check the state_backend output or --state-bucket.`, EXIT.aws);
    if (err.name === "AccessDenied" || err.$metadata?.httpStatusCode === 403) {
      throw new ShiftError(
        `reading the Terraform lock ${where}: access denied. The caller needs s3:GetObject on ${s3Arn(region, bucket, key)} and s3:ListBucket on ${s3Arn(region, bucket)} ` +
          "(without ListBucket, S3 answers a missing lock with AccessDenied). Grant them, or pass --force to move traffic without the lock check.",
        EXIT.aws,
      );
    }
    throw describeAwsError(e, `reading the Terraform lock ${where}`);
  } finally {
    client.destroy();
  }
}

/** The item's Info string, null for an item without one, undefined for no item. */
async function readDynamoLock(table: string, lockId: string, region: string, aws: AwsOptions, where: string): Promise<string | null | undefined> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ddb = require("@aws-sdk/client-dynamodb") as typeof import("@aws-sdk/client-dynamodb");
  const client = new ddb.DynamoDBClient(clientOptions(aws, region));
  try {
    const r = await client.send(new ddb.GetItemCommand({ TableName: table, Key: { LockID: { S: lockId } }, ConsistentRead: true }), { abortSignal: aws.signal as never });
    if (!r.Item) return undefined;
    return r.Item.Info?.S ?? null;
  } catch (e) {
    const err = e as { name?: string };
    if (err.name === "AccessDeniedException") {
      throw new ShiftError(
        `reading the Terraform lock ${where}: access denied. The caller needs dynamodb:GetItem on arn:${partition(region)}:dynamodb:${region}:<account>:table/${table}. ` +
          "Grant it, or pass --force to move traffic without the lock check.",
        EXIT.aws,
      );
    }
    if (err.name === "ResourceNotFoundException") {
      throw new ShiftError(`reading the Terraform lock ${where}: table ${table} does not exist in ${region}. Check the state_backend output or --lock-table.`, EXIT.aws);
    }
    throw describeAwsError(e, `reading the Terraform lock ${where}`);
  } finally {
    client.destroy();
  }
}
