/**
 * `npm run local`'s pieces: the override put beside each stack copy, the message when moto is
 * missing, and the launcher's answers where moto 5.2 answers otherwise than AWS. The whole flow against moto is test/local-rehearsal.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { ENDPOINT_SERVICES, localOverride, LocalError, localPaths, MOTO_INSTALL, requireMoto, startMoto, stopMoto } from "../scripts/local";

const URL = "http://127.0.0.1:45678";

const serviceStack = {
  terraform: { backend: { s3: { bucket: "b", key: "k", region: "eu-west-1", use_lockfile: true } } },
  provider: { aws: [{ region: "eu-west-1", allowed_account_ids: ["111111111111"] }] },
  resource: {
    aws_lb: { alb: { enable_deletion_protection: true } },
    aws_vpc: { vpc: { cidr_block: "10.0.0.0/16" } },
  },
  output: { state_backend: { value: { type: "s3", bucket: "b", key: "k", region: "eu-west-1", use_lockfile: true, dynamodb_table: "" } } },
};

const stateStack = {
  resource: {
    aws_s3_bucket: { bucket: { bucket: "state", force_destroy: false, lifecycle: { prevent_destroy: true } } },
    aws_dynamodb_table: { "lock-table": { name: "locks", deletion_protection_enabled: true, lifecycle: { prevent_destroy: true } } },
  },
  output: { state_bucket: { value: "state" } },
};

describe("localOverride", () => {
  it("points every endpoint at the local URL, keeps the account lookup on, and uses a local backend", () => {
    const o = localOverride(serviceStack, URL) as any;
    const aws = o.provider.aws;
    expect(Object.keys(aws.endpoints[0]).sort()).toEqual([...ENDPOINT_SERVICES].sort());
    for (const s of ENDPOINT_SERVICES) expect(aws.endpoints[0][s]).toBe(URL);
    // Skipping the account lookup makes rules that reference a security group plan a perpetual diff.
    expect(aws.skip_requesting_account_id).toBe(false);
    expect(aws.s3_use_path_style).toBe(true);
    expect(aws.allowed_account_ids).toBeNull();
    expect(aws.assume_role).toBeNull();
    expect(o.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
  });

  it("makes the state_backend output say the local backend really used", () => {
    const o = localOverride(serviceStack, URL) as any;
    expect(o.output.state_backend.value).toEqual({ type: "local", path: "terraform.tfstate" });
  });

  it("adds no state_backend output to a stack without one", () => {
    expect((localOverride(stateStack, URL) as any).output).toBeUndefined();
  });

  it("turns the deletion guards off so down can destroy what up created", () => {
    const s = localOverride(stateStack, URL) as any;
    expect(s.resource.aws_s3_bucket.bucket).toEqual({ lifecycle: { prevent_destroy: false }, force_destroy: true });
    expect(s.resource.aws_dynamodb_table["lock-table"]).toEqual({ lifecycle: { prevent_destroy: false }, deletion_protection_enabled: false });
    const d = localOverride(serviceStack, URL) as any;
    expect(d.resource.aws_lb.alb).toEqual({ enable_deletion_protection: false });
    expect(d.resource.aws_vpc).toBeUndefined();
  });
});

describe("requireMoto", () => {
  const saved = process.env.LOCAL_PYTHON;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOCAL_PYTHON;
    else process.env.LOCAL_PYTHON = saved;
  });

  it("fails with the install line when moto cannot be imported", () => {
    // A Python that has no moto: the real interpreter with an empty module path in front and site packages off.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "no-moto-"));
    const fake = path.join(dir, "python-without-moto");
    fs.writeFileSync(fake, `#!/bin/sh\nexec python3 -S "$@"\n`, { mode: 0o755 });
    process.env.LOCAL_PYTHON = fake;
    try {
      expect(() => requireMoto()).toThrow(LocalError);
      expect(() => requireMoto()).toThrow(MOTO_INSTALL);
      expect(MOTO_INSTALL).toBe('pip install "moto[server]==5.2.1"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails with the install line when there is no Python at all", () => {
    process.env.LOCAL_PYTHON = path.join(os.tmpdir(), "no-such-python-here");
    expect(() => requireMoto()).toThrow(/not found on PATH[\s\S]*pip install "moto\[server\]==5\.2\.1"/);
  });

  it("passes with the preinstalled moto", () => {
    delete process.env.LOCAL_PYTHON;
    expect(() => requireMoto()).not.toThrow();
  });
});

describe("the launcher answers as AWS does where moto 5.2 does not", () => {
  test("a missing scaling policy or target is ObjectNotFoundException (the provider's 'already gone'); ELBv2 takes 50 tags, not 10", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-answers-"));
    const paths = localPaths(dir);
    try {
      const { url } = await startMoto(paths);
      const r = spawnSync("python3", [path.join(__dirname, "fixtures", "local", "aws-answers.py"), url], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toEqual({
        deleteMissingPolicy: "ObjectNotFoundException",
        deregisterMissingTarget: "ObjectNotFoundException",
        add20Tags: "ok",
        add31MoreTags: "TooManyTags",
        tags: 20,
      });
    } finally {
      await stopMoto(paths);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
