/**
 * `npm run local -- up|down|status`: a local AWS (moto in server mode, started by
 * scripts/local/moto_server.py, which fills moto's gaps at runtime) and the real `terraform apply`
 * of the state stack and the service stacks against it, with no AWS account.
 *
 * Like the offline plan (scripts/offline.ts), the synthesized stacks are never edited: each is
 * copied into `.local/<stack>/` with an override file (`local_override.tf.json`) beside it that
 * points every AWS endpoint at the local URL, keeps the account lookup on, swaps in a local
 * backend, and makes the `state_backend` output say so (ecs-shift then says plainly that the
 * Terraform lock check is off). Everything lives under `.local/`: the PID and URL of the server,
 * its log, the synthesized stacks, each stack's work directory, state and outputs.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { terraform, terraformEnv, TerraformError, PLUGIN_DIR_ENV, type RunResult } from "./offline";

/** The repository: the nearest package.json up from here (dist/scripts when built, scripts under jest). */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const REPO = repoRoot();
/** The launcher, from the source tree (dist holds no Python). */
export const LAUNCHER = path.join(REPO, "scripts", "local", "moto_server.py");
export const MOTO_INSTALL = 'pip install "moto[server]==5.2.1"';
/** The state stack's id (stacks/state-backend-stack.ts). */
const STATE_STACK = "state";
/** Dummy credentials: the local endpoint accepts any. */
export const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" } as const;

/**
 * Every service the stacks use (and the ones the security work is about to add: KMS, Secrets
 * Manager), as the AWS provider's `endpoints` keys. The provider calls the real AWS for any
 * service missing here, so the list errs on the long side.
 */
export const ENDPOINT_SERVICES = [
  "acm",
  "applicationautoscaling",
  "autoscaling",
  "cloudwatch",
  "dynamodb",
  "ec2",
  "ecr",
  "ecs",
  "elbv2",
  "events",
  "iam",
  "kms",
  "logs",
  "route53",
  "s3",
  "secretsmanager",
  "sns",
  "sqs",
  "ssm",
  "sts",
] as const;

export class LocalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LocalError";
  }
}

export interface LocalPaths {
  /** `.local/` (or a test's temp dir). */
  readonly dir: string;
  readonly pidFile: string;
  readonly urlFile: string;
  readonly logFile: string;
  /** Where the stacks are synthesized (CDKTF_OUTDIR). */
  readonly outDir: string;
  /** Work directory of one stack: the copy, the override, the local state, outputs.json. */
  workDir(stack: string): string;
  /** `terraform output -json` of a stack after `up`: what `ecs-shift --outputs-file` reads. */
  outputsFile(stack: string): string;
}

export function localPaths(dir: string): LocalPaths {
  return {
    dir,
    pidFile: path.join(dir, "moto.pid"),
    urlFile: path.join(dir, "moto.url"),
    logFile: path.join(dir, "moto.log"),
    outDir: path.join(dir, "cdktf.out"),
    workDir: (stack) => path.join(dir, stack),
    outputsFile: (stack) => path.join(dir, stack, "outputs.json"),
  };
}

type Json = Record<string, unknown>;

/** Resources in the stack JSON, as { type: { name: body } }. */
function resourcesOf(stack: Json): Record<string, Record<string, Json>> {
  return (stack.resource ?? {}) as Record<string, Record<string, Json>>;
}

/**
 * The override for one stack against the local endpoint `url`:
 * - provider: dummy keys, every endpoint local, path-style S3, the account lookup ON (when it is
 *   skipped, rules referencing a security group plan a perpetual diff), no account pinning or
 *   role assumption;
 * - backend: local, `terraform.tfstate` in the work directory;
 * - the `state_backend` output, when the stack has one: the local backend really used;
 * - deletion guards off, so `down` can destroy everything it created: `prevent_destroy`,
 *   S3 `force_destroy`, DynamoDB and load balancer deletion protection. Only in this copy.
 */
export function localOverride(stack: Json, url: string): Json {
  const resources = resourcesOf(stack);
  const resource: Record<string, Record<string, Json>> = {};
  const set = (type: string, name: string, body: Json) => {
    resource[type] = resource[type] ?? {};
    resource[type][name] = { ...(resource[type][name] ?? {}), ...body };
  };
  for (const [type, byName] of Object.entries(resources)) {
    for (const [name, body] of Object.entries(byName)) {
      const lifecycle = body.lifecycle as Json | undefined;
      if (lifecycle?.prevent_destroy === true) set(type, name, { lifecycle: { prevent_destroy: false } });
      if (type === "aws_s3_bucket") set(type, name, { force_destroy: true });
      if (type === "aws_dynamodb_table" && body.deletion_protection_enabled === true) set(type, name, { deletion_protection_enabled: false });
      if (type === "aws_lb" && body.enable_deletion_protection === true) set(type, name, { enable_deletion_protection: false });
    }
  }
  const override: Json = {
    terraform: { backend: { local: { path: "terraform.tfstate" } } },
    provider: {
      aws: {
        access_key: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secret_key: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
        skip_credentials_validation: true,
        skip_requesting_account_id: false,
        skip_metadata_api_check: "true",
        skip_region_validation: true,
        s3_use_path_style: true,
        allowed_account_ids: null,
        forbidden_account_ids: null,
        assume_role: null,
        endpoints: [Object.fromEntries(ENDPOINT_SERVICES.map((s) => [s, url]))],
      },
    },
  };
  if (Object.keys(resource).length > 0) override.resource = resource;
  const outputs = (stack.output ?? {}) as Json;
  if ("state_backend" in outputs) {
    override.output = {
      state_backend: {
        value: { type: "local", path: "terraform.tfstate" },
        description: "Local mode (npm run local): the state is a local file in this work directory; there is no shared lock",
      },
    };
  }
  return override;
}

// ---------------------------------------------------------------------------------------------
// The moto server

function pythonCommand(): string {
  return process.env.LOCAL_PYTHON ?? "python3";
}

/** Throws a LocalError with the install line when python3 or moto's server is missing. */
export function requireMoto(): void {
  const py = pythonCommand();
  const r = spawnSync(py, ["-c", "import moto, flask, flask_cors, werkzeug; from moto.moto_server.threaded_moto_server import ThreadedMotoServer; print(moto.__version__)"], {
    encoding: "utf8",
  });
  if (r.error) {
    throw new LocalError(`${py} was not found on PATH: the local AWS is moto, a Python package. Install Python 3 (set LOCAL_PYTHON to use another interpreter), then: ${MOTO_INSTALL}`);
  }
  if (r.status !== 0) {
    const why = (r.stderr.trim().split("\n").pop() ?? "").trim();
    throw new LocalError(`moto's server is not installed for ${py} (${why}). Install it with: ${MOTO_INSTALL}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface Running {
  readonly pid: number;
  readonly url: string;
}

/** The server this PID file names, when it is still running. */
export function runningServer(paths: LocalPaths): Running | undefined {
  if (!fs.existsSync(paths.pidFile) || !fs.existsSync(paths.urlFile)) return undefined;
  const pid = Number(fs.readFileSync(paths.pidFile, "utf8").trim());
  const url = fs.readFileSync(paths.urlFile, "utf8").trim();
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return undefined;
  return { pid, url };
}

/** Starts the launcher detached (it outlives this command), waits for its URL. */
export async function startMoto(paths: LocalPaths, timeoutMs = 30_000): Promise<Running> {
  requireMoto();
  fs.mkdirSync(paths.dir, { recursive: true });
  for (const f of [paths.pidFile, paths.urlFile]) fs.rmSync(f, { force: true });
  const log = fs.openSync(paths.logFile, "a");
  const child = spawn(pythonCommand(), [LAUNCHER, "--port", process.env.LOCAL_PORT ?? "0", "--pid-file", paths.pidFile, "--url-file", paths.urlFile], {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  fs.closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = runningServer(paths);
    if (r && r.pid === child.pid) return r;
    const code = await Promise.race([exited, new Promise<"wait">((res) => setTimeout(() => res("wait"), 100))]);
    if (code !== "wait") {
      const tail = fs.readFileSync(paths.logFile, "utf8").trim().split("\n").slice(-5).join("\n");
      throw new LocalError(`the moto launcher exited (code ${code}) before serving; last lines of ${paths.logFile}:\n${tail}`);
    }
    if (Date.now() > deadline) {
      if (child.pid) process.kill(child.pid, "SIGTERM");
      throw new LocalError(`the moto launcher did not serve within ${timeoutMs / 1000} s; see ${paths.logFile}`);
    }
  }
}

/** Stops exactly the process the PID file names (SIGTERM, then SIGKILL after 10 s). */
export async function stopMoto(paths: LocalPaths): Promise<number | undefined> {
  const r = runningServer(paths);
  if (!r) {
    for (const f of [paths.pidFile, paths.urlFile]) fs.rmSync(f, { force: true });
    return undefined;
  }
  process.kill(r.pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (pidAlive(r.pid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
  if (pidAlive(r.pid)) process.kill(r.pid, "SIGKILL");
  for (const f of [paths.pidFile, paths.urlFile]) fs.rmSync(f, { force: true });
  return r.pid;
}

// ---------------------------------------------------------------------------------------------
// Terraform against it

function mustSucceed(what: string, dir: string, r: RunResult): RunResult {
  if (r.code !== 0) throw new TerraformError(`terraform ${what} failed in ${dir} (exit ${r.code}):`, `${r.stdout}\n${r.stderr}`);
  return r;
}

/** Environment for Terraform in local mode: nothing may reach a real AWS account. */
function localTerraformEnv(): NodeJS.ProcessEnv {
  const env = terraformEnv();
  for (const k of Object.keys(env)) if (k.startsWith("AWS_")) delete env[k];
  return { ...env, ...LOCAL_CREDENTIALS, AWS_EC2_METADATA_DISABLED: "true" };
}

export function tf(dir: string, args: readonly string[]): RunResult {
  const r = spawnSync("terraform", args, { cwd: dir, env: localTerraformEnv(), encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (r.error) return terraform(dir, args); // the same "not on PATH" message as the offline plan
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** {@link tf} without blocking: stacks independent of each other apply side by side. */
export function tfAsync(dir: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", args, { cwd: dir, env: localTerraformEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", (e) => ((e as NodeJS.ErrnoException).code === "ENOENT" ? resolve(terraform(dir, args)) : reject(e)));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Copies `stackJson` into `workDir` with the local override beside it and runs `terraform init`
 * (from TERRAFORM_PLUGIN_DIR when set). Keeps an existing state: `up` again is an update.
 */
export function prepareLocalDir(stackJson: string, workDir: string, url: string): void {
  fs.mkdirSync(workDir, { recursive: true });
  for (const f of fs.readdirSync(workDir)) if (f.endsWith(".tf.json")) fs.rmSync(path.join(workDir, f));
  fs.writeFileSync(path.join(workDir, "cdk.tf.json"), stackJson);
  const override = localOverride(JSON.parse(stackJson) as Json, url);
  fs.writeFileSync(path.join(workDir, "local_override.tf.json"), JSON.stringify(override, null, 2) + "\n");
  const args = ["init", "-input=false", "-no-color", "-reconfigure"];
  const pluginDir = process.env[PLUGIN_DIR_ENV];
  if (pluginDir) args.push(`-plugin-dir=${pluginDir}`);
  mustSucceed("init", workDir, tf(workDir, args));
}

/** Parallelism for apply/plan: the local endpoint answers at once, the provider's waits overlap. */
const PARALLELISM = "-parallelism=30";

/** `terraform apply`; its output is kept in `<workDir>/apply.log` (each resource's time is there). */
export async function apply(workDir: string): Promise<RunResult> {
  const r = await tfAsync(workDir, ["apply", "-input=false", "-no-color", "-auto-approve", PARALLELISM]);
  fs.writeFileSync(path.join(workDir, "apply.log"), `${r.stdout}\n${r.stderr}`);
  return mustSucceed("apply", workDir, r);
}

export async function destroy(workDir: string): Promise<RunResult> {
  return mustSucceed("destroy", workDir, await tfAsync(workDir, ["destroy", "-input=false", "-no-color", "-auto-approve", "-refresh=false", PARALLELISM]));
}

export interface LocalPlan {
  readonly text: string;
  /** `terraform show -json` of the saved plan. */
  readonly json: Json;
  /** Raw JSON text (to save as a fixture). */
  readonly raw: string;
}

/** A real plan (refresh included) into `<workDir>/local.tfplan`, and its JSON. */
export async function planLocal(workDir: string): Promise<LocalPlan> {
  const text = mustSucceed("plan", workDir, await tfAsync(workDir, ["plan", "-input=false", "-no-color", PARALLELISM, "-out=local.tfplan"])).stdout;
  const raw = mustSucceed("show", workDir, await tfAsync(workDir, ["show", "-json", "local.tfplan"])).stdout;
  return { text, json: JSON.parse(raw) as Json, raw };
}

/** Applies exactly the plan {@link planLocal} saved (no second refresh, nothing else). */
export async function applyPlan(workDir: string): Promise<RunResult> {
  const r = await tfAsync(workDir, ["apply", "-input=false", "-no-color", PARALLELISM, "local.tfplan"]);
  fs.writeFileSync(path.join(workDir, "apply.log"), `${r.stdout}\n${r.stderr}`);
  return mustSucceed("apply", workDir, r);
}

/** `terraform output -json` flattened to { name: value }, and saved as outputs.json. */
export function writeOutputs(workDir: string): Record<string, unknown> {
  const raw = JSON.parse(mustSucceed("output", workDir, tf(workDir, ["output", "-json"])).stdout) as Record<string, { value: unknown }>;
  const file = path.join(workDir, "outputs.json");
  fs.writeFileSync(file, JSON.stringify(raw, null, 2) + "\n");
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value]));
}

// ---------------------------------------------------------------------------------------------
// Synthesis and placeholder targets

/**
 * Synthesizes every stack of the project whose `config/` is in `projectDir` (the app resolves
 * `config` from its working directory) into `outDir`, with the built app (dist/main.js).
 */
export function synthesize(projectDir: string, outDir: string): void {
  const app = path.join(REPO, "dist", "main.js");
  if (!fs.existsSync(app)) throw new LocalError(`${app} is missing: run \`npm run build\` first (npm run local does).`);
  fs.mkdirSync(outDir, { recursive: true });
  const r = spawnSync(process.execPath, [app], { cwd: projectDir, env: { ...process.env, CDKTF_OUTDIR: outDir, CHECKPOINT_DISABLE: "1" }, encoding: "utf8" });
  if (r.status !== 0) throw new LocalError(`synthesis failed; nothing was deployed:\n${r.stderr}`);
}

/**
 * Registers one placeholder IP target per colour (in the target group's VPC, on the container
 * port), so the target groups report healthy: moto runs no container and reports every
 * registered IP target as healthy.
 */
export async function registerPlaceholderTargets(url: string, outputs: Record<string, unknown>, region: string): Promise<Record<string, string>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const elb = require("@aws-sdk/client-elastic-load-balancing-v2") as typeof import("@aws-sdk/client-elastic-load-balancing-v2");
  const client = new elb.ElasticLoadBalancingV2Client({ region, endpoint: url, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  const registered: Record<string, string> = {};
  try {
    for (const [colour, key, host] of [
      ["blue", "blue_target_group_arn", 10],
      ["green", "green_target_group_arn", 11],
    ] as const) {
      const arn = outputs[key];
      if (typeof arn !== "string") throw new LocalError(`the stack has no ${key} output; is it a service stack?`);
      const tg = (await client.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).TargetGroups?.[0];
      if (!tg) throw new LocalError(`target group ${arn} not found at ${url}`);
      const health = await client.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      if ((health.TargetHealthDescriptions ?? []).length > 0) continue;
      // An address of the VPC's range is all the target needs: nothing ever connects to it.
      const id = tg.TargetType === "ip" ? `10.255.0.${host}` : undefined;
      if (!id) throw new LocalError(`target group ${arn} has target type ${tg.TargetType}; only ip targets can be faked here`);
      await client.send(new elb.RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id, Port: tg.Port }] }));
      registered[colour] = id;
    }
  } finally {
    client.destroy();
  }
  return registered;
}

// ---------------------------------------------------------------------------------------------
// up / down / status

export interface UpOptions {
  /** Where `config/` is (the app runs from here). @default the repository */
  readonly projectDir?: string;
  /** @default `<projectDir>/.local` */
  readonly localDir?: string;
  /** Service stacks to deploy after the state stack. @default ["dev"] */
  readonly envs?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface UpResult {
  readonly url: string;
  readonly pid: number;
  readonly paths: LocalPaths;
  /** Flattened outputs of each deployed stack. */
  readonly outputs: Record<string, Record<string, unknown>>;
}

/** Stacks that `up` deploys, in order: the state stack first when it was synthesized. */
function stacksToDeploy(paths: LocalPaths, envs: readonly string[]): string[] {
  const synthesized = fs.readdirSync(path.join(paths.outDir, "stacks"));
  for (const env of envs) {
    if (!synthesized.includes(env)) throw new LocalError(`no stack "${env}" was synthesized (stacks: ${synthesized.join(", ")}). Add config/${env}.tfvars to create it.`);
  }
  return [...(synthesized.includes(STATE_STACK) ? [STATE_STACK] : []), ...envs];
}

/** Deploys (again) one stack from its synthesized JSON into its work directory. */
export async function deployStack(paths: LocalPaths, stack: string, url: string): Promise<Record<string, unknown>> {
  const stackJson = fs.readFileSync(path.join(paths.outDir, "stacks", stack, "cdk.tf.json"), "utf8");
  const dir = paths.workDir(stack);
  prepareLocalDir(stackJson, dir, url);
  await apply(dir);
  return writeOutputs(dir);
}

export async function up(options: UpOptions = {}): Promise<UpResult> {
  const projectDir = options.projectDir ?? REPO;
  const paths = localPaths(options.localDir ?? path.join(projectDir, ".local"));
  const envs = options.envs ?? ["dev"];
  const log = options.log ?? (() => undefined);
  let server = runningServer(paths);
  if (server) log(`moto already running (pid ${server.pid}) at ${server.url}`);
  else {
    server = await startMoto(paths);
    log(`moto started (pid ${server.pid}) at ${server.url}; log: ${paths.logFile}`);
  }
  synthesize(projectDir, paths.outDir);
  const outputs: Record<string, Record<string, unknown>> = {};
  // In local mode the service stacks keep their state in a local file, not in the state bucket:
  // nothing orders the stacks, so they apply side by side. Most of an apply is the provider's own
  // fixed waits (30 s before it first asks whether a new load balancer is active; ten equal reads
  // 5 s apart of the bucket's lifecycle rules), which overlap instead of adding up.
  const url = server.url;
  const results = await Promise.allSettled(
    stacksToDeploy(paths, envs).map(async (stack) => {
      const t0 = Date.now();
      outputs[stack] = await deployStack(paths, stack, url);
      log(`${stack}: applied in ${((Date.now() - t0) / 1000).toFixed(1)} s (${paths.workDir(stack)})`);
      if (stack !== STATE_STACK) {
        const region = String(outputs[stack].region ?? "us-east-1");
        const registered = await registerPlaceholderTargets(url, outputs[stack], region);
        if (Object.keys(registered).length) log(`${stack}: placeholder targets registered (${Object.entries(registered).map(([c, ip]) => `${c} ${ip}`).join(", ")}); moto reports them healthy`);
      }
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length) throw failed[0].reason;
  return { url: server.url, pid: server.pid, paths, outputs };
}

/** Work directories of the stacks `up` deployed under `paths`, service stacks first, the state stack last. */
function deployedStacks(paths: LocalPaths): string[] {
  const deployed = fs.existsSync(paths.dir)
    ? fs.readdirSync(paths.dir).filter((d) => fs.existsSync(path.join(paths.dir, d, "local_override.tf.json")))
    : [];
  return [...deployed.filter((d) => d !== STATE_STACK), ...deployed.filter((d) => d === STATE_STACK)];
}

/**
 * `terraform destroy` of every stack `up` deployed, side by side (independent in local mode, see
 * up), without the refresh: the state was written by this server a moment ago.
 */
export async function destroyAll(paths: LocalPaths, url: string, log: (line: string) => void = () => undefined): Promise<void> {
  const results = await Promise.allSettled(
    deployedStacks(paths).map(async (stack) => {
      const dir = paths.workDir(stack);
      if (!fs.existsSync(path.join(dir, "terraform.tfstate"))) return;
      // Point the copy at this server (the URL changes between runs), then destroy.
      const stackJson = fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8");
      fs.writeFileSync(path.join(dir, "local_override.tf.json"), JSON.stringify(localOverride(JSON.parse(stackJson) as Json, url), null, 2) + "\n");
      const t0 = Date.now();
      await destroy(dir);
      for (const f of ["terraform.tfstate", "terraform.tfstate.backup", "outputs.json", "local.tfplan"]) fs.rmSync(path.join(dir, f), { force: true });
      log(`${stack}: destroyed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length) throw failed[0].reason;
}

/** Destroys every stack `up` deployed, then stops exactly the server of the PID file. */
export async function down(options: { projectDir?: string; localDir?: string; log?: (line: string) => void } = {}): Promise<void> {
  const projectDir = options.projectDir ?? REPO;
  const paths = localPaths(options.localDir ?? path.join(projectDir, ".local"));
  const log = options.log ?? (() => undefined);
  const server = runningServer(paths);
  const stacks = deployedStacks(paths);
  if (server) {
    await destroyAll(paths, server.url, log);
  } else if (stacks.length) {
    log(`moto is not running: what was deployed went with it; removing the local states of ${stacks.join(", ")}`);
    for (const stack of stacks) {
      for (const f of ["terraform.tfstate", "terraform.tfstate.backup", "outputs.json", "local.tfplan"]) fs.rmSync(path.join(paths.workDir(stack), f), { force: true });
    }
  }
  const pid = await stopMoto(paths);
  log(pid ? `moto (pid ${pid}) stopped` : "moto was not running");
}

export function status(options: { projectDir?: string; localDir?: string } = {}): string {
  const projectDir = options.projectDir ?? REPO;
  const paths = localPaths(options.localDir ?? path.join(projectDir, ".local"));
  const server = runningServer(paths);
  if (!server) return `moto is not running (no live process in ${paths.pidFile}). Start it with: npm run local -- up`;
  const stacks = fs.readdirSync(paths.dir).filter((d) => fs.existsSync(path.join(paths.dir, d, "terraform.tfstate")));
  return [`moto running (pid ${server.pid}) at ${server.url}`, `deployed stacks: ${stacks.length ? stacks.join(", ") : "none"}`].join("\n");
}

/** How to point ecs-shift at the local AWS, for each deployed service stack. */
export function ecsShiftHint(result: UpResult, projectDir: string): string {
  const lines = ["", "Point ecs-shift at it (no AWS account needed; the credentials are dummies):", `  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`];
  for (const env of Object.keys(result.outputs).filter((s) => s !== STATE_STACK)) {
    const flags = `--env ${env} --outputs-file ${path.relative(projectDir, result.paths.outputsFile(env))} --endpoint-url ${result.url}`;
    lines.push(`  npx ecs-shift status ${flags}`, `  npx ecs-shift shift ${flags} --to green`, `  npx ecs-shift revert ${flags}`);
  }
  lines.push("Tear it all down with: npm run local -- down");
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  // The placeholder targets are registered with the AWS SDK, which warns on Node 20 on every call.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const [command, ...rest] = argv;
  const say = (l: string) => process.stdout.write(`${l}\n`);
  const envs = rest.filter((a) => !a.startsWith("-"));
  try {
    switch (command) {
      case "up": {
        const r = await up({ envs: envs.length ? envs : undefined, log: say });
        say(`\nLocal AWS: ${r.url} (pid ${r.pid}, PID file ${path.relative(REPO, r.paths.pidFile)})`);
        say(ecsShiftHint(r, REPO));
        return 0;
      }
      case "down":
        await down({ log: say });
        return 0;
      case "status":
        say(status());
        return 0;
      default:
        process.stderr.write("usage: npm run local -- up [env ...] | down | status   (up deploys the state stack and dev by default)\n");
        return 2;
    }
  } catch (e) {
    process.stderr.write(`local: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
