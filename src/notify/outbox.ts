import { type Backoff, backoffDelay, sleep } from '../kube/backoff.js';
import type { Logger } from '../observability/logger.js';
import { TokenBucket } from '../runtime/rate.js';

/** Why a notification was given up. */
export type FailureReason = 'rejected' | 'exhausted' | 'queue_full';

/** What an outbox reports to metrics (labelled with its sink by the caller). */
export interface OutboxMetrics {
  sent(n: number): void;
  failed(reason: FailureReason, n: number): void;
  retried(): void;
  /** Items waiting or in flight in this outbox. */
  depth(n: number): void;
}

/**
 * A failed delivery. `retryable` is true for answers that may change (5xx, 429, network errors,
 * timeouts) and false for refusals that will not (other 4xx, a missing secret file).
 */
export class DeliveryError extends Error {
  readonly retryable: boolean;

  constructor(message: string, opts: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'DeliveryError';
    this.retryable = opts.retryable;
  }
}

/** Options of {@link Outbox}. */
export interface OutboxOptions<T> {
  /** The sink, for logs. */
  sink: string;
  /** Most items waiting; a new key beyond it is dropped and counted. */
  capacity: number;
  /** Items handed to one `deliver` call (Alertmanager takes many alerts per POST). */
  batchSize?: number;
  /** Deliveries in flight at once; 1 keeps the order of notifications. */
  concurrency?: number;
  /** Tries per batch before it is given up. */
  maxAttempts: number;
  backoff: Backoff;
  /** Wait this long before taking a batch, so a burst of pushes for one key coalesces. */
  settleMs?: number;
  /** Deliveries started per second at most (shared by all workers); unlimited when absent. */
  rate?: { perSecond: number; burst: number };
  deliver(batch: T[]): Promise<void>;
  metrics: OutboxMetrics;
  log: Logger;
}

/**
 * A bounded, keyed queue in front of one sink, with its own delivery loop.
 *
 * `push` is synchronous and O(1): it never waits for the sink, which is how a slow or failing sink
 * is kept away from alert creation. A key already waiting keeps its place and takes the newer
 * payload (the latest state of an alert wins). Failures are retried with capped exponential backoff
 * when retryable, up to `maxAttempts`; a full queue drops new keys. Everything given up is counted.
 */
export class Outbox<T> {
  readonly #opts: OutboxOptions<T>;
  readonly #items = new Map<string, T>();
  readonly #inFlight = new Set<string>();
  readonly #stop = new AbortController();
  #wakers: (() => void)[] = [];
  #workers: Promise<void>[] = [];
  #dropping = false;
  readonly #bucket: TokenBucket | undefined;

  constructor(opts: OutboxOptions<T>) {
    this.#opts = opts;
    this.#bucket = opts.rate && new TokenBucket(opts.rate.perSecond, opts.rate.burst);
  }

  /** Items waiting or in flight. */
  get depth(): number {
    return this.#items.size + this.#inFlight.size;
  }

  /** Queues an item; false when it was dropped (queue full or stopped). */
  push(key: string, item: T): boolean {
    if (this.#stop.signal.aborted) return false;
    if (!this.#items.has(key) && this.#items.size >= this.#opts.capacity) {
      this.#opts.metrics.failed('queue_full', 1);
      if (!this.#dropping)
        this.#opts.log.warn('Notification queue full, dropping', { sink: this.#opts.sink });
      this.#dropping = true;
      return false;
    }
    this.#dropping = false;
    this.#items.set(key, item);
    this.#opts.metrics.depth(this.depth);
    for (const w of this.#wakers.splice(0)) w();
    return true;
  }

  /** Starts the delivery loop(s). */
  start(): void {
    if (this.#workers.length > 0) return;
    for (let i = 0; i < (this.#opts.concurrency ?? 1); i++) this.#workers.push(this.#work());
  }

  /** Stops delivering: waits for deliveries in flight; what is still queued is dropped. */
  async stop(): Promise<void> {
    this.#stop.abort();
    for (const w of this.#wakers.splice(0)) w();
    await Promise.all(this.#workers);
  }

  async #work(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      if (this.#items.size === 0) {
        await new Promise<void>((r) => this.#wakers.push(r));
        continue;
      }
      if (this.#opts.settleMs) await sleep(this.#opts.settleMs, signal);
      // Waiting here, not dropping: the queue absorbs a burst and is drained at the rate.
      await this.#bucket?.take(signal);
      if (signal.aborted) return;
      const batch = this.#take();
      if (batch.length === 0) {
        // Every waiting key is in flight in another worker: wait for a change.
        await sleep(10, signal);
        continue;
      }
      try {
        await this.#deliver(batch.map(([, v]) => v));
      } finally {
        for (const [k] of batch) this.#inFlight.delete(k);
        this.#opts.metrics.depth(this.depth);
      }
    }
  }

  #take(): [string, T][] {
    const out: [string, T][] = [];
    for (const [k, v] of this.#items) {
      if (out.length >= (this.#opts.batchSize ?? 1)) break;
      if (this.#inFlight.has(k)) continue;
      out.push([k, v]);
    }
    for (const [k] of out) {
      this.#items.delete(k);
      this.#inFlight.add(k);
    }
    return out;
  }

  async #deliver(batch: T[]): Promise<void> {
    const { sink, maxAttempts, metrics, log } = this.#opts;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#opts.deliver(batch);
        metrics.sent(batch.length);
        return;
      } catch (err: unknown) {
        // An error that is not a DeliveryError is unexpected: retrying is the safe side, it is bounded.
        const retryable = !(err instanceof DeliveryError) || err.retryable;
        if (!retryable) {
          metrics.failed('rejected', batch.length);
          log.warn('Notification rejected by sink', { sink, count: batch.length, err });
          return;
        }
        if (this.#stop.signal.aborted) return; // shutting down: what is queued is dropped anyway
        if (attempt >= maxAttempts) {
          metrics.failed('exhausted', batch.length);
          log.warn('Notification given up after retries', { sink, count: batch.length, attempt, err });
          return;
        }
        const delayMs = backoffDelay(this.#opts.backoff, attempt);
        metrics.retried();
        log.warn('Notification failed, retrying', { sink, attempt, delayMs, err });
        await sleep(delayMs, this.#stop.signal);
        if (this.#stop.signal.aborted) return;
      }
    }
  }
}
