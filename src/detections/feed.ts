import type { KubeObject } from '../api/kube-object.js';
import type { KubeClient } from '../kube/client.js';
import {
  type ObservedType,
  ResilientWatch,
  type ResilientWatchOptions,
  type WatchEvents,
} from '../kube/list-watch.js';
import { apiVersionOf, collectionPath, gvrKey, type ResourceInfo } from '../kube/resources.js';
import type { Logger } from '../observability/logger.js';
import { decideCreated, type Subscription, wantsCreatedAlert } from './match.js';
import { creationMs } from './watermark.js';

/** Work handed from a feed to the alert queue: the newest observed state of one object. */
export interface ObjectWork {
  feedKey: string;
  obj: KubeObject;
  /** The newest observation is the object's deletion. */
  deleted: boolean;
}

/** What a feed needs from its owner. */
export interface FeedDeps {
  client: KubeClient;
  log: Logger;
  watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>;
  watchEvents?: (resource: string) => WatchEvents;
  /** Hands a key and the object's newest state to the alert queue. */
  enqueue(key: string, work: ObjectWork): void;
  /** True when an alert for this detection and object was raised recently (saves a 409). */
  recentlyRaised(detection: string, uid: string): boolean;
  /** The subject of an existing alert was deleted. */
  subjectDeleted?(detection: string, uid: string): void;
  /** An exception of the detection suppressed a new object (reported once per object). */
  suppressed?(detection: string): void;
}

/** Suppressed (detection, object) pairs remembered so relists and updates do not count them again. */
const SUPPRESSED_MEMORY = 10_000;

/**
 * One list+watch per resource, shared by every detection that names the resource. It decides per
 * object, without I/O, whether any subscribed detection wants it, and forgets everything else.
 *
 * It also keeps the low-water mark behind the persisted watermark: the earliest creation time
 * still waiting for an alert, or the latest creation time seen when nothing waits.
 */
export class ResourceFeed {
  readonly key: string;
  readonly info: ResourceInfo;
  readonly subscriptions = new Map<string, Subscription>();
  readonly #deps: FeedDeps;
  readonly #watch: ResilientWatch;
  readonly #pending = new Map<string, number>();
  readonly #suppressedSeen = new Set<string>();
  #maxSeen = Number.NEGATIVE_INFINITY;
  #started = false;

  constructor(info: ResourceInfo, deps: FeedDeps) {
    this.key = gvrKey(info);
    this.info = info;
    this.#deps = deps;
    const opts: ResilientWatchOptions = {
      ...deps.watch,
      path: collectionPath(info),
      apiVersion: apiVersionOf(info),
      kind: info.kind,
      events: deps.watchEvents?.(this.key),
    };
    this.#watch = new ResilientWatch(
      deps.client,
      opts,
      { onObject: (t, o) => this.#observe(t, o) },
      deps.log,
    );
  }

  /** True once the first full list has been seen. */
  get synced(): boolean {
    return this.#watch.synced;
  }

  /** Starts listing and watching. */
  start(): void {
    this.#started = true;
    this.#watch.start();
  }

  /**
   * Hands every existing object to the subscriptions again; needed when a detection subscribes to
   * (or changes on) a feed that already listed, so objects new for it are not missed.
   */
  resync(): void {
    if (this.#started) this.#watch.requestRelist();
  }

  /** Stops the watch. */
  async stop(): Promise<void> {
    await this.#watch.stop();
  }

  /** Earliest creation time (ms) that may still lack its alert; undefined until synced. */
  lowWater(): number | undefined {
    if (!this.synced) return undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const t of this.#pending.values()) if (t < min) min = t;
    if (min !== Number.POSITIVE_INFINITY) return min;
    return Number.isFinite(this.#maxSeen) ? this.#maxSeen : undefined;
  }

  /** Called when every alert for the object exists: it no longer holds the low-water mark back. */
  done(uid: string): void {
    this.#pending.delete(uid);
  }

  #observe(type: ObservedType, obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    const created = creationMs(obj);
    if (!uid || created === undefined) return;
    if (type !== 'DELETED' && created > this.#maxSeen) this.#maxSeen = created;
    if (type === 'DELETED') this.#reportDeleted(obj, uid);
    if (!this.#wanted(obj, uid)) return;
    if (!this.#pending.has(uid)) this.#pending.set(uid, created);
    this.#deps.enqueue(`${this.key}|${uid}`, { feedKey: this.key, obj, deleted: type === 'DELETED' });
  }

  /** Deleted subjects whose alert is known to exist; the others go through the queue (raise first). */
  #reportDeleted(obj: KubeObject, uid: string): void {
    for (const sub of this.subscriptions.values()) {
      const d = sub.detection.name;
      if (wantsCreatedAlert(sub, obj) && this.#deps.recentlyRaised(d, uid))
        this.#deps.subjectDeleted?.(d, uid);
    }
  }

  /** True when some detection may raise for the object; counts suppressions on the way. */
  #wanted(obj: KubeObject, uid: string): boolean {
    let wanted = false;
    for (const sub of this.subscriptions.values()) {
      const d = sub.detection;
      const decision = decideCreated(sub, obj);
      if (decision === 'suppressed') this.#countSuppressed(d.name, `${d.uid}/${d.name}/${uid}`);
      else if (decision === 'pending') wanted = true;
      else if (decision === 'alert' && !this.#deps.recentlyRaised(d.name, uid)) wanted = true;
    }
    return wanted;
  }

  #countSuppressed(detection: string, key: string): void {
    if (this.#suppressedSeen.has(key)) return;
    this.#suppressedSeen.add(key);
    if (this.#suppressedSeen.size > SUPPRESSED_MEMORY) {
      const oldest = this.#suppressedSeen.values().next().value;
      if (oldest !== undefined) this.#suppressedSeen.delete(oldest);
    }
    this.#deps.suppressed?.(detection);
  }
}
