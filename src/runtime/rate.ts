import { sleep } from '../kube/backoff.js';

/**
 * A token bucket: `take` resolves when a token is available, at most `burst` at once and
 * `perSecond` on average. Used to keep best-effort writes (Kubernetes Events) from competing with
 * alert writes for the API server during a burst.
 */
export class TokenBucket {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, burst: number, now: () => number = Date.now) {
    if (!(perSecond > 0) || !(burst >= 1))
      throw new Error('a token bucket needs perSecond > 0 and burst >= 1');
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#at = now();
  }

  /** Takes a token now if one is there; otherwise says how many ms until one is. */
  tryTake(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#perSecond);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.#perSecond) * 1000);
  }

  /** Waits for a token; resolves early (without one) when `signal` aborts. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const waitMs = this.tryTake();
      if (waitMs === 0 || signal?.aborted) return;
      await sleep(waitMs, signal);
    }
  }
}
