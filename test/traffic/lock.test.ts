import { describeHeld, isReadOnlyLock, lockLocation, parseLockInfo } from "../../lib/traffic/lock";
import { ShiftError } from "../../lib/traffic/aws";

const s3Output = { type: "s3", bucket: "acme-state", key: "webapp/prod/terraform.tfstate", region: "eu-west-1", use_lockfile: true, dynamodb_table: "" };

describe("lockLocation", () => {
  test("the state_backend output of an S3 backend with the lock file", () => {
    expect(lockLocation(s3Output, {}, "eu-west-1")).toEqual({
      kind: "s3",
      bucket: "acme-state",
      key: "webapp/prod/terraform.tfstate",
      region: "eu-west-1",
      lockfile: true,
      table: undefined,
      source: "the state_backend output",
    });
  });

  test("a DynamoDB lock table is checked too", () => {
    expect(lockLocation({ ...s3Output, use_lockfile: false, dynamodb_table: "locks" }, {}, undefined)).toMatchObject({ kind: "s3", lockfile: false, table: "locks" });
  });

  test("a local backend has no lock to check", () => {
    expect(lockLocation({ type: "local", path: "terraform.dev.tfstate" }, {}, undefined)).toEqual({ kind: "local", path: "terraform.dev.tfstate", source: "the state_backend output" });
  });

  test("no output: not checked, and the reason says how to check it", () => {
    const loc = lockLocation(undefined, {}, "eu-west-1");
    expect(loc.kind).toBe("unknown");
    expect(loc.kind === "unknown" && loc.reason).toMatch(/no state_backend output.*pass --state-bucket and --state-key/);
  });

  test("explicit flags win over the output", () => {
    expect(lockLocation(s3Output, { stateBucket: "other", stateKey: "k.tfstate", lockTable: "t", stateLockfile: false }, "us-east-1")).toEqual({
      kind: "s3",
      bucket: "other",
      key: "k.tfstate",
      region: "us-east-1",
      lockfile: false,
      table: "t",
      source: "--state-bucket/--state-key",
    });
  });

  test.each([
    [{ ...s3Output, type: "gcs" }, {}, /state_backend output must have type "s3" or "local"/],
    [{ ...s3Output, bucket: "" }, {}, /must have the strings bucket, key and region/],
    [{ ...s3Output, use_lockfile: "yes" }, {}, /must have the boolean use_lockfile/],
    ["s3://x", {}, /must be an object/],
    [undefined, { stateBucket: "b" }, /--state-bucket and --state-key go together/],
    [undefined, { lockTable: "t" }, /--state-bucket and --state-key go together/],
    [undefined, { stateBucket: "b", stateKey: "k", stateLockfile: false }, /--no-state-lockfile without --lock-table leaves no lock to check/],
  ])("refuses %j with %j (exit 2)", (output, flags, message) => {
    let e: unknown;
    try {
      lockLocation(output, flags, "eu-west-1");
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(ShiftError);
    expect((e as ShiftError).exitCode).toBe(2);
    expect((e as ShiftError).message).toMatch(message);
  });
});

describe("lock info", () => {
  const body = JSON.stringify({ ID: "abc-123", Operation: "OperationTypeApply", Who: "alice@ci-7", Version: "1.11.4", Created: "2026-11-30T09:15:02.123456789Z", Path: "acme-state/k", Info: "" });

  test("names who, what, since when and the lock ID", () => {
    const h = parseLockInfo(body, "s3://acme-state/k.tflock");
    expect(describeHeld(h, Date.parse("2026-11-30T09:27:02Z"))).toBe(
      "s3://acme-state/k.tflock is held by alice@ci-7 for a Terraform apply since 2026-11-30T09:15:02.123456789Z (12 min ago) (lock ID abc-123, Terraform 1.11.4)",
    );
  });

  test("a body that is not LockInfo still means held", () => {
    const h = parseLockInfo("garbage", "s3://b/k.tflock");
    expect(h.info).toBeUndefined();
    expect(describeHeld(h, 0)).toContain("is held, but its body is not Terraform's LockInfo JSON");
  });

  test("only a plan's lock is read-only", () => {
    expect(isReadOnlyLock(parseLockInfo(body.replace("OperationTypeApply", "OperationTypePlan"), "x"))).toBe(true);
    expect(isReadOnlyLock(parseLockInfo(body, "x"))).toBe(false);
    expect(isReadOnlyLock(parseLockInfo(body.replace("OperationTypeApply", ""), "x"))).toBe(false);
    expect(isReadOnlyLock(parseLockInfo("garbage", "x"))).toBe(false);
  });
});
