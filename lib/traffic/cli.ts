#!/usr/bin/env node
/**
 * ecs-shift: move production traffic between the blue and the green colour by editing only the
 * weights of the weighted forward, outside Terraform, in seconds.
 *
 * Exit codes:
 *   0  done (or nothing to do)
 *   1  refused by a gate (target health or alarms); nothing changed
 *   2  bad input (arguments, outputs, a rule that is not a blue/green forward); nothing changed
 *   3  AWS error or failed verification; the message says what the live weights are now
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { OUTPUTS } from "../outputs";
import { Elbv2, EXIT, ShiftError, type Target } from "./aws";
import { revert, shift, status, type Selection, type ShiftResult, type Status } from "./shift";
import { weightsFor, WeightError, type Colour } from "./weights";

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
  dryRun?: boolean;
  force?: boolean;
}

const EXIT_HELP = `
Exit codes:
  0  done (or nothing to do)
  1  refused by a gate (target health or alarms); nothing changed
  2  bad input; nothing changed
  3  AWS error or failed verification; the message says what the live weights are now`;

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

function selection(o: Common): { sel: Selection; region?: string } {
  const given = [o.env, o.ruleArn, o.listenerArn].filter(Boolean).length;
  if (given !== 1) throw new ShiftError("choose the load balancer with exactly one of --env, --rule-arn or --listener-arn", EXIT.input);
  const alarms: Record<Colour, string[]> = { blue: [...o.alarm], green: [...o.alarm] };
  if (o.env) {
    const out = readOutputs(o.env, o.outputsFile);
    const names = (k: string) => (Array.isArray(out[k]) ? (out[k] as string[]) : []);
    return {
      sel: {
        target: { kind: "rule", arn: String(out[OUTPUTS.weightedRuleArn]) },
        testListenerArn: o.testListenerArn ?? (out[OUTPUTS.testListenerArn] as string | undefined),
        alarms: { blue: [...names(OUTPUTS.blueAlarmNames), ...o.alarm], green: [...names(OUTPUTS.greenAlarmNames), ...o.alarm] },
      },
      region: o.region ?? (out[OUTPUTS.region] as string | undefined),
    };
  }
  const arn = (o.ruleArn ?? o.listenerArn)!;
  const kind = o.ruleArn ? "listener-rule" : "listener";
  if (!new RegExp(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:${kind}/`).test(arn)) {
    throw new ShiftError(`--${o.ruleArn ? "rule" : "listener"}-arn ${arn} is not an ELBv2 ${kind} ARN`, EXIT.input);
  }
  const target: Target = o.ruleArn ? { kind: "rule", arn } : { kind: "listener", arn };
  return { sel: { target, testListenerArn: o.testListenerArn, alarms }, region: o.region ?? /:elasticloadbalancing:([a-z0-9-]+):/.exec(arn)?.[1] };
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
  return lines.join("\n");
}

async function run(action: "status" | "shift" | "revert", o: Common, shiftArgs?: { to: string; percent: string }): Promise<void> {
  const { sel, region } = selection(o);
  const aws = new Elbv2({ region, endpointUrl: o.endpointUrl });
  const opts = { dryRun: !!o.dryRun, force: !!o.force, warn: (l: string) => process.stderr.write(`${l}\n`) };
  let doc: Status | ShiftResult;
  let text: string;
  if (action === "status") {
    doc = await status(aws, sel);
    text = printStatus(doc);
  } else if (action === "shift") {
    const to = shiftArgs!.to;
    if (to !== "blue" && to !== "green") throw new ShiftError(`--to must be blue or green, got ${JSON.stringify(to)}`, EXIT.input);
    const percent = Number(shiftArgs!.percent);
    let wanted;
    try {
      wanted = weightsFor(to, /^\d+$/.test(shiftArgs!.percent) ? percent : NaN);
    } catch (e) {
      throw new ShiftError((e as WeightError).message.replace("NaN", JSON.stringify(shiftArgs!.percent)), EXIT.input);
    }
    doc = await shift(aws, sel, opts, to, wanted);
    text = printShift(doc);
  } else {
    doc = await revert(aws, sel, opts);
    text = printShift(doc);
  }
  process.stdout.write(o.json ? `${JSON.stringify({ command: action, ...doc })}\n` : `${text}\n`);
}

function common(cmd: Command): Command {
  return cmd
    .option("--env <name>", "read the ARNs from this environment's stack outputs")
    .option("--outputs-file <file>", "with --env: outputs JSON (cdktf deploy --outputs-file, or terraform output -json)")
    .option("--rule-arn <arn>", "the weighted listener rule")
    .option("--listener-arn <arn>", "a listener whose default action is the weighted forward")
    .option("--test-listener-arn <arn>", "the test listener (forwards to the idle colour)")
    .option("--alarm <name>", "an alarm that must not be in ALARM before traffic moves (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--region <region>", "AWS region (default: from the outputs or the ARN)")
    .option("--endpoint-url <url>", "ELBv2 and CloudWatch endpoint (also AWS_ENDPOINT_URL*)")
    .option("--json", "one JSON document on stdout, nothing else there")
    .addHelpText("after", EXIT_HELP);
}

export function program(): Command {
  const p = new Command("ecs-shift")
    .description("Move traffic between the blue and green ECS services by editing only the ALB weights.")
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  common(p.command("status").description("live colour, weights, test listener target, target health, previous weights")).action((o: Common) => run("status", o));
  common(p.command("shift").description("give --to <colour> --percent N (default 100) and the other colour the rest"))
    .addOption(new Option("--to <colour>", "blue or green").makeOptionMandatory())
    .option("--percent <n>", "0..100", "100")
    .option("--dry-run", "print what would change, change nothing")
    .option("--force", "override a failed gate (loudly)")
    .action((o: Common & { to: string; percent: string }) => run("shift", o, o));
  common(p.command("revert").description("restore the weights and test listener recorded before the last shift"))
    .option("--dry-run", "print what would change, change nothing")
    .option("--force", "override a failed gate (loudly)")
    .action((o: Common) => run("revert", o));
  return p;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (typeof err.code === "string" && err.code.startsWith("commander.")) {
      return err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help" ? EXIT.ok : EXIT.input;
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
