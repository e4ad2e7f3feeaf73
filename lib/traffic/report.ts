/**
 * How `ecs-shift` shows a progressive shift: one JSON event per line (`--json`), or text; on a
 * terminal the bake's progress line is redrawn in place, elsewhere (CI logs) one line per poll.
 */
import type { Outcome, ProgressEvent } from "./progressive";
import { formatDuration } from "./schedule";
import type { SmokeReport } from "./smoke";
import type { Weights } from "./weights";

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
    case "rollback":
      return [`ROLLBACK at step ${e.step}: ${e.reason}`];
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
  end(o: Outcome | { outcome: "refused" | "error"; exitCode: number; message: string }): void;
}

/** `--json`: one JSON object per line on stdout; the last one is `{"event":"end", ...}`. */
export function jsonReporter(write: (s: string) => void): Reporter {
  return {
    event: (e) => write(`${JSON.stringify(e)}\n`),
    end: (o) => write(`${JSON.stringify({ event: "end", ...o })}\n`),
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
