/**
 * Everything ecs-shift prints: `status`, a plain shift or revert (one document), a progressive
 * shift (one JSON event per line with `--json`, or text; on a terminal the bake's progress line is
 * redrawn in place, elsewhere one line per poll), and failures (stderr, and with `--json` one
 * document: `error`, `exitCode`, `liveWeights` or null). Nothing here prints `undefined` or `NaN`.
 */
import type { Outcome, ProgressEvent } from "./engine";
import { formatDuration } from "./schedule";
import type { Status } from "./shift";
import type { SmokeReport } from "./smoke";
import type { Weights } from "./weights";

export function statusLines(s: Status): string[] {
  const lines = [
    `live:          ${s.live}${s.live === "none" ? " (both weights are 0: the rule serves nothing)" : ""}`,
    `weights:       blue ${s.weights.blue} / green ${s.weights.green}`,
    ...(s.testListener ? [`test listener: ${s.testListener}`] : []),
    `health:        blue ${s.health.blue.healthy}/${s.health.blue.registered} healthy, green ${s.health.green.healthy}/${s.health.green.registered} healthy`,
    s.previous
      ? `previous:      blue ${s.previous.weights.blue} / green ${s.previous.weights.green} (test listener ${s.previous.testListener}), shifted ${s.previous.at} by ${s.previous.by}`
      : "previous:      none recorded",
    `last shift:    ${s.lastShift}`,
  ];
  if (s.lease && s.lease.id !== s.journal?.id) lines.push(`lease:         held by run ${s.lease.id} (${s.lease.by}), heartbeat ${s.lease.ageSeconds === null ? "unreadable" : `${s.lease.ageSeconds}s ago`}`);
  if (s.next) lines.push(`${s.interrupted ? "to restore:   " : "next:         "} ${s.next}`);
  return lines;
}

/** A plain shift or a revert, as one text block. */
export function shiftLines(o: Outcome, kind: "shift" | "revert"): string[] {
  const verb = o.dryRun ? `would ${kind}` : o.changed ? (kind === "revert" ? "reverted" : "shifted") : "nothing to change";
  const lines = [`${verb}: blue ${o.before.blue} / green ${o.before.green} -> blue ${o.after.blue} / green ${o.after.green}`];
  if (o.outcome === "nothing-to-change" && kind === "revert") lines.push(o.message);
  if (o.testListener) lines.push(`test listener: ${o.testListener.before ?? "unknown"} -> ${o.testListener.after ?? "unknown"}`);
  for (const g of o.gates) lines.push(`gate passed: ${g}`);
  if (o.lock) lines.push(o.lock.checked.length ? `lock: ${o.lock.checked.join(", ")}: ${o.lock.held.length ? o.lock.held.join("; ") : "not held"}` : `lock: not checked: ${o.lock.note ?? "no lock location"}`);
  if (o.journal) lines.push(`journal: ${o.journal.id} ${o.journal.state}`);
  return lines;
}

/** The one JSON document of a failing command. */
export function failureDoc(command: string, error: string, exitCode: number, liveWeights: Weights | null | undefined, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ command, error, exitCode, liveWeights: liveWeights ?? null, ...extra });
}

const w = (x: Weights) => `blue ${x.blue} / green ${x.green}`;

export function smokeLines(r: SmokeReport): string[] {
  const lines = r.results.map((x) =>
    x.ok
      ? `smoke PASS ${x.name}: ${x.method} ${x.path} -> ${x.status} in ${x.latencyMs} ms`
      : `smoke FAIL ${x.name}: ${x.method} ${x.path}${x.status !== undefined ? ` -> ${x.status} in ${x.latencyMs} ms` : ""}: ${x.failures.join("; ")}`,
  );
  lines.push(`smoke: ${r.passed}/${r.results.length} passed via ${r.baseUrl}${r.colour ? ` (test listener -> ${r.colour})` : ""}`);
  return lines;
}

export function eventLines(e: ProgressEvent): string[] {
  switch (e.event) {
    case "start": {
      const to = e.to;
      const steps = e.steps.map((s) => `${s[to]}%`).join(" -> ");
      const bake = e.bakeSeconds > 0 && e.steps.length > 1 ? `; bake ${formatDuration(e.bakeSeconds * 1000)} after each step` : "";
      const fin = e.finalBakeSeconds > 0 ? `; watch ${formatDuration(e.finalBakeSeconds * 1000)} after the last` : "";
      const poll = bake || fin ? `; polls every ${formatDuration(e.pollSeconds * 1000)}` : "";
      return [`${e.dryRun ? "dry run: " : ""}shift ${e.target} to ${to}: now ${w(e.before)}; steps ${steps || "none"}${bake}${fin}${poll}`];
    }
    case "lock":
      if (e.checked.length === 0) return [`lock: not checked: ${e.note ?? "no lock location"}`];
      return [`lock: ${e.checked.join(", ")}: ${e.held.length ? e.held.join("; ") : "not held"}${e.forced ? " (overridden with --force)" : ""}`];
    case "gates":
      return [...e.passed.map((g) => `gate passed: ${g}`), ...e.forced.map((g) => `gate FORCED: ${g}`)];
    case "smoke":
      return smokeLines(e);
    case "step":
      return [`step ${e.step}/${e.of}: ${w(e.weights)} written and verified${e.bakeSeconds > 0 ? `; baking ${formatDuration(e.bakeSeconds * 1000)}` : ""}`];
    case "poll": {
      if (e.error) return [`  step ${e.step}/${e.of}: poll failed: ${e.error}`];
      const alarms = Object.entries(e.alarms).map(([n, s]) => `${n} ${s}`);
      if (e.missingAlarms.length) alarms.push(`${e.missingAlarms.length} not found`);
      return [
        // Targets before alarms: on a narrow terminal the line is cut at the end.
        `  step ${e.step}/${e.of}: ${e.weights ? w(e.weights) : "weights unreadable"}; ${formatDuration(e.secondsLeft * 1000)} left; targets ${e.health.healthy}/${e.health.registered} healthy; alarms: ${alarms.join(", ") || "none"}`,
      ];
    }
    case "journal":
      return [`journal: ${e.id} ${e.state} (pre-shift weights recorded on the rule)`];
    case "rollback":
      return [`ROLLBACK at step ${e.step}: ${e.reason}`];
    case "restore-retry":
      return [`  restore attempt ${e.attempt} failed (${e.error}); retrying, ${formatDuration(e.secondsLeft * 1000)} left`];
    case "restored":
      return [`restored: ${w(e.weights)} (verified)`];
    case "stopped":
      return [`STOPPED: ${e.reason}; live weights ${e.weights ? w(e.weights) : "unreadable"}`];
    case "test-listener":
      return [`test listener: ${e.before ?? "unknown"} -> ${e.after}`];
  }
}

export interface Reporter {
  event(e: ProgressEvent): void;
  end(o: Outcome | { outcome: "refused" | "error"; exitCode: number; message: string; error?: string; liveWeights?: Weights | null }): void;
}

/** `--json`: one JSON object per line on stdout; the last one is `{"event":"end", ...}`. */
export function jsonReporter(write: (s: string) => void): Reporter {
  return {
    event: (e) => write(`${JSON.stringify(e)}\n`),
    end: (o) =>
      write(`${JSON.stringify({ event: "end", ...o, ...(o.exitCode !== 0 ? { error: o.message, liveWeights: "live" in o ? o.live : (o.liveWeights ?? null) } : {}) })}\n`),
  };
}

/** Text on stdout; failures' final message on stderr. On a terminal the poll line is redrawn in place. */
export function textReporter(write: (s: string) => void, writeErr: (s: string) => void, tty: boolean, columns: () => number = () => 80): Reporter {
  let pending = false;
  const flush = () => {
    if (pending) write("\n");
    pending = false;
  };
  return {
    event: (e) => {
      if (e.event === "poll" && tty) {
        // Cut to the terminal's width: a wrapped line cannot be redrawn in place.
        write(`\r\x1b[K${eventLines(e).join(" ").slice(0, Math.max(20, columns() - 1))}`);
        pending = true;
        return;
      }
      flush();
      for (const l of eventLines(e)) write(`${l}\n`);
    },
    end: (o) => {
      flush();
      if (o.exitCode === 0) write(`${o.message}\n`);
      else writeErr(`ecs-shift: ${o.message}\n`);
    },
  };
}
