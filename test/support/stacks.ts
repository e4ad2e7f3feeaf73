import { Testing } from "cdktf";
import * as path from "node:path";
import { parseEnvironmentConfig } from "../../lib/config";
import type { EnvironmentConfig } from "../../lib/config/types";
import * as fs from "node:fs";
import { ServiceStack } from "../../stacks/service-stack";

/** The real config/<env>.tfvars, optionally edited; the edit must change the text. */
export async function configOf(env: string, edit?: (text: string) => string): Promise<EnvironmentConfig> {
  const file = path.resolve("config", `${env}.tfvars`);
  const text = fs.readFileSync(file, "utf8");
  const edited = edit ? edit(text) : text;
  if (edit && edited === text) throw new Error(`test setup: the edit changed nothing in ${file}`);
  return parseEnvironmentConfig(file, edited);
}

/** Replaces the one line matching `pattern` (which must match exactly once). */
export function replaceLine(pattern: RegExp, line: string): (text: string) => string {
  return (text) => {
    const lines = text.split("\n");
    const hits = lines.filter((l) => pattern.test(l));
    if (hits.length !== 1) throw new Error(`test setup: ${pattern} matches ${hits.length} lines`);
    return lines.map((l) => (pattern.test(l) ? line : l)).join("\n");
  };
}

/** Synthesizes one ServiceStack in-process (no CLI) and returns its JSON. */
export function synthStack(config: EnvironmentConfig): string {
  const app = Testing.app();
  const stack = new ServiceStack(app, config.environment, { config });
  return Testing.synth(stack);
}
