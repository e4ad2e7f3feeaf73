/**
 * .github/workflows/release.yml beyond actionlint (test/workflows.test.ts lints every workflow):
 * its inputs are ecs-shift's own presets, each environment's job presents a subject that
 * environment's deploy role trusts, inputs reach scripts only through env, every script parses,
 * and the inline script that finds the idle colour's service and tag really works.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { loadEnvironmentConfig } from "../../lib/config";
import { STRATEGIES } from "../../lib/traffic/schedule";
import { deployedOutputs } from "../support/aws-endpoint";

const ROOT = path.resolve(__dirname, "..", "..");
const FILE = path.join(ROOT, ".github", "workflows", "release.yml");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
const wf = parse(fs.readFileSync(FILE, "utf8")) as {
  on: { workflow_dispatch: { inputs: Record<string, { type: string; options?: string[]; default?: unknown }> } };
  jobs: Record<string, { environment?: string; concurrency?: unknown; env?: Record<string, string>; steps: Step[] }>;
};
const job = wf.jobs.release;
const step = (name: RegExp) => {
  const s = job.steps.find((x) => x.name && name.test(x.name));
  if (!s) throw new Error(`release.yml has no step named ${name}`);
  return s;
};

test("dispatched by hand with an environment and one of ecs-shift's strategies", () => {
  const inputs = wf.on.workflow_dispatch.inputs;
  expect(Object.keys(wf.on)).toEqual(["workflow_dispatch"]);
  expect(inputs.env.options).toEqual(["dev", "prod"]);
  expect(inputs.strategy.options).toEqual(Object.keys(STRATEGIES));
  expect(inputs.deploy).toMatchObject({ type: "boolean", default: false }); // deploy.yml applies on merge
});

test("each environment presents a subject its deploy role trusts", async () => {
  // environment: ${{ inputs.env == 'prod' && 'production' || '' }}
  const m = /^\$\{\{ inputs\.env == '(\w+)' && '([\w-]+)' \|\| '' \}\}$/.exec(job.environment ?? "");
  expect(m).not.toBeNull();
  for (const env of ["dev", "prod"]) {
    const environment = env === m![1] ? m![2] : "";
    const config = await loadEnvironmentConfig(path.join(ROOT, "config", `${env}.tfvars`));
    // With an environment the job presents repo:OWNER/REPO:environment:<name>; without, its ref (main).
    if (environment) expect({ env, trusted: config.githubDeployEnvironments }).toEqual({ env, trusted: expect.arrayContaining([environment]) });
    else expect({ env, trusted: config.githubDeployRefs }).toEqual({ env, trusted: expect.arrayContaining(["refs/heads/main"]) });
  }
  const role = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!.with!["role-to-assume"];
  expect(role).toBe("arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/${{ vars.SERVICE_NAME }}-${{ inputs.env }}-github-deploy");
});

test("runs the secrets preflight for its environment before anything is deployed or shifted", () => {
  const names = job.steps.map((s) => s.name ?? "");
  const preflight = names.findIndex((n) => /^Secrets preflight/.test(n));
  expect(step(/^Secrets preflight/).run!.trim()).toBe('node dist/lib/secrets-preflight.js "config/$ENV_NAME.tfvars"');
  const firstEffect = job.steps.findIndex((s) => /cdktf deploy|ecs-shift|cli\.js (shift|smoke)/.test(s.run ?? ""));
  expect(preflight).toBeGreaterThanOrEqual(0);
  expect(preflight).toBeLessThan(firstEffect);
});

test("shares deploy.yml's concurrency group, never cancelled: no release while that environment applies", () => {
  expect(job.concurrency).toEqual({ group: "deploy-${{ inputs.env }}", "cancel-in-progress": false });
});

test("inputs and step outputs reach scripts only through env, and every script parses", () => {
  for (const s of job.steps.filter((x) => x.run)) {
    expect({ step: s.name, interpolated: /\$\{\{/.test(s.run!) }).toEqual({ step: s.name, interpolated: false });
    const r = spawnSync("bash", ["-n"], { input: s.run!, encoding: "utf8" });
    expect({ step: s.name, status: r.status, stderr: r.stderr }).toEqual({ step: s.name, status: 0, stderr: "" });
  }
});

test("the shift step runs one progressive shift with the strategy, the smoke spec and the termination wait", () => {
  const run = step(/shift traffic progressively/).run!;
  expect(run).toContain('shift --to "$TO" --strategy "$STRATEGY" --final-bake "$TERMINATION_WAIT"');
  expect(run).toContain('args+=(--smoke "$SMOKE_SPEC")');
  expect(run).toContain('node dist/lib/traffic/cli.js "${args[@]}"');
  expect(job.env).toMatchObject({ STRATEGY: "${{ inputs.strategy }}", SMOKE_SPEC: "${{ inputs.smoke_spec }}", TERMINATION_WAIT: "${{ inputs.termination_wait }}" });
  expect(fs.existsSync(path.join(ROOT, wf.on.workflow_dispatch.inputs.smoke_spec.default as string))).toBe(true);
});

test("the idle step's script names the idle colour's service and the tag config gives it", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-wf-"));
  try {
    fs.symlinkSync(path.join(ROOT, "dist"), path.join(dir, "dist"));
    fs.symlinkSync(path.join(ROOT, "config"), path.join(dir, "config"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const outputs = deployedOutputs();
    Object.assign(outputs.dev, { cluster_name: "webapp-dev", blue_service_name: "webapp-dev-blue", green_service_name: "webapp-dev-green" });
    fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(outputs));
    // The script as the runner sees it, with ecs-shift idle replaced by its answer.
    const script = step(/^Find the idle colour/).run!.replace(/^idle="\$\(node dist\/lib\/traffic\/cli\.js idle [^\n]*\)"$/m, 'idle="green"');
    expect(script).toContain('idle="green"');
    const ghOutput = path.join(dir, "github-output");
    fs.writeFileSync(ghOutput, "");
    const r = spawnSync("bash", ["-e", "-o", "pipefail", "-c", script], { cwd: dir, encoding: "utf8", env: { ...process.env, ENV_NAME: "dev", GITHUB_OUTPUT: ghOutput } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const tag = fs.readFileSync(path.join(ROOT, "config", "dev.tfvars"), "utf8").match(/green\s*=\s*"([^"]+)"/)![1];
    expect(fs.readFileSync(ghOutput, "utf8").split("\n").filter(Boolean)).toEqual([
      "colour=green",
      "live=blue",
      "cluster=webapp-dev",
      "service=webapp-dev-green",
      "live_service=webapp-dev-blue",
      `tag=${tag}`,
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
