#!/usr/bin/env node
/**
 * ecs-shift: move production traffic between the blue and the green colour by editing only the
 * weights of the weighted forward, outside Terraform, in seconds: at once, or step by step with
 * a bake and automatic rollback; smoke-test the idle colour first; help a release PR.
 *
 * Exit codes:
 *   0  done (or nothing to do)
 *   1  refused by a gate (target health, alarms, Terraform lock, smoke test), `smoke` failed, or
 *      `idle` found no idle colour; nothing changed
 *   2  bad input (arguments, outputs, smoke spec, tfvars, a rule that is not a blue/green forward)
 *   3  AWS error or failed verification, including a failed rollback; the message gives the live weights
 *   4  a progressive shift stopped (alarm, unhealthy targets, blind poll, SIGINT/SIGTERM) and the
 *      pre-shift weights are live again, verified
 *   5  someone else changed the rule during the shift: ecs-shift stopped without overwriting it
 *
 * Only `commander` and the ELBv2 client load at startup; CloudWatch, S3, DynamoDB, yaml and the
 * config loader are required inside the code paths that need them.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { OUTPUTS } from "../outputs";
import { Elbv2, EXIT, ShiftError, type Target } from "./aws";
import type { LockFlags } from "./lock";
import type { Runtime } from "./progressive";
import { revert, shift, status, type Selection, type ShiftResult, type Status } from "./shift";
import { weightsFor, WeightError, liveColour, type Colour } from "./weights";

interface Common {
  env?: string;
  outputsFile?: string;
  ruleArn?: string;
  listenerArn?: string;
  testListenerArn?: string;
  alarm: string[];
  region?: string;
  endpointUrl?: string;
  json?: boolean;
}

interface Writes extends Common, LockFlags {
  dryRun?: boolean;
  force?: boolean;
}

interface ShiftArgs extends Writes {
  to: string;
  percent?: string;
  steps?: string;
  strategy?: string;
  bake?: string;
  finalBake?: string;
  poll: string;
  smoke?: string;
  baseUrl?: string;
}

const EXIT_HELP = `
Exit codes:
  0  done (or nothing to do)
  1  refused by a gate (target health, alarms, Terraform lock, smoke test), smoke failed,
     or idle found no idle colour; nothing changed
  2  bad input (arguments, outputs, smoke spec, tfvars); nothing changed
  3  AWS error or failed verification, including a failed rollback; the message gives the live weights
  4  progressive shift stopped (alarm, unhealthy targets, blind poll, SIGINT/SIGTERM); the pre-shift
     weights are live again, verified
  5  someone else changed the rule during the shift; ecs-shift stopped without overwriting it`;

const STRATEGY_HELP = `
Strategies (CodeDeploy's names): canary10-5m, canary10-15m (10%, bake, 100%), linear10-1m,
linear10-3m (10% more after each bake), all-at-once. During each bake ecs-shift polls the target
colour's alarms and target health and the rule; on ALARM, unhealthy targets, a failed poll or
SIGINT/SIGTERM it restores the pre-shift weights (exit 4); if someone else changed the weights it
stops without touching them (exit 5).`;

function readOutputs(env: string, file?: string): Record<string, unknown> {
  let raw: unknown;
  let source: string;
  if (file) {
    source = file;
    try {
      raw = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new ShiftError(`--outputs-file ${file}: cannot be read as JSON (${(e as Error).message})`, EXIT.input);
    }
  } else {
    const dir = path.resolve("cdktf.out", "stacks", env);
    source = `terraform output -json in ${dir}`;
    if (!fs.existsSync(dir)) throw new ShiftError(`--env ${env}: ${dir} does not exist. Run \`cdktf synth\` (and deploy) first, or pass --outputs-file.`, EXIT.input);
    try {
      raw = JSON.parse(execFileSync("terraform", ["output", "-json"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
    } catch (e) {
      throw new ShiftError(`--env ${env}: \`terraform output -json\` failed in ${dir}: ${(e as Error).message.split("\n")[0]}`, EXIT.input);
    }
  }
  const obj = (raw ?? {}) as Record<string, unknown>;
  // cdktf deploy --outputs-file: { "<env>": { name: value } }; terraform output -json: { name: { value } }.
  const flat = (obj[env] && typeof obj[env] === "object" ? obj[env] : obj) as Record<string, unknown>;
  const values = Object.fromEntries(
    Object.entries(flat).map(([k, v]) => [k, v && typeof v === "object" && "value" in (v as object) ? (v as { value: unknown }).value : v]),
  );
  if (!values[OUTPUTS.weightedRuleArn]) throw new ShiftError(`--env ${env}: ${source} has no ${OUTPUTS.weightedRuleArn} output. Is this a deployed service stack?`, EXIT.input);
  return values;
}

interface Resolved {
  readonly sel: Selection;
  readonly region?: string;
  /** The stack outputs, with --env. */
  readonly outputs?: Record<string, unknown>;
}

function selection(o: Common, lockFlags?: LockFlags): Resolved {
  const given = [o.env, o.ruleArn, o.listenerArn].filter(Boolean).length;
  if (given !== 1) throw new ShiftError("choose the load balancer with exactly one of --env, --rule-arn or --listener-arn", EXIT.input);
  const alarms: Record<Colour, string[]> = { blue: [...o.alarm], green: [...o.alarm] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lockOf = (output: unknown, region: string | undefined) => (lockFlags ? (require("./lock") as typeof import("./lock")).lockLocation(output, lockFlags, region) : undefined);
  if (o.env) {
    const out = readOutputs(o.env, o.outputsFile);
    const names = (k: string) => (Array.isArray(out[k]) ? (out[k] as string[]) : []);
    const region = o.region ?? (out[OUTPUTS.region] as string | undefined);
    return {
      sel: {
        target: { kind: "rule", arn: String(out[OUTPUTS.weightedRuleArn]) },
        testListenerArn: o.testListenerArn ?? (out[OUTPUTS.testListenerArn] as string | undefined),
        alarms: { blue: [...names(OUTPUTS.blueAlarmNames), ...o.alarm], green: [...names(OUTPUTS.greenAlarmNames), ...o.alarm] },
        lock: lockOf(out[OUTPUTS.stateBackend], region),
      },
      region,
      outputs: out,
    };
  }
  const arn = (o.ruleArn ?? o.listenerArn)!;
  const kind = o.ruleArn ? "listener-rule" : "listener";
  if (!new RegExp(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:${kind}/`).test(arn)) {
    throw new ShiftError(`--${o.ruleArn ? "rule" : "listener"}-arn ${arn} is not an ELBv2 ${kind} ARN`, EXIT.input);
  }
  const target: Target = o.ruleArn ? { kind: "rule", arn } : { kind: "listener", arn };
  const region = o.region ?? /:elasticloadbalancing:([a-z0-9-]+):/.exec(arn)?.[1];
  const flagsGiven = lockFlags && [lockFlags.stateBucket, lockFlags.stateKey, lockFlags.lockTable].some((v) => v !== undefined);
  const lock = lockFlags && !flagsGiven ? { kind: "unknown" as const, reason: "selected by ARN: pass --state-bucket and --state-key (and --lock-table) to check the Terraform lock" } : lockOf(undefined, region);
  return { sel: { target, testListenerArn: o.testListenerArn, alarms, lock }, region };
}

function printStatus(s: Status): string {
  const lines = [
    `live:          ${s.live}`,
    `weights:       blue ${s.weights.blue} / green ${s.weights.green}`,
    ...(s.testListener ? [`test listener: ${s.testListener}`] : []),
    `health:        blue ${s.health.blue.healthy}/${s.health.blue.registered} healthy, green ${s.health.green.healthy}/${s.health.green.registered} healthy`,
    s.previous?.weights
      ? `previous:      blue ${s.previous.weights.blue} / green ${s.previous.weights.green} (test listener ${s.previous.testListener}), shifted ${s.previous.at} by ${s.previous.by}`
      : "previous:      none recorded",
  ];
  return lines.join("\n");
}

function printShift(r: ShiftResult): string {
  const verb = r.dryRun ? "would shift" : r.changed ? "shifted" : "nothing to change";
  const lines = [`${verb}: blue ${r.before.blue} / green ${r.before.green} -> blue ${r.after.blue} / green ${r.after.green}`];
  if (r.testListener) lines.push(`test listener: ${r.testListener.before ?? "unknown"} -> ${r.testListener.after ?? "unknown"}`);
  for (const g of r.gates) lines.push(`gate passed: ${g}`);
  if (r.lock) lines.push(r.lock.checked.length ? `lock: ${r.lock.checked.join(", ")}: ${r.lock.held.length ? r.lock.held.join("; ") : "not held"}` : `lock: not checked: ${r.lock.note}`);
  return lines.join("\n");
}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);
const warn = (l: string) => err(`${l}\n`);

function inputErr<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WeightError) throw new ShiftError(e.message, EXIT.input);
    throw e;
  }
}

function colourArg(v: string, flag: string): Colour {
  if (v !== "blue" && v !== "green") throw new ShiftError(`${flag} must be blue or green, got ${JSON.stringify(v)}`, EXIT.input);
  return v;
}

/** The smoke spec, parsed (exit 2 naming file:line on a problem). */
function loadSpec(file: string) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const smoke = require("./smoke") as typeof import("./smoke");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ShiftError(`--spec ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.input);
  }
  try {
    return { spec: smoke.parseSmokeSpec(file, text), run: smoke.runSmoke };
  } catch (e) {
    if (e instanceof smoke.SmokeSpecError) throw new ShiftError(e.message, EXIT.input);
    throw e;
  }
}

/** The test listener's URL: --base-url, else the load balancer's DNS name and the test listener's port. */
async function testListenerUrl(aws: Elbv2 | undefined, r: Resolved | undefined, baseUrl: string | undefined): Promise<string> {
  if (baseUrl) {
    if (!/^https?:\/\/[^/\s]+/.test(baseUrl)) throw new ShiftError(`--base-url must be an http(s) URL such as https://app.example.com:8443, got ${JSON.stringify(baseUrl)}`, EXIT.input);
    return baseUrl;
  }
  const dns = r?.outputs?.[OUTPUTS.loadBalancerDnsName];
  if (!aws || !r?.sel.testListenerArn || typeof dns !== "string") {
    throw new ShiftError("the test listener's URL is unknown: give --base-url (e.g. https://app.example.com:8443), or --env with outputs that name the load balancer and its test listener", EXIT.input);
  }
  const l = await aws.listenerEndpoint(r.sel.testListenerArn);
  return `${l.protocol}://${dns}:${l.port}`;
}

/** SIGINT/SIGTERM/SIGHUP during a progressive shift: remember it, wake the bake, never die mid-restore. */
function signalRuntime(emit: Runtime["emit"]): Runtime & { dispose(): void } {
  let received: string | undefined;
  let wake: (() => void) | undefined;
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const handler = (sig: NodeJS.Signals) => {
    if (!received) {
      received = sig;
      warn(`ecs-shift: ${sig} received: stopping and restoring the pre-shift weights (further signals are ignored until that is done)`);
    } else {
      warn(`ecs-shift: ${sig} received again: still restoring, please wait`);
    }
    wake?.();
  };
  for (const s of signals) process.on(s, handler);
  return {
    emit,
    warn,
    interrupted: () => received,
    now: () => performance.now(),
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (received || ms <= 0) return resolve();
        const done = () => {
          clearTimeout(t);
          wake = undefined;
          resolve();
        };
        const t = setTimeout(done, ms);
        wake = done;
      }),
    dispose: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}

async function runShift(o: ShiftArgs): Promise<number> {
  const to = colourArg(o.to, "--to");
  const progressive = o.steps !== undefined || o.strategy !== undefined || o.bake !== undefined || o.smoke !== undefined || o.finalBake !== undefined;
  if (!progressive) {
    const r = selection(o, o);
    const aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl });
    const wanted = percentWeights(to, o.percent ?? "100");
    let doc: ShiftResult;
    try {
      doc = await shift(aws, r.sel, { dryRun: !!o.dryRun, force: !!o.force, warn }, to, wanted);
    } finally {
      aws.destroy();
    }
    out(o.json ? `${JSON.stringify({ command: "shift", ...doc })}\n` : `${printShift(doc)}\n`);
    return EXIT.ok;
  }

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sched = require("./schedule") as typeof import("./schedule");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { progressiveShift } = require("./progressive") as typeof import("./progressive");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rep = require("./report") as typeof import("./report");
  const reporter = o.json ? rep.jsonReporter(out) : rep.textReporter(out, err, !!process.stdout.isTTY, () => process.stdout.columns ?? 80);
  const fail = (e: unknown): number => {
    const code = e instanceof ShiftError ? e.exitCode : EXIT.aws;
    const message = e instanceof Error ? e.message : String(e);
    if (o.json) reporter.end({ outcome: code === EXIT.gate ? "refused" : "error", exitCode: code, message });
    err(`ecs-shift: ${message}\n`);
    return code;
  };
  let rt: (Runtime & { dispose(): void }) | undefined;
  let aws: Elbv2 | undefined;
  try {
    const schedule = inputErr(() => {
      if (o.percent !== undefined && (o.steps !== undefined || o.strategy !== undefined)) throw new WeightError("--percent goes without --steps/--strategy (the last step is always 100)");
      if (o.steps !== undefined || o.strategy !== undefined || o.bake !== undefined) return sched.resolveSchedule(o);
      // --smoke or --final-bake on a one-step shift to --percent (default 100).
      return { steps: [percentWeights(to, o.percent ?? "100")[to]], bakeMs: 0 };
    });
    const finalBakeMs = o.finalBake === undefined ? 0 : inputErr(() => sched.parseDuration(o.finalBake!, "--final-bake"));
    const pollMs = inputErr(() => sched.parseDuration(o.poll, "--poll"));
    if (pollMs < 100) throw new ShiftError(`--poll must be at least 100ms, got ${JSON.stringify(o.poll)}`, EXIT.input);
    const spec = o.smoke !== undefined ? loadSpec(o.smoke) : undefined;
    const r = selection(o, o);
    aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl });
    const baseUrl = spec ? await testListenerUrl(aws, r, o.baseUrl) : undefined;
    rt = signalRuntime((e) => reporter.event(e));
    const outcome = await progressiveShift(
      aws,
      r.sel,
      { dryRun: !!o.dryRun, force: !!o.force, warn },
      {
        to,
        schedule,
        finalBakeMs,
        pollMs,
        smoke: spec && baseUrl ? (colour) => spec.run(spec.spec, baseUrl, colour) : undefined,
      },
      rt,
    );
    reporter.end(outcome);
    if (o.json && outcome.exitCode !== 0) err(`ecs-shift: ${outcome.message}\n`);
    return outcome.exitCode;
  } catch (e) {
    return fail(e);
  } finally {
    rt?.dispose();
    aws?.destroy();
  }
}

function percentWeights(to: Colour, percent: string) {
  try {
    return weightsFor(to, /^\d+$/.test(percent) ? Number(percent) : NaN);
  } catch (e) {
    throw new ShiftError((e as WeightError).message.replace("NaN", JSON.stringify(percent)), EXIT.input);
  }
}

async function runSimple(action: "status" | "revert", o: Writes): Promise<number> {
  const r = selection(o, action === "revert" ? o : undefined);
  const aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl });
  try {
    if (action === "status") {
      const doc = await status(aws, r.sel);
      out(o.json ? `${JSON.stringify({ command: action, ...doc })}\n` : `${printStatus(doc)}\n`);
    } else {
      const doc = await revert(aws, r.sel, { dryRun: !!o.dryRun, force: !!o.force, warn });
      out(o.json ? `${JSON.stringify({ command: action, ...doc })}\n` : `${printShift(doc)}\n`);
    }
    return EXIT.ok;
  } finally {
    aws.destroy();
  }
}

/** The idle colour: the one with weight 0. None while traffic is split. */
async function idleColour(o: Common): Promise<{ idle: Colour; doc: Record<string, unknown> }> {
  const r = selection(o);
  const aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readLive } = require("./shift") as typeof import("./shift");
    const live = await readLive(aws, r.sel);
    const liveC = liveColour(live.weights);
    if (liveC === "split") {
      throw new ShiftError(
        `no colour is idle: traffic is split (blue ${live.weights.blue} / green ${live.weights.green}), a shift is in progress. Finish it (ecs-shift shift --to ...) or revert it first.`,
        EXIT.gate,
      );
    }
    const idle: Colour = liveC === "blue" ? "green" : "blue";
    if (live.testColour && live.testColour !== idle) warn(`warning: the test listener forwards to ${live.testColour}, the live colour, not to the idle ${idle}; a smoke test would not exercise ${idle}`);
    return { idle, doc: { idle, live: liveC, weights: live.weights, testListener: live.testColour } };
  } finally {
    aws.destroy();
  }
}

async function runIdle(o: Common): Promise<number> {
  const { idle, doc } = await idleColour(o);
  out(o.json ? `${JSON.stringify({ command: "idle", ...doc })}\n` : `${idle}\n`);
  return EXIT.ok;
}

async function runSmoke(o: Common & { spec: string; baseUrl?: string }): Promise<number> {
  const spec = loadSpec(o.spec);
  const selected = [o.env, o.ruleArn, o.listenerArn].some(Boolean);
  let colour: Colour | undefined;
  let url: string;
  if (selected) {
    const r = selection(o);
    const aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl });
    try {
      url = await testListenerUrl(aws, r, o.baseUrl);
      if (r.sel.testListenerArn) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { readLive } = require("./shift") as typeof import("./shift");
        colour = (await readLive(aws, r.sel)).testColour;
      }
    } finally {
      aws.destroy();
    }
  } else {
    url = await testListenerUrl(undefined, undefined, o.baseUrl);
  }
  const report = await spec.run(spec.spec, url, colour);
  if (o.json) out(`${JSON.stringify({ command: "smoke", ...report })}\n`);
  else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { smokeLines } = require("./report") as typeof import("./report");
    out(`${smokeLines(report).join("\n")}\n`);
  }
  if (!report.ok) {
    err(`ecs-shift: smoke test failed: ${report.failed} of ${report.results.length} requests via ${report.baseUrl}\n`);
    return EXIT.gate;
  }
  return EXIT.ok;
}

async function runSetImageTag(o: Common & { tag: string; colour?: string; tfvars?: string; dryRun?: boolean }): Promise<number> {
  const file = o.tfvars ?? (o.env ? path.join("config", `${o.env}.tfvars`) : undefined);
  if (!file) throw new ShiftError("give the tfvars file: --env <name> (config/<name>.tfvars) or --tfvars <file>", EXIT.input);
  let colour: Colour;
  let source: string;
  if (o.colour !== undefined) {
    colour = colourArg(o.colour, "--colour");
    source = "--colour";
  } else {
    if (![o.env, o.ruleArn, o.listenerArn].some(Boolean)) throw new ShiftError("give --colour, or --env/--rule-arn so ecs-shift can ask the load balancer which colour is idle", EXIT.input);
    colour = (await idleColour(o)).idle;
    source = "the load balancer (idle colour)";
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tfvars = require("./tfvars") as typeof import("./tfvars");
  let r;
  try {
    r = await tfvars.writeImageTag(file, colour, o.tag, { dryRun: o.dryRun });
  } catch (e) {
    if (e instanceof tfvars.TfvarsError) throw new ShiftError(e.message, EXIT.input);
    throw e;
  }
  const verb = !r.changed ? "already" : o.dryRun ? "would set" : "set";
  if (o.json) out(`${JSON.stringify({ command: "set-image-tag", file: r.file, line: r.line, colour, colourFrom: source, before: r.before, after: r.after, changed: r.changed, dryRun: !!o.dryRun })}\n`);
  else out(`${r.file}:${r.line}: image_tags.${colour} ${verb} ${JSON.stringify(r.after)}${r.changed ? ` (was ${JSON.stringify(r.before)})` : ""}; colour from ${source}\n`);
  return EXIT.ok;
}

function common(cmd: Command): Command {
  return cmd
    .option("--env <name>", "read the ARNs from this environment's stack outputs")
    .option("--outputs-file <file>", "with --env: outputs JSON (cdktf deploy --outputs-file, or terraform output -json)")
    .option("--rule-arn <arn>", "the weighted listener rule")
    .option("--listener-arn <arn>", "a listener whose default action is the weighted forward")
    .option("--test-listener-arn <arn>", "the test listener (forwards to the idle colour)")
    .option("--alarm <name>", "an alarm that must not be in ALARM before or while traffic moves (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--region <region>", "AWS region (default: from the outputs or the ARN)")
    .option("--endpoint-url <url>", "AWS endpoint for every client (ELBv2, CloudWatch, S3, DynamoDB; also AWS_ENDPOINT_URL*)")
    .option("--json", "JSON on stdout, nothing else there (one event per line for a progressive shift)")
    .addHelpText("after", EXIT_HELP);
}

function writes(cmd: Command): Command {
  return cmd
    .option("--dry-run", "print what would change, change nothing")
    .option("--force", "override a failed gate or a held Terraform lock (loudly, on stderr)")
    .option("--state-bucket <bucket>", "Terraform S3 backend bucket (default: the state_backend output)")
    .option("--state-key <key>", "Terraform S3 backend key of this environment's state")
    .option("--state-region <region>", "region of the state bucket and lock table (default: --region)")
    .option("--lock-table <table>", "DynamoDB lock table (Terraform < 1.10); its item <bucket>/<key> is checked")
    .option("--no-state-lockfile", "with --state-bucket: do not check the S3 lock file <key>.tflock");
}

export function program(): Command {
  const p = new Command("ecs-shift")
    .description("Move traffic between the blue and green ECS services by editing only the ALB weights.")
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const result = (code: number) => {
    resultCode = code;
  };
  common(p.command("status").description("live colour, weights, test listener target, target health, previous weights")).action(async (o: Writes) => result(await runSimple("status", o)));
  common(p.command("idle").description("print the idle colour (weight 0), for scripts; exit 1 while traffic is split")).action(async (o: Common) => result(await runIdle(o)));
  writes(
    common(
      p
        .command("shift")
        .description("move traffic to --to: at once (--percent N, default 100), or step by step (--steps/--strategy) with bakes and automatic rollback"),
    ),
  )
    .addOption(new Option("--to <colour>", "blue or green").makeOptionMandatory())
    .option("--percent <n>", "0..100, in one step (default 100)")
    .option("--steps <list>", "percent of traffic on --to after each step, e.g. 10,50,100 (must end at 100)")
    .addOption(new Option("--strategy <name>", "a preset instead of --steps/--bake").choices(["canary10-5m", "canary10-15m", "linear10-1m", "linear10-3m", "all-at-once"]))
    .option("--bake <duration>", "with --steps: wait this long after each step but the last, watching alarms and health (e.g. 5m, 30s)")
    .option("--final-bake <duration>", "keep watching this long after the last step, with automatic rollback (default 0)")
    .option("--poll <duration>", "how often a bake polls alarms, target health and the rule", "10s")
    .option("--smoke <spec>", "run this smoke test spec through the test listener first; refuse to move any weight when it fails")
    .option("--base-url <url>", "with --smoke: the test listener's URL (default: the load balancer's DNS name and the test listener's port)")
    .addHelpText("after", STRATEGY_HELP)
    .action(async (o: ShiftArgs) => result(await runShift(o)));
  writes(common(p.command("revert").description("restore the weights and test listener recorded before the last shift"))).action(async (o: Writes) => result(await runSimple("revert", o)));
  common(p.command("smoke").description("send the spec's requests through the test listener (the idle colour) and check the answers; exit 1 when one fails"))
    .requiredOption("--spec <file>", "smoke test spec (YAML, see examples/smoke.yaml)")
    .option("--base-url <url>", "the test listener's URL (default: the load balancer's DNS name and the test listener's port)")
    .action(async (o: Common & { spec: string; baseUrl?: string }) => result(await runSmoke(o)));
  common(p.command("set-image-tag").description("write --tag into the idle colour's image_tags entry of config/<env>.tfvars (comments and layout kept), for the release PR"))
    .requiredOption("--tag <tag>", "the new image tag (e.g. the git SHA)")
    .option("--colour <colour>", "blue or green (default: the idle colour, asked from the load balancer)")
    .option("--tfvars <file>", "the tfvars file (default: config/<env>.tfvars)")
    .option("--dry-run", "check and print, write nothing")
    .action(async (o: Common & { tag: string; colour?: string; tfvars?: string; dryRun?: boolean }) => result(await runSetImageTag(o)));
  return p;
}

/** The exit code of the command that ran (actions return one instead of throwing for outcomes like "rolled back"). */
let resultCode: number = EXIT.ok;

export async function main(argv: string[]): Promise<number> {
  resultCode = EXIT.ok;
  try {
    await program().parseAsync(argv, { from: "user" });
    return resultCode;
  } catch (e) {
    const error = e as { code?: string; exitCode?: number };
    if (typeof error.code === "string" && error.code.startsWith("commander.")) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help" ? EXIT.ok : EXIT.input;
    }
    const code = e instanceof ShiftError ? e.exitCode : EXIT.aws;
    process.stderr.write(`ecs-shift: ${e instanceof Error ? e.message : String(e)}\n`);
    return code;
  }
}

if (require.main === module) {
  // `ecs-shift status | head -1` closes the pipe early: that is not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
