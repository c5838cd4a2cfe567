/** Exponential backoff with full jitter, capped. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry number `attempt` (1-based): a random value in [d/2, d], d = min(max, base·2^(attempt-1)). */
export function backoffDelay(b: Backoff, attempt: number, random: () => number = Math.random): number {
  const d = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(d / 2 + (random() * d) / 2);
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
