/**
 * The app as users run it: the built main.js (what `cdktf synth` runs, minus the CLI) and the
 * README's config reference.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KNOWN_KEYS } from "../lib/config/schema";

const ROOT = path.resolve(__dirname, "..");
const MAIN = path.join(ROOT, "dist", "main.js");

function runApp(files: Record<string, string>) {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it first)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "app-"));
  fs.mkdirSync(path.join(dir, "config"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, "config", name), text);
  const out = path.join(dir, "cdktf.out");
  const r = spawnSync(process.execPath, [MAIN], { cwd: dir, env: { ...process.env, CDKTF_OUTDIR: out }, encoding: "utf8" });
  return { ...r, out, dir };
}

const devText = fs.readFileSync(path.join(ROOT, "config", "dev.tfvars"), "utf8");

test("synthesizes one stack per tfvars file, named after it", () => {
  const r = runApp({ "dev.tfvars": devText, "staging.tfvars": devText });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(fs.readdirSync(path.join(r.out, "stacks")).sort()).toEqual(["dev", "staging"]);
  const staging = JSON.parse(fs.readFileSync(path.join(r.out, "stacks", "staging", "cdk.tf.json"), "utf8"));
  expect(staging.provider.aws[0].default_tags[0].tags.Environment).toBe("staging");
});

test("a bad config exits non-zero, names file, line and key for every problem, and writes no stack at all", () => {
  const bad = devText.replace(/^vpc_cidr .*$/m, 'vpc_cidr = "10.10.0.1/16"').replace(/^container_port .*$/m, 'contaner_port = 8080');
  const r = runApp({ "dev.tfvars": devText, "prod.tfvars": bad });
  expect(r.status).toBe(1);
  const file = path.join(r.dir, "config", "prod.tfvars");
  const line = (key: string) => bad.split("\n").findIndex((l) => l.startsWith(key)) + 1;
  expect(r.stderr).toContain(`${file}:${line("contaner_port")}: contaner_port: unknown key; did you mean \`container_port\`?`);
  // reported in the same run as the unknown key
  expect(r.stderr).toContain(`${file}:${line("vpc_cidr")}: vpc_cidr: given "10.10.0.1/16", which is not a network address (did you mean 10.10.0.0/16?)`);
  expect(r.stderr).toContain("Nothing was synthesized.");
  expect(fs.existsSync(path.join(r.out, "stacks"))).toBe(false);
});

/** Every file under `dir` with its content, for comparing whole output trees. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

/** `text` without the policy exception of `rule`, so the stack fails the policy pack on it. */
const withoutException = (text: string, rule: string) => {
  const edited = text.replace(new RegExp(`\\n  "${rule}" = \\{[\\s\\S]*?\\n  \\}`), "");
  if (edited === text) throw new Error(`test setup: no exception ${rule}`);
  return edited;
};

describe("all or nothing", () => {
  const prodText = fs.readFileSync(path.join(ROOT, "config", "prod.tfvars"), "utf8");

  test("a policy failure in the last stack leaves the previous cdktf.out exactly as it was", () => {
    const good = runApp({ "dev.tfvars": devText, "prod.tfvars": prodText });
    expect(good.status).toBe(0);
    const before = tree(good.out);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(["manifest.json", path.join("stacks", "dev", "cdk.tf.json"), path.join("stacks", "prod", "cdk.tf.json")]));
    // The next run changes dev (synthesized first) and breaks prod (synthesized last).
    fs.writeFileSync(path.join(good.dir, "config", "dev.tfvars"), devText.replace('team        = "platform"', 'team        = "platform-next"'));
    fs.writeFileSync(path.join(good.dir, "config", "prod.tfvars"), withoutException(prodText, "LB-TG-HTTPS"));
    const r = spawnSync(process.execPath, [MAIN], { cwd: good.dir, env: { ...process.env, CDKTF_OUTDIR: good.out }, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\[prod\] LB-TG-HTTPS aws_lb_target_group\./m);
    expect(r.stderr).toContain("Nothing was synthesized; the previous output is unchanged.");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(tree(good.out)).toEqual(before);
    expect(JSON.parse(before[path.join("stacks", "dev", "cdk.tf.json")]).provider.aws[0].default_tags[0].tags.team).toBe("platform");
    // Nothing left beside it either.
    expect(fs.readdirSync(good.dir).sort()).toEqual(["cdktf.out", "config"]);
  });

  test("policy findings of every stack are reported in one run", () => {
    const r = runApp({ "dev.tfvars": withoutException(devText, "LB-WAF"), "prod.tfvars": withoutException(prodText, "ECR-KMS-ENCRYPTION") });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\[dev\] LB-WAF /m);
    expect(r.stderr).toMatch(/^\[prod\] ECR-KMS-ENCRYPTION /m);
    expect(fs.existsSync(r.out)).toBe(false);
  });

  test("a good run replaces the output completely: a stack whose config was removed is gone", () => {
    const first = runApp({ "dev.tfvars": devText, "staging.tfvars": devText });
    expect(first.status).toBe(0);
    fs.mkdirSync(path.join(first.out, "stacks", "dev", ".terraform"));
    fs.writeFileSync(path.join(first.out, "stacks", "dev", ".terraform", "marker"), "kept");
    fs.rmSync(path.join(first.dir, "config", "staging.tfvars"));
    const r = spawnSync(process.execPath, [MAIN], { cwd: first.dir, env: { ...process.env, CDKTF_OUTDIR: first.out }, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(fs.readdirSync(path.join(first.out, "stacks"))).toEqual(["dev"]);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(first.out, "manifest.json"), "utf8")).stacks)).toEqual(["dev"]);
    // What Terraform keeps beside a stack (its providers) moves along.
    expect(fs.readFileSync(path.join(first.out, "stacks", "dev", ".terraform", "marker"), "utf8")).toBe("kept");
  });

  test("a bad backend file is reported as config problems, without a stack trace", () => {
    const r = runApp({ "dev.tfvars": devText, "backend-dev.hcl": 'bucket = "acme..state"\nkey = "/dev"\nregion = "eu-west-1"\n' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(r.dir, "config", "backend-dev.hcl")}:1: bucket: given "acme..state"`);
    expect(r.stderr).toContain(`${path.join(r.dir, "config", "backend-dev.hcl")}:2: key: given "/dev"`);
    expect(r.stderr).toContain("Nothing was synthesized.");
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

test("the README's config reference documents every key the schema accepts", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Config reference"), readme.indexOf("## Security"));
  const documented = [...section.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual([...KNOWN_KEYS].sort());
});
