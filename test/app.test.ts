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

test("the README's config reference documents every key the schema accepts", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Config reference"), readme.indexOf("## Security"));
  const documented = [...section.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual([...KNOWN_KEYS].sort());
});
