/**
 * The cdktf app: one ServiceStack per `config/<env>.tfvars` (stack id = env name), and the
 * state stack (`state`) when `config/state.hcl` exists, each checked by the policy pack
 * (lib/policy) with the exceptions of its config file.
 * Only composes. A config error prints every problem and exits non-zero before anything is
 * synthesized.
 */
import { App } from "cdktf";
import * as path from "node:path";
import { ConfigError, loadProjectConfig } from "./lib/config";
import { applyPolicy } from "./lib/policy";
import { ServiceStack } from "./stacks/service-stack";
import { STATE_STACK_ID, StateBackendStack } from "./stacks/state-backend-stack";

async function main(): Promise<void> {
  // cdktf runs the app from the project root, as do `npm run plan` and the tests.
  const { environments, state } = await loadProjectConfig(path.resolve("config"));
  const app = new App();
  if (state) applyPolicy(new StateBackendStack(app, STATE_STACK_ID, { config: state }), state.policyExceptions, { source: state.sourceFile });
  for (const config of environments) {
    applyPolicy(new ServiceStack(app, config.environment, { config }), config.policyExceptions, { source: config.sourceFile });
  }
  app.synth();
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\nNothing was synthesized.\n`);
  } else if (e instanceof Error && e.message.startsWith("Validation failed")) {
    // A policy violation (lib/policy) or another validation: the lines say what and where; a
    // stack trace would only bury them. cdktf's hint to skip validations is no advice here.
    const lines = e.message.replace(/\n\s*If you wish to ignore these validations[\s\S]*$/, "").trim();
    process.stderr.write(`${lines}\nFix each finding, or write a deliberate exception with its reason into policy_exceptions in config (README.md, "Policy checks").\n`);
  } else {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
  process.exit(1);
});
