#!/usr/bin/env node
/**
 * ecs-shift: move production traffic between the blue and the green colour by editing only the
 * weights of the weighted forward, outside Terraform, in seconds: at once, or step by step with
 * a bake and automatic rollback; smoke-test the idle colour first; help a release PR.
 *
 * This file only declares the command line. Option checks are in args.ts; each command's flow
 * is in one file: cmd-status.ts (status, idle), cmd-shift.ts (shift, revert, through engine.ts),
 * cmd-release.ts (smoke, set-image-tag); everything printed is in report.ts.
 *
 * Only `commander` and the ELBv2 client load at startup; CloudWatch, S3, DynamoDB, yaml and the
 * config loader are required inside the code paths that need them.
 */
import { Command, Option } from "commander";
import { DEFAULT_POLL, DEFAULT_RESTORE_TIMEOUT, DEFAULT_TIMEOUT, type Common, type ShiftArgs, type Writes } from "./args";
import { EXIT } from "./aws";
import { runRevert, runShift } from "./cmd-shift";
import { runIdle, runStatus } from "./cmd-status";

const EXIT_HELP = `
Exit codes:
  0  done (or nothing to do)
  1  refused by a gate (target health, alarms, an alarm that does not exist, Terraform lock, smoke
     test), smoke failed, or idle found no idle colour; nothing changed
  2  bad input (arguments, outputs, smoke spec, tfvars, a test listener that is not this rule's);
     nothing changed
  3  AWS error or failed verification, including a failed rollback; the message gives the live weights
     (or says they are unknown), whether traffic moved, and the command to run next
  4  progressive shift stopped (alarm, unhealthy targets, blind poll, SIGINT/SIGTERM); the pre-shift
     weights are live again, verified
  5  someone else changed the rule during the shift, or another ecs-shift run holds the lease on it;
     ecs-shift stopped without overwriting it`;

const STRATEGY_HELP = `
Strategies (CodeDeploy's names): canary10-5m, canary10-15m (10%, bake, 100%), linear10-1m,
linear10-3m (10% more after each bake), all-at-once. During each bake ecs-shift polls the target
colour's alarms and target health and the rule; on ALARM, unhealthy targets, a failed poll or
SIGINT/SIGTERM it restores the pre-shift weights (exit 4); if someone else changed the weights it
stops without touching them (exit 5).`;

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
    .option("--request-timeout <duration>", "each AWS request attempt gives up after this (4 attempts in all)", "10s")
    .option("--timeout <duration>", "the reads and gates before the first write give up after this", DEFAULT_TIMEOUT)
    .option("--json", "JSON on stdout, nothing else there (one event per line for a progressive shift)")
    .addHelpText("after", EXIT_HELP);
}

function writes(cmd: Command): Command {
  return cmd
    .option("--dry-run", "print what would change, change nothing")
    .option("--force", "override a failed gate, a missing alarm, a held Terraform lock or a stale ecs-shift lease (loudly, on stderr)")
    .option("--restore-timeout <duration>", "an automatic restore keeps retrying (throttling, 5xx, timeouts) this long", DEFAULT_RESTORE_TIMEOUT)
    .option("--state-bucket <bucket>", "Terraform S3 backend bucket (default: the state_backend output)")
    .option("--state-key <key>", "Terraform S3 backend key of this environment's state")
    .option("--state-region <region>", "region of the state bucket and lock table (default: --region)")
    .option("--lock-table <table>", "DynamoDB lock table (Terraform < 1.10); its item <bucket>/<key> is checked")
    .option("--no-state-lockfile", "with --state-bucket: do not check the S3 lock file <key>.tflock");
}

/** The exit code of the command that ran (actions return one instead of throwing for outcomes like "rolled back"). */
let resultCode: number = EXIT.ok;

export function program(): Command {
  const p = new Command("ecs-shift")
    .description("Move traffic between the blue and green ECS services by editing only the ALB weights.")
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const result = (code: number) => {
    resultCode = code;
  };
  common(p.command("status").description("live colour, weights, test listener target, target health, the last shift (and an interrupted one)")).action(async (o: Common) => result(await runStatus(o)));
  common(p.command("idle").description("print the idle colour (weight 0), for scripts; exit 1 while traffic is split or at 0/0")).action(async (o: Common) => result(await runIdle(o)));
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
    .option("--poll <duration>", "how often a bake polls alarms, target health and the rule", DEFAULT_POLL)
    .option("--smoke <spec>", "run this smoke test spec through the test listener first; refuse to move any weight when it fails")
    .option("--base-url <url>", "with --smoke: the test listener's URL (default: the load balancer's DNS name and the test listener's port)")
    .addHelpText("after", STRATEGY_HELP)
    .action(async (o: ShiftArgs) => result(await runShift(o)));
  writes(common(p.command("revert").description("restore the weights and test listener recorded before the last shift (a no-op when it was already reverted)"))).action(async (o: Writes) =>
    result(await runRevert(o)),
  );
  common(p.command("smoke").description("send the spec's requests through the test listener (the idle colour) and check the answers; exit 1 when one fails"))
    .requiredOption("--spec <file>", "smoke test spec (YAML, see examples/smoke.yaml)")
    .option("--base-url <url>", "the test listener's URL (default: the load balancer's DNS name and the test listener's port)")
    .action(async (o: Common & { spec: string; baseUrl?: string }) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runSmoke } = require("./cmd-release") as typeof import("./cmd-release");
      result(await runSmoke(o));
    });
  common(p.command("set-image-tag").description("write --tag into the idle colour's image_tags entry of config/<env>.tfvars (comments and layout kept), for the release PR"))
    .requiredOption("--tag <tag>", "the new image tag (e.g. the git SHA)")
    .option("--colour <colour>", "blue or green (default: the idle colour, asked from the load balancer)")
    .option("--tfvars <file>", "the tfvars file (default: config/<env>.tfvars)")
    .option("--dry-run", "check and print, write nothing")
    .action(async (o: Common & { tag: string; colour?: string; tfvars?: string; dryRun?: boolean }) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runSetImageTag } = require("./cmd-release") as typeof import("./cmd-release");
      result(await runSetImageTag(o));
    });
  return p;
}

export async function main(argv: string[]): Promise<number> {
  resultCode = EXIT.ok;
  try {
    await program().parseAsync(argv, { from: "user" });
    return resultCode;
  } catch (e) {
    const error = e as { code?: string; exitCode?: number };
    if (typeof error.code === "string" && error.code.startsWith("commander.")) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT.ok;
      // commander printed the problem on stderr; with --json, stdout gets the one failure document too.
      if (argv.includes("--json")) {
        const command = argv.find((a) => !a.startsWith("-")) ?? "ecs-shift";
        process.stdout.write(`${JSON.stringify({ command, error: (e as Error).message.replace(/^error: /, ""), exitCode: EXIT.input, liveWeights: null })}\n`);
      }
      return EXIT.input;
    }
    process.stderr.write(`ecs-shift: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.aws;
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
