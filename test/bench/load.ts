/**
 * The two load shapes: a closed loop with a fixed number of requests in flight (burst, filling a
 * cluster) and an open loop that fires on a timer schedule whether or not earlier requests returned
 * (latency at a given rate, so a slow answer cannot slow the offered load down).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** One unit of work; `i` is its index in 0..count-1. */
export type Task = (i: number) => Promise<void>;

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight and resolves when all are done. The
 * first failure stops new tasks from starting and is rethrown after the ones in flight end.
 */
export async function closedLoop(count: number, concurrency: number, task: Task): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (err: unknown) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure) throw failure.err;
}

/** How well the open loop kept its schedule. */
export interface ScheduleReport {
  /** Milliseconds from the first to the last send. */
  spanMs: number;
  /** Sends per second actually achieved. */
  achievedRate: number;
  /** Lateness of each send against its scheduled time, in ms. */
  lagsMs: number[];
}

/**
 * Starts `task(i)` at `t0 + i / rate` seconds (a timer schedule, not waiting for earlier tasks) and
 * resolves when every task has settled. Tasks must handle their own errors (a rejection is a bug in
 * the benchmark and is rethrown at the end).
 */
export async function openLoop(count: number, ratePerSecond: number, task: Task): Promise<ScheduleReport> {
  const interval = 1000 / ratePerSecond;
  const running: Promise<void>[] = [];
  const lagsMs: number[] = [];
  const t0 = performance.now();
  let last = t0;
  for (let i = 0; i < count; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    last = performance.now();
    lagsMs.push(Math.max(0, last - due));
    running.push(task(i));
  }
  await Promise.all(running);
  const spanMs = last - t0;
  return { spanMs, achievedRate: spanMs > 0 ? ((count - 1) * 1000) / spanMs : Number.NaN, lagsMs };
}

/**
 * Polls `done` every `pollMs` until it returns true or `timeoutMs` passes; resolves with whether it
 * became true. A benchmark reports what did not happen instead of failing on it.
 */
export async function until(done: () => boolean, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await sleep(pollMs);
  }
  return true;
}
