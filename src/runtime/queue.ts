import { type Backoff, backoffDelay } from '../kube/backoff.js';
import { classifyError, TerminalError } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';

export { TerminalError };

/** What a reconcile asks for when it returns normally. */
export type ReconcileResult = { requeueAfterMs?: number } | undefined;

/** Reconciles one key with the latest payload observed for it. */
export type Reconciler<T> = (key: string, payload: T) => Promise<ReconcileResult>;

/** Hooks for metrics. */
export interface QueueEvents {
  depth?(n: number): void;
  retried?(key: string, err: unknown): void;
  /** A reconcile failed in a way retrying cannot fix (kube/errors.ts classifyError); the key was dropped. */
  terminal?(key: string, err: unknown): void;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions<T = unknown> {
  name: string;
  concurrency: number;
  backoff: Backoff;
  events?: QueueEvents;
  /**
   * The memory a payload holds (e.g. the length of its JSON text), summed over the payloads the
   * queue holds, in flight included, as {@link WorkQueue.weight}; absent: every payload weighs 0.
   */
  weigh?: (payload: T) => number;
}

/**
 * A keyed work queue in the manner of client-go's workqueue: a key is never queued twice nor
 * processed twice at once; a key added while it is being processed is processed again afterwards
 * with the newest payload; failures are classified by kube/errors.ts `classifyError`: retried with
 * per-key exponential backoff, dropped as terminal (logged and counted), or done (the object is
 * gone); success forgets them.
 *
 * The payload is the latest observed state of the key, kept only while the key has pending work, so
 * memory follows the backlog rather than the size of the cluster.
 */
export class WorkQueue<T> {
  readonly #opts: WorkQueueOptions<T>;
  readonly #reconcile: Reconciler<T>;
  readonly #log: Logger;
  readonly #ready: string[] = [];
  readonly #pending = new Map<string, T>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Weights of the payloads in flight (a key may also have a newer one pending). */
  readonly #inFlight = new Map<string, number>();
  #active = 0;
  #stopped = false;
  #weight = 0;
  /** Callers of {@link whenBelow} (and {@link idle}, which is `whenBelow(1)`). */
  #waiters: { limit: number; maxWeight: number; resolve: () => void }[] = [];

  constructor(opts: WorkQueueOptions<T>, reconcile: Reconciler<T>, log: Logger) {
    this.#opts = opts;
    this.#reconcile = reconcile;
    this.#log = log;
  }

  /** Keys with work not yet done (queued, waiting for a retry, or in flight). */
  get depth(): number {
    return this.#pending.size + this.#processing.size - this.#countProcessingAlsoPending();
  }

  /** What the payloads held weigh together ({@link WorkQueueOptions.weigh}), in flight included. */
  get weight(): number {
    return this.#weight;
  }

  /** Adds or refreshes a key; its payload is replaced by the newest. */
  add(key: string, payload: T): void {
    if (this.#stopped) return;
    const known = this.#pending.has(key);
    this.#hold(key, payload);
    if (known || this.#processing.has(key)) return;
    if (this.#timers.has(key)) return; // waiting for its backoff; the new payload is used then
    this.#ready.push(key);
    this.#opts.events?.depth?.(this.depth);
    this.#pump();
  }

  /** True when the key has pending or in-flight work. */
  has(key: string): boolean {
    return this.#pending.has(key) || this.#processing.has(key);
  }

  /**
   * Resolves once fewer than `limit` keys have work and their payloads weigh less than `maxWeight`
   * (at once if that is so now, or the queue stopped). Producers await it to hold back a backlog the
   * queue cannot drain as fast as it grows.
   */
  async whenBelow(limit: number, maxWeight = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.#stopped || this.below(limit, maxWeight)) return;
    await new Promise<void>((resolve) => this.#waiters.push({ limit, maxWeight, resolve }));
  }

  /** True when fewer than `limit` keys have work and their payloads weigh less than `maxWeight`. */
  below(limit: number, maxWeight = Number.POSITIVE_INFINITY): boolean {
    return this.depth < limit && this.#weight < maxWeight;
  }

  /** Sets the key's pending payload, keeping {@link weight} in step. */
  #hold(key: string, payload: T): void {
    const weigh = this.#opts.weigh;
    if (weigh) {
      const old = this.#pending.get(key);
      if (old !== undefined) this.#weight -= weigh(old);
      this.#weight += weigh(payload);
    }
    this.#pending.set(key, payload);
  }

  /** Resolves when nothing is queued, waiting or in flight (or the queue stopped). */
  async idle(): Promise<void> {
    await this.whenBelow(1);
  }

  /** Stops taking work, cancels retries and waits for in-flight work to finish. */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#ready.length = 0;
    this.#releaseWaiters();
    while (this.#active > 0) await new Promise((r) => setTimeout(r, 10));
  }

  #countProcessingAlsoPending(): number {
    let n = 0;
    for (const k of this.#processing) if (this.#pending.has(k)) n++;
    return n;
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#opts.concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift() as string;
      if (this.#processing.has(key) || !this.#pending.has(key)) continue;
      const payload = this.#pending.get(key) as T;
      this.#pending.delete(key);
      // Its weight moves from pending to in flight: the total is unchanged.
      this.#inFlight.set(key, this.#opts.weigh?.(payload) ?? 0);
      this.#processing.add(key);
      this.#active++;
      void this.#run(key, payload);
    }
  }

  async #run(key: string, payload: T): Promise<void> {
    let retryAfter: number | undefined;
    try {
      const result = await this.#reconcile(key, payload);
      this.#failures.delete(key);
      retryAfter = result?.requeueAfterMs;
    } catch (err: unknown) {
      retryAfter = this.#onFailure(key, err);
    } finally {
      this.#processing.delete(key);
      this.#weight -= this.#inFlight.get(key) ?? 0;
      this.#inFlight.delete(key);
      this.#active--;
    }
    if (retryAfter !== undefined && !this.#pending.has(key)) this.#hold(key, payload);
    if (retryAfter !== undefined && !this.#stopped) this.#schedule(key, retryAfter);
    else if (this.#pending.has(key)) this.#ready.push(key);
    this.#opts.events?.depth?.(this.depth);
    this.#pump();
    this.#releaseWaiters();
  }

  #releaseWaiters(): void {
    if (this.#waiters.length === 0) return;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (this.#stopped || this.below(w.limit, w.maxWeight)) w.resolve();
      else this.#waiters.push(w);
    }
  }

  /** Classifies the failure (kube/errors.ts classifyError): the retry delay, or undefined when dropped. */
  #onFailure(key: string, err: unknown): number | undefined {
    const kind = classifyError(err);
    if (kind !== 'retry') this.#failures.delete(key);
    if (kind === 'terminal') {
      this.#opts.events?.terminal?.(key, err);
      this.#log.error('Reconcile failed permanently', { queue: this.#opts.name, key, err });
      return undefined;
    }
    if (kind === 'done') {
      this.#log.debug('Reconcile found its object gone', { queue: this.#opts.name, key, err });
      return undefined;
    }
    const attempt = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, attempt);
    this.#opts.events?.retried?.(key, err);
    const delay = backoffDelay(this.#opts.backoff, attempt);
    this.#log.warn('Reconcile failed, retrying', {
      queue: this.#opts.name,
      key,
      attempt,
      delayMs: delay,
      err,
    });
    return delay;
  }

  #schedule(key: string, delayMs: number): void {
    if (!this.#pending.has(key)) return;
    clearTimeout(this.#timers.get(key));
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.#ready.push(key);
        this.#pump();
      }, delayMs),
    );
  }
}
