import type { Clock } from '../runtime/clock.js';
import {
  type AdmissionRecord,
  type AuditRecord,
  type Coordinates,
  coordinatesKey,
  type StatusChange,
} from './records.js';

/** Limits of the attribution store: memory stays flat however busy the API server is. */
export interface StoreLimits {
  /** Most keys per index (object uids, audit coordinates, alert names); the least recently written go first. */
  maxEntries: number;
  /** Records older than this are forgotten. */
  ttlMs: number;
}

/** Most records kept under one key (a busy Deployment is updated often; a create happens once). */
const PER_KEY = 16;

interface Entry<V> {
  touched: number;
  values: Array<{ at: number; value: V }>;
}

/**
 * Which value of a full list to drop for a new one: the oldest, unless it is pinned (the first
 * value `pinned` accepts, e.g. an object's CREATE), which is never displaced by later ones.
 */
export function evictionIndex<V>(values: readonly V[], pinned?: (v: V) => boolean): number {
  if (!pinned) return 0;
  const first = values.findIndex(pinned);
  return first === 0 ? 1 : 0;
}

/** A map of short lists with LRU eviction by key and a TTL per value. Insertion order is recency order. */
class BoundedIndex<V> {
  readonly #map = new Map<string, Entry<V>>();

  constructor(
    private readonly limits: StoreLimits,
    private readonly clock: Clock,
    /** A value of this kind is kept over later ones when a key's list is full (the first only). */
    private readonly pinned?: (v: V) => boolean,
  ) {}

  add(key: string, value: V): void {
    const now = this.clock.now().getTime();
    const entry = this.#map.get(key) ?? { touched: now, values: [] };
    this.#map.delete(key);
    entry.touched = now;
    entry.values.push({ at: now, value });
    if (entry.values.length > PER_KEY) {
      const pinned = this.pinned;
      entry.values.splice(evictionIndex(entry.values, pinned && ((v) => pinned(v.value))), 1);
    }
    this.#map.set(key, entry);
    this.#evict(now);
  }

  /** True when some value under `key` satisfies `test` (expired ones included). */
  has(key: string, test: (v: V) => boolean): boolean {
    return this.#map.get(key)?.values.some((v) => test(v.value)) ?? false;
  }

  get(key: string): V[] {
    const entry = this.#map.get(key);
    if (!entry) return [];
    const oldest = this.clock.now().getTime() - this.limits.ttlMs;
    return entry.values.filter((v) => v.at > oldest).map((v) => v.value);
  }

  get size(): number {
    return this.#map.size;
  }

  #evict(now: number): void {
    while (this.#map.size > this.limits.maxEntries) this.#map.delete(this.#map.keys().next().value as string);
    for (const [key, entry] of this.#map) {
      if (entry.touched > now - this.limits.ttlMs) break; // the rest is newer
      this.#map.delete(key);
    }
  }
}

const isCreate = (r: AdmissionRecord): boolean => r.operation === 'CREATE';

/** Topic of a store change: an object uid (admission) or `group/resource/namespace` (audit). */
export type Topic = `uid:${string}` | `at:${string}`;

/** Called with the topics that received records. */
export type StoreListener = (topics: ReadonlySet<Topic>) => void;

/**
 * Who made which request, as the admission and audit webhooks report it: identity and coordinates
 * only, never objects. Bounded (LRU by key, TTL by record) with an injected clock; listeners learn
 * of new records so a waiting enricher or a pending completion can act at once.
 */
export class AttributionStore {
  readonly #objects: BoundedIndex<AdmissionRecord>;
  readonly #status: BoundedIndex<StatusChange>;
  readonly #audit: BoundedIndex<AuditRecord>;
  readonly #listeners = new Set<StoreListener>();

  constructor(limits: StoreLimits, clock: Clock) {
    this.#objects = new BoundedIndex(limits, clock, isCreate);
    this.#status = new BoundedIndex(limits, clock);
    this.#audit = new BoundedIndex(limits, clock);
  }

  /** Keys held per index, for tests and metrics. */
  get sizes(): { objects: number; status: number; audit: number } {
    return { objects: this.#objects.size, status: this.#status.size, audit: this.#audit.size };
  }

  /**
   * Keeps a write of an object. The first CREATE of a uid is its creator: a uid is created once,
   * so a second CREATE is dropped, and later writes never push the creator out of the list.
   */
  recordAdmission(r: AdmissionRecord): void {
    if (isCreate(r) && this.#objects.has(r.objectUid, isCreate)) return;
    this.#objects.add(r.objectUid, r);
    this.#notify(new Set<Topic>([`uid:${r.objectUid}`]));
  }

  recordStatusChange(c: StatusChange): void {
    this.#status.add(c.alert, c);
  }

  recordAudit(records: readonly AuditRecord[]): void {
    const topics = new Set<Topic>();
    for (const r of records) {
      const at = coordinatesKey(r.coordinates);
      this.#audit.add(`${at}/${r.name}`, r);
      topics.add(`at:${at}`);
    }
    if (topics.size > 0) this.#notify(topics);
  }

  /** Admission records of one object, oldest first. */
  admission(objectUid: string): AdmissionRecord[] {
    return this.#objects.get(objectUid);
  }

  /** State changes of one AuditAlert, oldest first. */
  statusChanges(alert: string): StatusChange[] {
    return this.#status.get(alert);
  }

  /** Audit records of one object by name ('' for creates whose name the server generated), oldest first. */
  audit(c: Coordinates, name: string): AuditRecord[] {
    return this.#audit.get(`${coordinatesKey(c)}/${name}`);
  }

  /** Registers a listener; returns its removal. */
  subscribe(fn: StoreListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #notify(topics: ReadonlySet<Topic>): void {
    for (const fn of this.#listeners) fn(topics);
  }
}
