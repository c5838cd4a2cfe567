/**
 * The storage of the fake API server (fake-cluster.ts; docs/adr/0023), as etcd behind the real one:
 * objects by resource, namespace and name; one monotonic resourceVersion counter; the history of
 * changes a watch replays, until compacted; uids and timestamps.
 */
import type { KubeObject } from '../../../src/api/kube-object.js';
import { type FakeResource, keyOf, type Obj, qualified, sortKey } from './fake-cluster-model.js';
import { matchesFields, matchesLabels } from './fake-cluster-ops.js';

/** One change, as the history keeps it and watches deliver it. */
export interface StoredEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  res: FakeResource;
  object: KubeObject;
}

/** Objects and their history; every change is handed to `onEvent` (the open watches). */
export class ObjectStore {
  readonly #objects = new Map<string, Obj>();
  readonly #log: StoredEvent[] = [];
  readonly #now: () => Date;
  readonly #onEvent: (e: StoredEvent) => void;
  #rv = 100;
  #compacted = 0;
  #uid = 0;

  constructor(now: () => Date, onEvent: (e: StoredEvent) => void) {
    this.#now = now;
    this.#onEvent = onEvent;
  }

  /** The last resourceVersion handed out. */
  get rv(): number {
    return this.#rv;
  }

  /** The resourceVersion the history starts after: older ones are 410 Expired. */
  get compacted(): number {
    return this.#compacted;
  }

  /** The stored object itself (not a copy), or undefined. */
  find(res: FakeResource, namespace: string | undefined, name: string): Obj | undefined {
    return this.#objects.get(keyOf(res, namespace, name));
  }

  /** Stores `obj` under a new resourceVersion and tells the watches. */
  save(res: FakeResource, obj: Obj, type: 'ADDED' | 'MODIFIED'): void {
    obj.metadata.resourceVersion = this.#nextRv();
    this.#objects.set(keyOf(res, obj.metadata.namespace, obj.metadata.name as string), obj);
    this.#emit(type, res, obj);
  }

  /** Removes `obj`; its last state, under a new resourceVersion, goes to the watches and is returned. */
  delete(res: FakeResource, obj: Obj): Obj {
    this.#objects.delete(keyOf(res, obj.metadata.namespace, obj.metadata.name as string));
    const gone = { ...obj, metadata: { ...obj.metadata, resourceVersion: this.#nextRv() } };
    this.#emit('DELETED', res, gone);
    return gone;
  }

  /** The objects of a resource (in a namespace, or all), filtered by label and field selectors, in name order. */
  matching(res: FakeResource, namespace: string | undefined, query: Record<string, string>): Obj[] {
    const prefix = `${qualified(res)}|${namespace ?? ''}`;
    return [...this.#objects.entries()]
      .filter(([k]) =>
        namespace === undefined ? k.startsWith(`${qualified(res)}|`) : k.startsWith(`${prefix}|`),
      )
      .map(([, o]) => o)
      .filter((o) => !query.labelSelector || matchesLabels(o.metadata.labels, query.labelSelector))
      .filter((o) => !query.fieldSelector || matchesFields(o, query.fieldSelector))
      .sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : 1));
  }

  /** The changes after `rv`, oldest first (all still kept: check {@link compacted} first). */
  since(rv: number): StoredEvent[] {
    return this.#log.filter((e) => e.rv > rv);
  }

  /** Forgets the history up to now. */
  compact(): void {
    this.#compacted = this.#rv;
    this.#log.length = 0;
  }

  newUid(): string {
    this.#uid++;
    return `00000000-0000-4000-8000-${String(this.#uid).padStart(12, '0')}`;
  }

  /** A uid not handed out yet would be this one's successor: what generateName appends. */
  get nextSuffix(): number {
    return this.#uid + 1;
  }

  /** Now, as the API server writes timestamps (RFC 3339, seconds). */
  timestamp(): string {
    return this.#now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  #nextRv(): string {
    this.#rv++;
    return String(this.#rv);
  }

  #emit(type: StoredEvent['type'], res: FakeResource, obj: KubeObject): void {
    const e: StoredEvent = { rv: this.#rv, type, res, object: structuredClone(obj) };
    this.#log.push(e);
    this.#onEvent(e);
  }
}
