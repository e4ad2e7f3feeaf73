/**
 * All-or-nothing synthesis of the project: load every config file, build every stack, run every
 * stack's checks (construct validations and the policy pack), and only when all of them passed
 * write the stacks, into a fresh directory that then replaces the output directory. A failure
 * of any kind leaves the previous output exactly as it was, so `cdktf.out` is always either the
 * last good output or the new complete one, never a mix.
 */
import { App, TerraformStack } from "cdktf";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadProjectConfig, type EnvironmentConfig, type StateConfig } from "./config";
import { applyPolicy } from "./policy";

/** One or more stacks failed their construct checks or the policy pack: every problem of every stack. */
export class SynthError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "SynthError";
  }
}

export interface ProjectStacks {
  /** Adds the state stack to `app`. */
  readonly state: (app: App, config: StateConfig) => TerraformStack;
  /** Adds one environment's stack to `app`. */
  readonly environment: (app: App, config: EnvironmentConfig) => TerraformStack;
}

export interface SynthesizeOptions {
  /** The `config/` directory. */
  readonly configDir: string;
  /** Where the stacks end up (cdktf's `CDKTF_OUTDIR`, `cdktf.out` by default). */
  readonly outdir: string;
  /** How each kind of stack is built. */
  readonly stacks: ProjectStacks;
}

/**
 * Synthesizes every stack of the project into `outdir`, or nothing. Throws a ConfigError for
 * config problems (before any stack is built) and a SynthError with the problems of every
 * stack when construct checks or policy findings fail; in both cases `outdir` is untouched.
 */
export async function synthesizeProject(options: SynthesizeOptions): Promise<string[]> {
  const { environments, state } = await loadProjectConfig(options.configDir);
  const outdir = path.resolve(options.outdir);
  fs.mkdirSync(path.dirname(outdir), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(outdir), `.${path.basename(outdir)}.staging-`));
  try {
    // Validations run below, for every stack at once; the app's own pass would stop at the first.
    const app = new App({ outdir: staging, skipValidation: true });
    const problems: string[] = [];
    const stacks: TerraformStack[] = [];
    const build = (id: string, source: string, make: () => TerraformStack) => {
      try {
        stacks.push(make());
      } catch (e) {
        // A construct check that the config rules did not catch first: still one line, but a bug.
        problems.push(`${id} (${source}): ${e instanceof Error ? e.message : String(e)} (a construct check caught this before the config rules did: please report it as a bug)`);
      }
    };
    if (state) {
      build("state", state.sourceFile, () => {
        const stack = options.stacks.state(app, state);
        applyPolicy(stack, state.policyExceptions, { source: state.sourceFile });
        return stack;
      });
    }
    for (const config of environments) {
      build(config.environment, config.sourceFile, () => {
        const stack = options.stacks.environment(app, config);
        applyPolicy(stack, config.policyExceptions, { source: config.sourceFile });
        return stack;
      });
    }
    for (const stack of stacks) {
      stack.prepareStack();
      for (const node of stack.node.findAll()) {
        for (const message of node.node.validate()) problems.push(`[${node.node.path}] ${message}`);
      }
    }
    if (problems.length > 0) throw new SynthError(problems);
    app.synth();
    moveIntoPlace(staging, outdir);
    return stacks.map((s) => s.node.id);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Replaces `outdir` with `staging`. What tools keep beside a stack's synthesized file (its
 * `.terraform` directory, lock file, plans) moves along into the new stack directory, so the
 * next `cdktf plan` does not initialise again.
 */
export function moveIntoPlace(staging: string, outdir: string): void {
  if (fs.existsSync(outdir)) {
    const oldStacks = path.join(outdir, "stacks");
    const newStacks = path.join(staging, "stacks");
    if (fs.existsSync(oldStacks) && fs.existsSync(newStacks)) {
      for (const stack of fs.readdirSync(oldStacks)) {
        const to = path.join(newStacks, stack);
        if (!fs.existsSync(to)) continue;
        for (const entry of fs.readdirSync(path.join(oldStacks, stack))) {
          if (!fs.existsSync(path.join(to, entry))) fs.renameSync(path.join(oldStacks, stack, entry), path.join(to, entry));
        }
      }
    }
    const old = `${staging}.old`;
    fs.renameSync(outdir, old);
    fs.renameSync(staging, outdir);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(staging, outdir);
  }
}
