import type { Enricher, EnrichInput, Enrichment } from '../alerts/enrich.js';
import type { AlertActor } from '../api/generated/audit-alert.js';
import type { Clock } from '../runtime/clock.js';
import { ACTOR_SOURCES, type Attribution, type AttributionQuery, correlate } from './correlate.js';
import { coordinatesKey } from './records.js';
import type { AttributionStore, Topic } from './store.js';

/** Hands an alert written without its audit facts to whoever completes it later. */
export interface CompletionTracker {
  track(alert: string, query: AttributionQuery, actor: AlertActor): void;
}

/** Settings of the actor enricher. */
export interface ActorEnricherOptions {
  /** Whether audit events are received at all (only then is there anything to wait for). */
  auditEnabled: boolean;
  /** Longest an alert waits for its audit event before it is written without it. */
  waitMs: number;
  /** Most alerts waiting at once; beyond it alerts are written at once and completed later. */
  maxWaiting: number;
  /** Events older than this are not waited for (their audit events came or will never come). */
  freshMs: number;
}

/**
 * Adds who made the request (admission: user, uid, groups; audit: source IPs, user agent,
 * impersonation) to each alert. Admission records exist before the object does, so there is never
 * a reason to wait for them; audit events come in batches, so a fresh alert waits for its event a
 * bounded time (woken as soon as it arrives), and one still missing it is handed to the completer,
 * which patches `spec.actor` once when it comes. Never throws: what is unknown stays out.
 */
export class ActorEnricher implements Enricher {
  readonly name = 'actor';
  #waiting = 0;

  constructor(
    private readonly store: AttributionStore,
    private readonly completer: CompletionTracker,
    private readonly clock: Clock,
    private readonly opts: ActorEnricherOptions,
  ) {}

  async enrich(input: EnrichInput): Promise<Enrichment | undefined> {
    const now = this.clock.now().getTime();
    const query = queryFor(input, now);
    if (!query) return undefined;
    let found = correlate(this.store, query);
    // A create is dated by the object; an update or delete is happening now.
    const happened = query.event === 'Created' ? (query.createdAt ?? now) : now;
    const fresh = now - happened <= this.opts.freshMs;
    if (this.#missingAudit(found) && fresh && this.#waiting < this.opts.maxWaiting) {
      found = await this.#waitForAudit(query, found);
    }
    const name = input.alert.metadata?.name;
    if (this.#missingAudit(found) && fresh && name) {
      const base = input.alert.spec.actor ?? { source: [] };
      this.completer.track(name, query, withAttribution(base, found));
    }
    if (found.sources.length === 0) return undefined;
    return { actor: { ...found.actor, source: found.sources } };
  }

  #missingAudit(found: Attribution): boolean {
    return this.opts.auditEnabled && !found.sources.includes(ACTOR_SOURCES.audit);
  }

  /** Resolves with the attribution once audit contributed, or with the latest one after waitMs. */
  #waitForAudit(query: AttributionQuery, initial: Attribution): Promise<Attribution> {
    this.#waiting++;
    const topic: Topic = `at:${coordinatesKey(query.coordinates)}`;
    return new Promise<Attribution>((resolve) => {
      let found = initial;
      const finish = (): void => {
        clearTimeout(timer);
        unsubscribe();
        this.#waiting--;
        resolve(found);
      };
      const timer = setTimeout(finish, this.opts.waitMs);
      const unsubscribe = this.store.subscribe((topics) => {
        if (!topics.has(topic)) return;
        found = correlate(this.store, query);
        if (!this.#missingAudit(found)) finish();
      });
    });
  }
}

/** The query for an alert's subject and event; undefined for a subject without uid. */
export function queryFor(input: EnrichInput, now: number): AttributionQuery | undefined {
  const meta = input.subject.metadata;
  if (!meta.uid) return undefined;
  const q: AttributionQuery = {
    event: input.alert.spec.event,
    coordinates: {
      group: input.resource.group,
      resource: input.resource.resource,
      namespace: meta.namespace ?? '',
    },
    name: meta.name ?? '',
    uid: meta.uid,
    detectedAt: now,
  };
  if (meta.generation !== undefined) q.generation = meta.generation;
  const created = Date.parse(meta.creationTimestamp ?? '');
  if (!Number.isNaN(created)) q.createdAt = created;
  return q;
}

/** `base` with the found facts merged in the way enrichAlert merges them. */
function withAttribution(base: AlertActor, found: Attribution): AlertActor {
  const source = [...(base.source ?? [])];
  for (const s of found.sources) if (!source.includes(s)) source.push(s);
  return { ...base, ...found.actor, source };
}
