/**
 * Runs the built `ecs-shift` (dist/lib/traffic/cli.js) under node, as a user would, with local
 * test credentials; the child can be signalled while it runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const CLI = path.resolve(__dirname, "..", "..", "dist", "lib", "traffic", "cli.js");

export const BASE_ENV: Record<string, string | undefined> = {
  PATH: process.env.PATH,
  HOME: os.tmpdir(),
  AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
  AWS_SECRET_ACCESS_KEY: "local-secret",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  ECS_SHIFT_ACTOR: "jest",
};

export interface Run {
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
}

/** Starts the CLI; `done` resolves when it exits; `stderrShows(re)` when its stderr matches `re`. */
export function startCli(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string } = {},
): { child: ChildProcess; done: Promise<Run>; stderrShows(re: RegExp): Promise<void> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...BASE_ENV, ...opts.env }, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString();
    for (const w of waiters.filter((x) => x.re.test(stderr))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const done = new Promise<Run>((resolve) => child.on("close", (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr })));
  const stderrShows = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(stderr)) return resolve();
      waiters.push({ re, resolve });
      void done.then((r) => reject(new Error(`the CLI exited (${r.code}) before its stderr showed ${re}:\n${r.stderr}`)));
    });
  return { child, done, stderrShows };
}

export function cli(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<Run> {
  return startCli(args, opts).done;
}

/** How many times `action` was served after the first `after` call (0 before it). */
export function countAfter(calls: readonly string[], after: string, action: string): number {
  const i = calls.indexOf(after);
  return i < 0 ? 0 : calls.slice(i + 1).filter((c) => c === action).length;
}

/** The `--json` event lines of a progressive run (every stdout line must be JSON). */
export function events(stdout: string): Array<Record<string, any>> {
  return stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
}
