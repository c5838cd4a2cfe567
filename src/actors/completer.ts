import { ALERTS_PATH, FIELD_MANAGER } from '../api/constants.js';
import type { AlertActor } from '../api/generated/audit-alert.js';
import type { KubeApi } from '../kube/api.js';
import { isNotFound, isRetryable } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import { ACTOR_SOURCES, type AttributionQuery, completion, correlate } from './correlate.js';
import type { CompletionTracker } from './enricher.js';
import { coordinatesKey } from './records.js';
import type { AttributionStore, Topic } from './store.js';

/** Outcomes of a completion, as counted in metrics. */
export type CompletionOutcome = 'patched' | 'refused' | 'failed' | 'expired';

/** What the completer needs. */
export interface CompleterDeps {
  client: Pick<KubeApi, 'request'>;
  store: AttributionStore;
  clock: Clock;
  log: Logger;
  onOutcome?(outcome: CompletionOutcome): void;
}

/** Settings of the completer. */
export interface CompleterOptions {
  /** How long an alert waits for its audit event after it was written. */
  ttlMs: number;
  /** Most alerts waiting at once; the oldest is given up first. */
  maxPending: number;
  /** Delay between attempts while the alert is not written yet (404) or the API server is unavailable. */
  retryMs: number;
  maxAttempts: number;
}

interface Pending {
  query: AttributionQuery;
  actor: AlertActor;
  topic: Topic;
  expires: number;
  busy: boolean;
}

/**
 * Completes `spec.actor` of alerts written before their audit event arrived: one merge patch that
 * only adds facts (the CRD allows nothing else), at most once per alert. Bounded: pending alerts
 * expire after a TTL and the oldest is dropped when the table is full.
 */
export class ActorCompleter implements CompletionTracker {
  readonly #pending = new Map<string, Pending>();
  readonly #byTopic = new Map<Topic, Set<string>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #unsubscribe: () => void;

  constructor(
    private readonly deps: CompleterDeps,
    private readonly opts: CompleterOptions,
  ) {
    this.#unsubscribe = deps.store.subscribe((topics) => this.#onRecords(topics));
  }

  /** Alerts waiting for completion. */
  get pending(): number {
    return this.#pending.size;
  }

  track(alert: string, query: AttributionQuery, actor: AlertActor): void {
    if (this.#abort.signal.aborted) return;
    this.#sweep();
    while (this.#pending.size >= this.opts.maxPending)
      this.#drop(this.#pending.keys().next().value as string, 'expired');
    this.#drop(alert);
    const topic: Topic = `at:${coordinatesKey(query.coordinates)}`;
    const expires = this.deps.clock.now().getTime() + this.opts.ttlMs;
    this.#pending.set(alert, { query, actor, topic, expires, busy: false });
    const names = this.#byTopic.get(topic) ?? new Set<string>();
    names.add(alert);
    this.#byTopic.set(topic, names);
  }

  /** Stops listening, gives up pending alerts and waits for patches in flight. */
  async stop(): Promise<void> {
    this.#unsubscribe();
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight]);
    this.#pending.clear();
    this.#byTopic.clear();
  }

  #onRecords(topics: ReadonlySet<Topic>): void {
    this.#sweep();
    for (const topic of topics) {
      for (const name of this.#byTopic.get(topic) ?? []) {
        const p = this.#pending.get(name);
        if (!p || p.busy) continue;
        const next = completion(p.actor, correlate(this.deps.store, p.query));
        if (!next?.source?.includes(ACTOR_SOURCES.audit)) continue;
        p.busy = true;
        const run = this.#complete(name, next).finally(() => this.#inFlight.delete(run));
        this.#inFlight.add(run);
      }
    }
  }

  async #complete(name: string, actor: AlertActor): Promise<void> {
    const log = this.deps.log.child({ alert: name });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.client.request('PATCH', `${ALERTS_PATH}/${encodeURIComponent(name)}`, {
          query: { fieldManager: FIELD_MANAGER },
          body: { spec: { actor } },
          contentType: 'application/merge-patch+json',
        });
        log.info('Completed AuditAlert actor', { sources: actor.source });
        return this.#drop(name, 'patched');
      } catch (err: unknown) {
        // 404: the alert is about to be written (the enricher runs just before the write).
        const again = (isNotFound(err) || isRetryable(err)) && attempt < this.opts.maxAttempts;
        if (again && (await this.#sleep())) continue;
        if (this.#abort.signal.aborted) return;
        const refused = (err as { status?: number }).status === 422;
        log.warn('Could not complete AuditAlert actor', { attempt, err });
        return this.#drop(name, refused ? 'refused' : 'failed');
      }
    }
  }

  /** Resolves true after retryMs, false at once when stopped. */
  #sleep(): Promise<boolean> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, this.opts.retryMs);
      const onAbort = (): void => {
        clearTimeout(t);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Drops expired entries; the table is in tracking order, which is expiry order. */
  #sweep(): void {
    const now = this.deps.clock.now().getTime();
    for (const [name, p] of this.#pending) {
      if (p.expires > now) break;
      if (!p.busy) this.#drop(name, 'expired');
    }
  }

  #drop(name: string, outcome?: CompletionOutcome): void {
    const p = this.#pending.get(name);
    if (!p) return;
    this.#pending.delete(name);
    const names = this.#byTopic.get(p.topic);
    names?.delete(name);
    if (names?.size === 0) this.#byTopic.delete(p.topic);
    if (outcome) this.deps.onOutcome?.(outcome);
  }
}
