/**
 * ecs-shift's options: their shapes, and every check that needs no AWS call. Bad input is exit 2
 * before anything is sent: ARNs of the wrong kind or region, empty values, an endpoint that is
 * not a URL, durations and percents out of range. Then the load balancer selection: from the
 * stack outputs (--env) or explicit ARNs.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { OUTPUTS } from "../outputs";
import { EXIT, REQUEST_TIMEOUT_MS, ShiftError, type Target } from "./aws";
import type { LockFlags } from "./lock";
import type { Selection } from "./shift";
import { weightsFor, WeightError, type Colour, type Weights } from "./weights";

export interface Common {
  env?: string;
  outputsFile?: string;
  ruleArn?: string;
  listenerArn?: string;
  testListenerArn?: string;
  alarm: string[];
  region?: string;
  endpointUrl?: string;
  json?: boolean;
  requestTimeout?: string;
  timeout?: string;
}

export interface Writes extends Common, LockFlags {
  dryRun?: boolean;
  force?: boolean;
  restoreTimeout?: string;
}

export interface ShiftArgs extends Writes {
  to: string;
  percent?: string;
  steps?: string;
  strategy?: string;
  bake?: string;
  finalBake?: string;
  poll: string;
  smoke?: string;
  baseUrl?: string;
}

/** The default of --poll: a bake sees an alarm within this (plus one poll's round trips). */
export const DEFAULT_POLL = "5s";
/** The default of --restore-timeout: how long a restore keeps trying through throttling, 5xx and timeouts. */
export const DEFAULT_RESTORE_TIMEOUT = "3m";
/** The default of --timeout: the reads and gates before the first write must finish within this. */
export const DEFAULT_TIMEOUT = "2m";

/** A WeightError (or any input problem) as exit 2. */
export function inputErr<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WeightError) throw new ShiftError(e.message, EXIT.input);
    throw e;
  }
}

export function colourArg(v: string, flag: string): Colour {
  if (v !== "blue" && v !== "green") throw new ShiftError(`${flag} must be blue or green, got ${JSON.stringify(v)}`, EXIT.input);
  return v;
}

export function percentWeights(to: Colour, percent: string): Weights {
  try {
    return weightsFor(to, /^\d+$/.test(percent) ? Number(percent) : NaN);
  } catch (e) {
    throw new ShiftError((e as WeightError).message.replace("NaN", JSON.stringify(percent)), EXIT.input);
  }
}

/** A duration flag in milliseconds (exit 2 when it is not one, or below `minMs`). */
export function durationArg(text: string, flag: string, minMs = 0): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseDuration } = require("./schedule") as typeof import("./schedule");
  const ms = inputErr(() => parseDuration(text, flag));
  if (ms < minMs) throw new ShiftError(`${flag} must be at least ${minMs}ms, got ${JSON.stringify(text)}`, EXIT.input);
  return ms;
}

export interface Bounds {
  readonly requestTimeoutMs: number;
  /** The reads and gates before the first write must end within this. */
  readonly timeoutMs: number;
}

export function boundsOf(o: Common): Bounds {
  return {
    requestTimeoutMs: o.requestTimeout === undefined ? REQUEST_TIMEOUT_MS : durationArg(o.requestTimeout, "--request-timeout", 100),
    timeoutMs: durationArg(o.timeout ?? DEFAULT_TIMEOUT, "--timeout", 1000),
  };
}

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

export interface Resolved {
  readonly sel: Selection;
  readonly region?: string;
  /** The stack outputs, with --env. */
  readonly outputs?: Record<string, unknown>;
  /** The selection flags, as a command line fragment for the commands printed in messages. */
  readonly args: string;
}

const ARN_RE = (kind: string) => new RegExp(`^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\\d{12}:${kind}/\\S+$`);

/** Checks an ELBv2 ARN flag: not empty, the right kind, the region of --region (exit 2). Returns its region. */
function checkArn(flag: string, arn: string, kind: "listener" | "listener-rule", region: string | undefined): string {
  if (arn.trim() === "") throw new ShiftError(`${flag} is empty: give the ${kind === "listener" ? "listener" : "rule"} ARN (arn:aws:elasticloadbalancing:<region>:<account>:${kind}/app/...)`, EXIT.input);
  const m = ARN_RE(kind).exec(arn);
  if (!m) {
    const other = kind === "listener" && /:listener-rule\//.test(arn) ? " (that is a listener rule's ARN; give the test listener's ARN, the test_listener_arn output)" : kind === "listener-rule" && /:listener\//.test(arn) ? " (that is a listener's ARN: use --listener-arn)" : "";
    throw new ShiftError(`${flag} ${arn} is not an ELBv2 ${kind} ARN${other}`, EXIT.input);
  }
  if (region && m[1] !== region) throw new ShiftError(`${flag} ${arn} is in region ${m[1]}, but --region is ${region}: give the ARN of ${region}, or drop --region`, EXIT.input);
  return m[1];
}

/** Checks the flags every command shares, before any call (exit 2). */
export function checkCommon(o: Common): void {
  if (o.endpointUrl !== undefined) {
    let ok = false;
    try {
      const u = new URL(o.endpointUrl);
      ok = (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
      ok = false;
    }
    if (!ok) throw new ShiftError(`--endpoint-url must be a URL such as http://localhost:4566 or https://elasticloadbalancing.eu-west-1.amazonaws.com, got ${JSON.stringify(o.endpointUrl)}`, EXIT.input);
  }
  for (const a of o.alarm) if (a.trim() === "") throw new ShiftError('--alarm "" is empty: give an alarm name, or leave --alarm out', EXIT.input);
  if (o.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(o.region)) throw new ShiftError(`--region must be an AWS region such as eu-west-1, got ${JSON.stringify(o.region)}`, EXIT.input);
}

/** The selection flags as they would be typed again (for messages). */
function selectionArgs(o: Common): string {
  const q = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`);
  const parts: string[] = [];
  if (o.env) parts.push("--env", q(o.env));
  if (o.outputsFile) parts.push("--outputs-file", q(o.outputsFile));
  if (o.ruleArn) parts.push("--rule-arn", q(o.ruleArn));
  if (o.listenerArn) parts.push("--listener-arn", q(o.listenerArn));
  if (o.testListenerArn) parts.push("--test-listener-arn", q(o.testListenerArn));
  if (o.region) parts.push("--region", q(o.region));
  if (o.endpointUrl) parts.push("--endpoint-url", q(o.endpointUrl));
  return parts.join(" ");
}

/** Which load balancer, its test listener, alarms and Terraform lock: every check here is before any call. */
export function selection(o: Common, lockFlags?: LockFlags): Resolved {
  checkCommon(o);
  const given = [o.env, o.ruleArn, o.listenerArn].filter((v) => v !== undefined).length;
  if (given !== 1) throw new ShiftError("choose the load balancer with exactly one of --env, --rule-arn or --listener-arn", EXIT.input);
  const alarms: Record<Colour, string[]> = { blue: [...o.alarm], green: [...o.alarm] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lockOf = (output: unknown, region: string | undefined) => (lockFlags ? (require("./lock") as typeof import("./lock")).lockLocation(output, lockFlags, region) : undefined);
  const args = selectionArgs(o);
  if (o.env !== undefined) {
    if (o.env.trim() === "") throw new ShiftError("--env is empty: give the environment's name (dev, prod)", EXIT.input);
    const out = readOutputs(o.env, o.outputsFile);
    const names = (k: string) => (Array.isArray(out[k]) ? (out[k] as string[]) : []);
    const region = o.region ?? (out[OUTPUTS.region] as string | undefined);
    const ruleArn = String(out[OUTPUTS.weightedRuleArn]);
    checkArn(`the ${OUTPUTS.weightedRuleArn} output`, ruleArn, "listener-rule", region);
    const testListenerArn = o.testListenerArn ?? (out[OUTPUTS.testListenerArn] as string | undefined);
    if (testListenerArn !== undefined) checkArn(o.testListenerArn !== undefined ? "--test-listener-arn" : `the ${OUTPUTS.testListenerArn} output`, testListenerArn, "listener", region);
    return {
      sel: {
        target: { kind: "rule", arn: ruleArn },
        testListenerArn,
        alarms: { blue: [...names(OUTPUTS.blueAlarmNames), ...o.alarm], green: [...names(OUTPUTS.greenAlarmNames), ...o.alarm] },
        lock: lockOf(out[OUTPUTS.stateBackend], region),
        targetGroupArns: [out[OUTPUTS.blueTargetGroupArn], out[OUTPUTS.greenTargetGroupArn]].filter((a): a is string => typeof a === "string" && a.length > 0),
      },
      region,
      outputs: out,
      args,
    };
  }
  const arn = (o.ruleArn ?? o.listenerArn)!;
  const kind = o.ruleArn !== undefined ? "listener-rule" : "listener";
  const arnRegion = checkArn(o.ruleArn !== undefined ? "--rule-arn" : "--listener-arn", arn, kind, o.region);
  if (o.testListenerArn !== undefined) {
    checkArn("--test-listener-arn", o.testListenerArn, "listener", o.region ?? arnRegion);
    if (o.testListenerArn === o.listenerArn) throw new ShiftError(`--test-listener-arn is the same listener as --listener-arn (${arn}): the test listener is a different listener that forwards to the idle colour`, EXIT.input);
  }
  const target: Target = o.ruleArn !== undefined ? { kind: "rule", arn } : { kind: "listener", arn };
  const region = o.region ?? arnRegion;
  const flagsGiven = lockFlags && [lockFlags.stateBucket, lockFlags.stateKey, lockFlags.lockTable].some((v) => v !== undefined);
  const lock = lockFlags && !flagsGiven ? { kind: "unknown" as const, reason: "selected by ARN: pass --state-bucket and --state-key (and --lock-table) to check the Terraform lock" } : lockOf(undefined, region);
  return { sel: { target, testListenerArn: o.testListenerArn, alarms, lock }, region, args };
}
