/**
 * Release helpers: `ecs-shift smoke` (the spec's requests through the test listener) and
 * `ecs-shift set-image-tag` (the idle colour's image tag in config/<env>.tfvars).
 */
import * as path from "node:path";
import { Elbv2, EXIT, ShiftError } from "./aws";
import { boundsOf, colourArg, selection, type Common } from "./args";
import { io, loadSpec, testListenerUrl } from "./cmd-common";
import { failed, idleColour } from "./cmd-status";
import { readLive } from "./shift";
import type { Colour } from "./weights";

export async function runSmoke(o: Common & { spec: string; baseUrl?: string }): Promise<number> {
  try {
    const spec = loadSpec(o.spec);
    const selected = [o.env, o.ruleArn, o.listenerArn].some((v) => v !== undefined);
    let colour: Colour | undefined;
    let url: string;
    if (selected) {
      const r = selection(o);
      const aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl, requestTimeoutMs: boundsOf(o).requestTimeoutMs });
      try {
        url = await testListenerUrl(aws, r, o.baseUrl);
        if (r.sel.testListenerArn) colour = (await readLive(aws, r.sel)).testColour;
      } finally {
        aws.destroy();
      }
    } else {
      url = await testListenerUrl(undefined, undefined, o.baseUrl);
    }
    const report = await spec.run(spec.spec, url, colour);
    if (o.json) io.out(`${JSON.stringify({ command: "smoke", ...report })}\n`);
    else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { smokeLines } = require("./report") as typeof import("./report");
      io.out(`${smokeLines(report).join("\n")}\n`);
    }
    if (!report.ok) {
      io.err(`ecs-shift: smoke test failed: ${report.failed} of ${report.results.length} requests via ${report.baseUrl}\n`);
      return EXIT.gate;
    }
    return EXIT.ok;
  } catch (e) {
    return failed("smoke", o, e);
  }
}

export async function runSetImageTag(o: Common & { tag: string; colour?: string; tfvars?: string; dryRun?: boolean }): Promise<number> {
  try {
    const file = o.tfvars ?? (o.env ? path.join("config", `${o.env}.tfvars`) : undefined);
    if (!file) throw new ShiftError("give the tfvars file: --env <name> (config/<name>.tfvars) or --tfvars <file>", EXIT.input);
    let colour: Colour;
    let source: string;
    if (o.colour !== undefined) {
      colour = colourArg(o.colour, "--colour");
      source = "--colour";
    } else {
      if (![o.env, o.ruleArn, o.listenerArn].some((v) => v !== undefined)) throw new ShiftError("give --colour, or --env/--rule-arn so ecs-shift can ask the load balancer which colour is idle", EXIT.input);
      const r = selection(o);
      const aws = new Elbv2({ region: r.region, endpointUrl: o.endpointUrl, requestTimeoutMs: boundsOf(o).requestTimeoutMs });
      try {
        colour = (await idleColour(aws, r)).idle;
      } finally {
        aws.destroy();
      }
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
    if (o.json) io.out(`${JSON.stringify({ command: "set-image-tag", file: r.file, line: r.line, colour, colourFrom: source, before: r.before, after: r.after, changed: r.changed, dryRun: !!o.dryRun })}\n`);
    else io.out(`${r.file}:${r.line}: image_tags.${colour} ${verb} ${JSON.stringify(r.after)}${r.changed ? ` (was ${JSON.stringify(r.before)})` : ""}; colour from ${source}\n`);
    return EXIT.ok;
  } catch (e) {
    return failed("set-image-tag", o, e);
  }
}
