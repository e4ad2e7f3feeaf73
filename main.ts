/**
 * The cdktf app: one ServiceStack per `config/<env>.tfvars` (stack id = env name), and the
 * state stack (`state`) when `config/state.hcl` exists.
 * Only composes. A config error prints every problem and exits non-zero before anything is
 * synthesized.
 */
import { App } from "cdktf";
import * as path from "node:path";
import { ConfigError, loadProjectConfig } from "./lib/config";
import { ServiceStack } from "./stacks/service-stack";
import { STATE_STACK_ID, StateBackendStack } from "./stacks/state-backend-stack";

async function main(): Promise<void> {
  // cdktf runs the app from the project root, as do `npm run plan` and the tests.
  const { environments, state } = await loadProjectConfig(path.resolve("config"));
  const app = new App();
  if (state) new StateBackendStack(app, STATE_STACK_ID, { config: state });
  for (const config of environments) new ServiceStack(app, config.environment, { config });
  app.synth();
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\nNothing was synthesized.\n`);
  } else {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
  process.exit(1);
});
