/**
 * What several commands share: where output goes, the smoke spec loader, and the test
 * listener's URL.
 */
import * as fs from "node:fs";
import { OUTPUTS } from "../outputs";
import { EXIT, ShiftError, type Elbv2 } from "./aws";
import type { Resolved } from "./args";

export const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  warn: (l: string) => void process.stderr.write(`${l}\n`),
};

/** The smoke spec, parsed (exit 2 naming file:line on a problem). */
export function loadSpec(file: string) {
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
export async function testListenerUrl(aws: Elbv2 | undefined, r: Resolved | undefined, baseUrl: string | undefined): Promise<string> {
  if (baseUrl !== undefined) {
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
