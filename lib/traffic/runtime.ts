/**
 * What a running ecs-shift command needs from the process: signals, the clock, and an abort
 * signal for AWS calls. SIGINT/SIGTERM/SIGHUP are remembered (never fatal while a command runs),
 * wake a bake at once, and abort calls in flight only while nothing has been written yet; once
 * the first write goes out, calls finish (each bounded by its request timeout) so the engine
 * can restore. The command's deadline (--timeout) aborts the reads before the first write.
 */
import type { Runtime } from "./engine";

export interface ProcessRuntime extends Runtime {
  /** Aborts AWS calls: signals and the deadline before the first write. */
  readonly signal: AbortSignal;
  /** Why calls were aborted, if they were. */
  aborted(): string | undefined;
  dispose(): void;
}

export function processRuntime(emit: Runtime["emit"], warn: (line: string) => void, timeoutMs: number): ProcessRuntime {
  let received: string | undefined;
  let wake: (() => void) | undefined;
  let writing = false;
  let abortReason: string | undefined;
  const controller = new AbortController();
  const abort = (why: string) => {
    if (writing || controller.signal.aborted) return;
    abortReason = why;
    controller.abort(new Error(why));
  };
  const deadline = setTimeout(() => abort(`no answer within --timeout ${Math.round(timeoutMs / 1000)}s before the first write`), timeoutMs);
  deadline.unref();
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const handler = (sig: NodeJS.Signals) => {
    if (!received) {
      received = sig;
      warn(`ecs-shift: ${sig} received: stopping${writing ? " (a restore follows if any weight moved)" : "; nothing has been written"}`);
      if (!writing) abort(`interrupted by ${sig}`);
    } else {
      warn(`ecs-shift: ${sig} received again: still stopping, please wait (the pre-shift weights are being put back if anything moved)`);
    }
    wake?.();
  };
  for (const s of signals) process.on(s, handler);
  return {
    emit,
    warn,
    signal: controller.signal,
    aborted: () => abortReason,
    interrupted: () => received,
    now: () => performance.now(),
    writing: () => {
      writing = true;
      clearTimeout(deadline);
    },
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (received || ms <= 0) return resolve();
        const done = () => {
          clearTimeout(t);
          wake = undefined;
          resolve();
        };
        const t = setTimeout(done, ms);
        wake = done;
      }),
    pause: (ms) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))),
    dispose: () => {
      clearTimeout(deadline);
      for (const s of signals) process.off(s, handler);
    },
  };
}
