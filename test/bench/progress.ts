/** Progress lines on stderr, stamped with the time since the benchmark started, so it never looks hung. */
import { performance } from 'node:perf_hooks';

const started = performance.now();

/** Prints one progress line: `[mm:ss] message`. */
export function progress(message: string): void {
  const s = Math.floor((performance.now() - started) / 1000);
  const stamp = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  process.stderr.write(`[${stamp}] ${message}\n`);
}

/**
 * Calls `report` every `everyMs` until the returned stop function is called; for long phases
 * (filling a cluster, waiting for alerts) whose own loop should not care about printing.
 */
export function every(everyMs: number, report: () => void): () => void {
  const timer = setInterval(report, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Milliseconds since `t0` (a performance.now() value), as seconds with one decimal, for messages. */
export const secondsSince = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(1);
