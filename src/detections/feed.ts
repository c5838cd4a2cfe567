import type { KubeObject } from '../api/kube-object.js';
import type { KubeApi } from '../kube/api.js';
import {
  type ObservedType,
  ResilientWatch,
  type ResilientWatchOptions,
  type WatchEvents,
  WatchOwner,
} from '../kube/list-watch.js';
import {
  apiVersionOf,
  collectionPath,
  gvrKey,
  isMetadataOnly,
  type ResourceInfo,
} from '../kube/resources.js';
import type { Logger } from '../observability/logger.js';
import {
  changeKeyOf,
  diffStates,
  type FieldChange,
  previousObject,
  SnapshotMemory,
  snapshotOf,
} from '../subjects/changes.js';
import { lastWrite, type Write } from '../subjects/writes.js';
import type { ChangeProfile } from './change-profile.js';
import { decideEventDetail, type Subscription, type WatchEvent, wantsCreatedAlert } from './match.js';
import { creationMs, feedLowWater } from './watermark.js';

/** One update of an object, as a feed saw it. */
export interface ObjectChange {
  /** Distinguishes this change from the object's other changes; part of the alert name. */
  key: string;
  /** Id of the change profile it was computed with: only detections with that profile take it. */
  profile: string;
  /**
   * The previous state, when this process observed it and kept it (CEL's `oldObject`): the fields
   * the profile counts, with the object's identity.
   */
  oldObject?: KubeObject;
  /** The changed fields; absent when the previous version is unknown. */
  diff?: FieldChange[];
  /** Why `diff` is absent. */
  unknownReason?: string;
  /** The newest write to the object in managedFields: who most likely made the change. */
  writer?: Write;
}

/** True when the subscription's detection counts changes as this change was computed. */
export function takesChange(sub: Subscription, change: ObjectChange): boolean {
  return sub.detection.changes.id === change.profile;
}

/**
 * Work handed from a feed to the alert queue: the newest observed state of one object, or (with
 * `change`) one update of it, queued under its own key so later updates do not replace it.
 */
export interface ObjectWork {
  /**
   * The feed that queued it, as the worker may use it: the subscriptions to decide against again
   * (reconcile re-reads), where to count a suppression, and `release` once every alert of the
   * object is decided. A feed stopped meanwhile has no subscriptions left, so the work raises nothing.
   */
  feed: FeedView;
  /**
   * The object as JSON text. A backlog of thousands of objects (a burst, or a catch-up after
   * downtime) holds a few kB of text each instead of parsed trees several times larger; the worker
   * parses it once ({@link objectOf}).
   */
  snapshot: string;
  /** The newest observation is the object's deletion. */
  deleted: boolean;
  /** Set for the work of one update (Updated alerts only). */
  change?: ObjectChange;
}

/** What a work item may do with the feed that queued it (a read-only view plus completion). */
export interface FeedView {
  readonly key: string;
  /** The resource it watches (the alert's subject resource). */
  readonly info: ResourceInfo;
  /** The detections subscribed now. */
  subscriptions(): Iterable<Readonly<Subscription>>;
  /** Counts a suppression the worker decided (once per detection and event). */
  noteSuppressed(sub: Subscription, id: string, exception: number): void;
  /** Every alert of the object exists (or was given up): it no longer holds the low-water mark back. */
  release(uid: string): void;
}

/** The object of a work item. */
export const objectOf = (work: ObjectWork): KubeObject => JSON.parse(work.snapshot) as KubeObject;

/** The identity an alert of an event is remembered under: the uid, plus the change key if any. */
export function eventIdentity(uid: string, changeKey?: string): string {
  return changeKey === undefined ? uid : `${uid}/${changeKey}`;
}

/** The change key of every Deleted alert (one per object). */
export const DELETED_KEY = 'deleted';

/** What a feed needs from its owner. */
export interface FeedDeps {
  client: KubeApi;
  log: Logger;
  watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>;
  watchEvents?: (resource: string) => WatchEvents;
  /** Hands a key and the object's newest state to the alert queue. */
  enqueue(key: string, work: ObjectWork): void;
  /**
   * Undefined while the alert queue takes more work, else a promise that resolves when it does;
   * the feed reads its next list page or watch chunk only then, so a backlog stays bounded however
   * many objects arrive (absent: unbounded).
   */
  admit?: () => Promise<void> | undefined;
  /** True when an alert for this detection and object was raised recently (saves a 409). */
  recentlyRaised(detection: string, uid: string): boolean;
  /** The subject of an existing alert was deleted. */
  subjectDeleted?(detection: string, uid: string): void;
  /** Exception `exception` (its index) of the detection suppressed an object (once per object). */
  suppressed?(detection: string, exception: number): void;
}

/** Suppressed (detection, object) pairs remembered so relists and updates do not count them again. */
const SUPPRESSED_MEMORY = 10_000;
/** Objects whose last snapshot a feed keeps while a detection on it takes Updated events. */
const SNAPSHOT_MEMORY = 10_000;
/** JSON characters of the states one change memory keeps at most (older ones keep only a digest). */
const SNAPSHOT_STATE_CHARS = 4 * 1024 * 1024;
/**
 * Diff note when an update arrives for an object missing from the change memory: the memory is
 * seeded by every list (so also right after a restart), and forgets the least recently seen
 * objects beyond its bound.
 */
const NOT_OBSERVED = `previous version not observed (not in the operator's change memory of ${SNAPSHOT_MEMORY} objects per resource)`;
/** Diff note when the previous version's state was not kept. */
const NOT_KEPT = `previous version not kept (larger than 4,096 characters, or older than the ${SNAPSHOT_STATE_CHARS / 1024 / 1024} MiB of states the change memory keeps per resource); no diff`;

/**
 * One list+watch per resource, shared by every detection that names the resource. It decides per
 * object, without I/O, whether any subscribed detection wants it, and forgets everything else.
 *
 * It also keeps the low-water mark behind the persisted watermark: the earliest creation time
 * still waiting for an alert, or, when nothing waits, the server time the watch has caught up to
 * (docs/adr/0020-watermark-from-watch-progress.md).
 */
export class ResourceFeed extends WatchOwner implements FeedView {
  readonly key: string;
  readonly info: ResourceInfo;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #deps: FeedDeps;
  protected readonly watch: ResilientWatch;
  readonly #pending = new Map<string, number>();
  readonly #suppressedSeen = new Set<string>();
  /** Last snapshot of each object, one memory per change profile in use by an Updated detection. */
  readonly #memories = new Map<string, SnapshotMemory>();
  #started = false;

  constructor(info: ResourceInfo, deps: FeedDeps) {
    super();
    this.key = gvrKey(info);
    this.info = info;
    this.#deps = deps;
    const opts: ResilientWatchOptions = {
      ...deps.watch,
      path: collectionPath(info),
      apiVersion: apiVersionOf(info),
      kind: info.kind,
      events: deps.watchEvents?.(this.key),
      metadataOnly: isMetadataOnly(info),
      ...(deps.admit ? { admit: deps.admit } : {}),
    };
    this.watch = new ResilientWatch(deps.client, opts, { onObject: (t, o) => this.#observe(t, o) }, deps.log);
  }

  /** Starts listing and watching. */
  override start(): void {
    this.#started = true;
    super.start();
  }

  /**
   * Hands every existing object to the subscriptions again; needed when a detection subscribes to
   * (or changes on) a feed that already listed, so objects new for it are not missed.
   */
  resync(): void {
    if (this.#started) this.watch.requestRelist();
  }

  /** Earliest creation time (ms, server clock) that may still lack its alert; undefined until synced. */
  lowWater(): number | undefined {
    return feedLowWater({
      synced: this.synced,
      listing: this.watch.listing,
      pending: this.#pending.values(),
      caughtUpMs: this.watch.caughtUpAt(),
    });
  }

  release(uid: string): void {
    this.#pending.delete(uid);
  }

  subscriptions(): IterableIterator<Readonly<Subscription>> {
    return this.#subscriptions.values();
  }

  /** How many detections are subscribed. */
  get subscribers(): number {
    return this.#subscriptions.size;
  }

  /** The subscription of a detection, if any. */
  subscription(name: string): Readonly<Subscription> | undefined {
    return this.#subscriptions.get(name);
  }

  /** Subscribes (or re-subscribes) a detection; the registry decides when to resync. */
  subscribe(sub: Subscription): void {
    this.#subscriptions.set(sub.detection.name, sub);
  }

  /** Removes a detection; false when it was not subscribed. */
  unsubscribe(name: string): boolean {
    return this.#subscriptions.delete(name);
  }

  #observe(type: ObservedType, obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    const created = creationMs(obj);
    if (!uid || created === undefined) return;
    if (type === 'DELETED') this.#reportDeleted(obj, uid);
    for (const change of this.#track(type, obj, uid)) this.#offerChange(obj, uid, change);
    const isNew = this.#wanted('Created', obj, uid);
    const gone = type === 'DELETED' && this.#wanted('Deleted', obj, uid, DELETED_KEY);
    if (!isNew && !gone) return;
    if (isNew && !this.#pending.has(uid)) this.#pending.set(uid, created);
    const snapshot = JSON.stringify(obj);
    this.#deps.enqueue(`${this.key}|${uid}`, { feed: this, snapshot, deleted: type === 'DELETED' });
  }

  /** Queues one update under its own key, so a later update or status write cannot replace it. */
  #offerChange(obj: KubeObject, uid: string, change: ObjectChange): void {
    if (!this.#wanted('Updated', obj, uid, change.key, change.oldObject, change.profile)) return;
    const work: ObjectWork = { feed: this, snapshot: JSON.stringify(obj), deleted: false, change };
    this.#deps.enqueue(`${this.key}|${uid}|${change.profile}|${change.key}`, work);
  }

  /**
   * Remembers the object's snapshot for each change profile of a detection taking Updated events
   * (and nothing otherwise), and returns the updates this observation is, one per profile whose
   * counted fields changed. Objects seen for the first time (listed or added) only seed the memory.
   */
  #track(type: ObservedType, obj: KubeObject, uid: string): ObjectChange[] {
    const out: ObjectChange[] = [];
    for (const profile of this.#profilesInUse()) {
      const change = this.#trackProfile(profile, type, obj, uid);
      if (change) out.push(change);
    }
    return out;
  }

  /** The change profiles of the detections taking Updated; memories of unused ones are dropped. */
  #profilesInUse(): ChangeProfile[] {
    const used = new Map<string, ChangeProfile>();
    for (const s of this.#subscriptions.values())
      if (s.detection.events.has('Updated')) used.set(s.detection.changes.id, s.detection.changes);
    for (const id of this.#memories.keys()) if (!used.has(id)) this.#memories.delete(id);
    return [...used.values()];
  }

  #trackProfile(
    p: ChangeProfile,
    type: ObservedType,
    obj: KubeObject,
    uid: string,
  ): ObjectChange | undefined {
    let memory = this.#memories.get(p.id);
    if (!memory) {
      memory = new SnapshotMemory(SNAPSHOT_MEMORY, SNAPSHOT_STATE_CHARS);
      this.#memories.set(p.id, memory);
    }
    if (type === 'DELETED') {
      memory.delete(uid);
      return undefined;
    }
    const prev = memory.get(uid);
    const cur = snapshotOf(obj, p.project);
    memory.set(uid, cur);
    if (type === 'ADDED' || (type === 'LISTED' && !prev)) return undefined;
    const key = changeKeyOf(prev, cur);
    if (key === undefined) return undefined;
    const change: ObjectChange = { key, profile: p.id };
    const oldObject = previousObject(prev, obj);
    if (oldObject) change.oldObject = oldObject;
    if (prev?.state && cur.state) change.diff = diffStates(prev.state, cur.state);
    else change.unknownReason = prev ? NOT_KEPT : NOT_OBSERVED;
    const writer = lastWrite(obj);
    if (writer) change.writer = writer;
    return change;
  }

  /** Deleted subjects whose alert is known to exist; the others go through the queue (raise first). */
  #reportDeleted(obj: KubeObject, uid: string): void {
    for (const sub of this.#subscriptions.values()) {
      const d = sub.detection.name;
      if (wantsCreatedAlert(sub, obj) && this.#deps.recentlyRaised(d, uid))
        this.#deps.subjectDeleted?.(d, uid);
    }
  }

  /** True when some detection may raise the event for the object; counts suppressions on the way. */
  #wanted(
    event: WatchEvent,
    obj: KubeObject,
    uid: string,
    changeKey?: string,
    old?: KubeObject,
    profile?: string,
  ): boolean {
    const id = eventIdentity(uid, changeKey);
    let wanted = false;
    for (const sub of this.#subscriptions.values()) {
      const d = sub.detection;
      if (profile !== undefined && d.changes.id !== profile) continue;
      const { decision, exception } = decideEventDetail(sub, event, obj, old);
      if (decision === 'suppressed') this.noteSuppressed(sub, id, exception ?? 0);
      else if (decision === 'pending') wanted = true;
      else if (decision === 'alert' && !this.#deps.recentlyRaised(d.name, id)) wanted = true;
    }
    return wanted;
  }

  /**
   * Counts once that exception `exception` of the subscription's detection suppressed the event
   * `id` (eventIdentity). The watch handler and the raiser both decide; the raiser's decision can
   * differ from the handler's (a users exception whose creator the admission record named only
   * after the watch event arrived), so both report here and the count stays one per event.
   */
  noteSuppressed(sub: Subscription, id: string, exception: number): void {
    const d = sub.detection;
    const key = `${d.uid}/${d.name}/${id}`;
    if (this.#suppressedSeen.has(key)) return;
    this.#suppressedSeen.add(key);
    if (this.#suppressedSeen.size > SUPPRESSED_MEMORY) {
      const oldest = this.#suppressedSeen.values().next().value;
      if (oldest !== undefined) this.#suppressedSeen.delete(oldest);
    }
    this.#deps.suppressed?.(d.name, exception);
  }
}
