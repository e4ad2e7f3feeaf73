/**
 * The cdktf app: one ServiceStack per `config/<env>.tfvars` (stack id = env name), and the
 * state stack (`state`) when `config/state.hcl` exists, each checked by the policy pack
 * (lib/policy) with the exceptions of its config file.
 * Only composes. All or nothing (lib/synth.ts): a config problem, a construct check or a policy
 * finding in any stack prints every problem of every file and stack, exits non-zero and leaves
 * the output directory as it was.
 */
import * as path from "node:path";
import { ConfigBug, ConfigError } from "./lib/config";
import { SynthError, synthesizeProject } from "./lib/synth";
import { ServiceStack } from "./stacks/service-stack";
import { STATE_STACK_ID, StateBackendStack } from "./stacks/state-backend-stack";

async function main(): Promise<void> {
  // cdktf runs the app from the project root, as do `npm run plan` and the tests; the CLI names
  // the output directory in CDKTF_OUTDIR.
  await synthesizeProject({
    configDir: path.resolve("config"),
    outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out",
    stacks: {
      state: (app, config) => new StateBackendStack(app, STATE_STACK_ID, { config }),
      environment: (app, config) => new ServiceStack(app, config.environment, { config }),
    },
  });
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\nNothing was synthesized.\n`);
  } else if (e instanceof SynthError) {
    // Policy violations and construct checks of every stack: the lines say what and where; a
    // stack trace would only bury them.
    process.stderr.write(
      `${e.message}\nFix each finding, or write a deliberate exception with its reason into policy_exceptions in config (README.md, "Policy checks").\nNothing was synthesized; the previous output is unchanged.\n`,
    );
  } else if (e instanceof ConfigBug) {
    process.stderr.write(`${e.message}\nNothing was synthesized.\n`);
    if (process.env.ECS_BLUEGREEN_DEBUG) process.stderr.write(`${e.cause instanceof Error ? e.cause.stack : String(e.cause)}\n`);
  } else {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`internal error while synthesizing: ${message}. This is a bug in the toolkit; please report it (set ECS_BLUEGREEN_DEBUG=1 for the stack trace).\nNothing was synthesized; the previous output is unchanged.\n`);
    if (process.env.ECS_BLUEGREEN_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  }
  process.exit(1);
});
