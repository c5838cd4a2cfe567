import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeApi } from '../kube/api.js';
import type { Backoff } from '../kube/backoff.js';
import { isNotFound } from '../kube/errors.js';
import type { ResilientWatchOptions } from '../kube/list-watch.js';
import { type Discovery, gvrKey, type ResourceInfo } from '../kube/resources.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import { every, type Periodic } from '../runtime/periodic.js';
import { type QueueEvents, type ReconcileResult, WorkQueue } from '../runtime/queue.js';
import { SuppressionCounter } from './counters.js';
import type { FeedDeps } from './feed.js';
import { FeedRegistry } from './feeds.js';
import { NamespaceLabelCache, NamespaceLabelsOnDemand } from './namespaces.js';
import {
  type Condition,
  conditionsFor,
  type DetectionState,
  flushPatch,
  patchDetectionStatus,
  statusUnchanged,
} from './status.js';
import { statusExtras } from './status-extras.js';
import type { DetectionStore, StoredDetection } from './store.js';
import { activeSince, newSince, toRfc3339 } from './watermark.js';

/** Settings of the detection controller. */
export interface DetectionControllerOptions {
  watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>;
  backoff: Backoff;
  /** Overlap subtracted from a persisted watermark (clock skew between API servers). */
  watermarkOverlapMs: number;
  /** How often advanced watermarks are written to detection status. */
  watermarkFlushMs: number;
  /** How long start-up waits for every detection to be reconciled before feeds start listing. */
  initialSettleMs: number;
  /** Queue hooks (metrics: depth, terminal errors). */
  queueEvents?: QueueEvents;
}

/** What the detection controller needs. */
export interface DetectionControllerDeps {
  /** The compiled detections: the controller reports and runs (as feeds) what the store decided. */
  store: DetectionStore;
  client: KubeApi;
  discovery: Discovery;
  clock: Clock;
  log: Logger;
  feedDeps: Omit<FeedDeps, 'client' | 'log' | 'watch' | 'suppressed'>;
  onDetectionChanged?(name: string): void;
  /** An exception of the detection suppressed a new object (for the metric). */
  onSuppressed?(name: string): void;
  onStates?(counts: Record<'ready' | 'stalled' | 'disabled', number>): void;
}

/**
 * Reconciles AuditDetections, as the detection store compiled them, into resource feeds and
 * status: each compiled object detection subscribes to one shared feed per resource it names; a
 * detection the store found invalid is marked Stalled with its reason and never affects the
 * others; traffic and action detections are reported as their pipelines run them (ADR 0022).
 * Runs on the leader only. Also persists each detection's watermark.
 */
export class DetectionController {
  readonly #opts: DetectionControllerOptions;
  readonly #deps: DetectionControllerDeps;
  readonly #log: Logger;
  readonly #store: DetectionStore;
  readonly #feeds: FeedRegistry;
  readonly #states = new Map<string, DetectionState['kind']>();
  readonly #suppressed = new SuppressionCounter();
  readonly #namespaces: NamespaceLabelsOnDemand;
  readonly #queue: WorkQueue<undefined>;
  /**
   * Each detection's persisted watermark as this process first read it. Only that one bounds what
   * is new: within a process the feeds see every change, so a watermark this process wrote later
   * must not turn an object still on its way (slow admission, a held-back watch) into an old one.
   */
  readonly #startWatermarks = new Map<string, string | undefined>();
  /**
   * The API server's answers to this controller's own status writes. The leader is the only writer
   * of detection status, so its last answer is the newest status even before the watch delivers
   * it; kept here, not in the watch-fed store, and used only for the same uid and generation.
   */
  readonly #written = new Map<string, AuditDetection>();
  /** The status write in progress per detection, so writes of one detection never overlap. */
  readonly #statusWrites = new Map<string, Promise<void>>();
  #flush: Periodic | undefined;
  #unsubscribe: (() => void) | undefined;
  #started = false;

  constructor(opts: DetectionControllerOptions, deps: DetectionControllerDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#log = deps.log.child({ controller: 'detections' });
    this.#store = deps.store;
    const nowMs = () => deps.clock.now().getTime();
    this.#feeds = new FeedRegistry({
      feedDeps: {
        ...deps.feedDeps,
        client: deps.client,
        suppressed: (name, exception) => {
          this.#suppressed.add(name, exception, nowMs());
          deps.onSuppressed?.(name);
        },
      },
      watch: opts.watch,
      log: deps.log,
      onResubscribed: (name) => deps.onDetectionChanged?.(name),
    });
    this.#namespaces = new NamespaceLabelsOnDemand(
      () => new NamespaceLabelCache(deps.client, opts.watch, deps.log.child({ controller: 'namespaces' })),
      this.#log,
    );
    this.#queue = new WorkQueue(
      { name: 'detections', concurrency: 1, backoff: opts.backoff, events: opts.queueEvents },
      (k) => this.#reconcile(k),
      this.#log,
    );
  }

  /** The AuditDetection of that name as last observed. */
  detection(name: string): AuditDetection | undefined {
    return this.#store.detection(name);
  }

  /** True when detections are listed and every feed has completed its first list. */
  get ready(): boolean {
    return this.#started && this.#store.synced && this.#feeds.synced && this.#namespaces.synced;
  }

  /** Follows the store (every detection it holds is reconciled), flushes watermarks. */
  start(): void {
    this.#started = true;
    this.#unsubscribe = this.#store.onChange((name) => this.#queue.add(name, undefined));
    for (const name of this.#store.names()) this.#queue.add(name, undefined);
    void this.#releaseFeedsWhenSettled();
    this.#flush = every(
      this.#opts.watermarkFlushMs,
      () => this.flushWatermarks(),
      this.#log,
      'watermark flush',
    );
  }

  /** Resolves when no detection is queued or being reconciled (tests). */
  async idle(): Promise<void> {
    await this.#queue.idle();
  }

  /** Stops everything, writing the watermarks one last time. */
  async stop(): Promise<void> {
    await this.#flush?.stop();
    this.#unsubscribe?.();
    await this.#queue.shutdown();
    await this.#feeds.stopAll();
    await this.#namespaces.release(false);
    await this.flushWatermarks();
  }

  /**
   * Writes each detection's advanced watermark, suppressions counted since the last flush (in total
   * and per exception) and expired exceptions, one patch per detection (errors logged, retried).
   */
  async flushWatermarks(): Promise<void> {
    for (const name of this.#store.names()) {
      await this.#serialized(name, async () => {
        const watched = this.#store.detection(name);
        const d = watched && this.#latest(watched);
        if (!d || this.#states.get(name) !== 'ready') return;
        const delta = this.#suppressed.pending(name);
        const byException = this.#suppressed.pendingByException(name);
        const patch = {
          ...flushPatch(d.status, this.#feeds.lowWater(d), delta),
          ...this.#extras(d, (d.status?.conditions ?? []) as Condition[], byException),
        };
        if (Object.keys(patch).length === 0) return;
        try {
          this.#written.set(name, await patchDetectionStatus(this.#deps.client, name, patch));
          this.#suppressed.settle(name, delta, byException);
        } catch (err: unknown) {
          this.#log.warn('Detection status not persisted', { detection: name, ...patch, err });
        }
      });
    }
  }

  /**
   * Runs one status computation and write of a detection after the previous one ended: a flush and
   * a reconcile computing from the same status and landing in the other order would write back
   * counters the other had just raised, and answers arriving out of order would leave an older
   * status as the newest this controller knows.
   */
  async #serialized<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#statusWrites.get(name) ?? Promise.resolve();
    const run = previous.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#statusWrites.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.#statusWrites.get(name) === tail) this.#statusWrites.delete(name);
    }
  }

  async #releaseFeedsWhenSettled(): Promise<void> {
    if (this.#feeds.released) return;
    await this.#store.whenSynced();
    await Promise.race([this.#queue.idle(), new Promise((r) => setTimeout(r, this.#opts.initialSettleMs))]);
    this.#feeds.release();
    this.#log.info('Detections reconciled, feeds started');
  }

  async #reconcile(name: string): Promise<ReconcileResult> {
    const entry = this.#store.get(name);
    if (!entry) {
      this.#feeds.unsubscribe(name);
      void this.#namespaces.release(this.#feeds.usesNamespaceSelector());
      this.#suppressed.forget(name);
      this.#startWatermarks.delete(name);
      this.#written.delete(name);
      this.#setState(name, undefined);
      this.#log.info('Detection removed', { detection: name });
      return undefined;
    }
    const { state, retry } = await this.#converge(entry);
    // Not running: its status loses activeSince and watermark, and a restart reads them afresh.
    if (state.kind !== 'ready') this.#startWatermarks.delete(name);
    void this.#namespaces.release(this.#feeds.usesNamespaceSelector());
    this.#setState(name, state.kind);
    await this.#writeStatus(entry.source, state);
    return retry ? { requeueAfterMs: 30_000 } : undefined;
  }

  /** Runs what the store compiled: feeds for an object detection; nothing to start for the others. */
  async #converge({ name, source: d, verdict: v }: StoredDetection): Promise<{
    state: DetectionState;
    retry?: boolean;
  }> {
    if (v.kind !== 'compiled' || v.pipeline !== 'objects') this.#feeds.unsubscribe(name);
    if (v.kind === 'disabled') return { state: { kind: 'disabled' } };
    if (v.kind === 'stalled') return { state: v };
    const since = activeSince(d, this.#deps.clock);
    const ready = { kind: 'ready' as const, activeSince: toRfc3339(since.getTime()) };
    const { detection: compiled } = v;
    // Traffic detections read access logs (src/traffic), action detections the webhooks
    // (src/actions): spec.resources is informative, nothing is watched or resolved.
    if (v.pipeline !== 'objects')
      return {
        state: {
          ...ready,
          verb: v.pipeline === 'traffic' ? 'Reading access logs for' : 'Matching requests to',
          resources: compiled.resources.map(gvrKey),
          warnings: compiled.warnings,
        },
      };
    let infos: ResourceInfo[];
    try {
      infos = await Promise.all(compiled.resources.map((r) => this.#deps.discovery.resolve(r)));
      // The referring resource of match.referencedBy is only listed at alert time: check it now.
      const referring = compiled.referencedBy?.resource;
      if (referring) await this.#deps.discovery.resolve(referring);
    } catch (err: unknown) {
      this.#feeds.unsubscribe(name);
      const message = err instanceof Error ? err.message : String(err);
      return { state: { kind: 'stalled', reason: 'ResourceNotServed', message }, retry: true };
    }
    if (!this.#startWatermarks.has(name)) this.#startWatermarks.set(name, d.status?.watermark);
    const sinceMs = newSince(since, this.#startWatermarks.get(name), this.#opts.watermarkOverlapMs);
    this.#feeds.subscribe(compiled, infos, sinceMs, {
      namespaceLabels: this.#namespaces.labelsFor(compiled),
    });
    return { state: { ...ready, resources: infos.map(gvrKey), warnings: compiled.warnings } };
  }

  /** Budget and expiry conditions and exception counters that differ from `base` (status-extras.ts). */
  #extras(d: AuditDetection, base: Condition[], pending = new Map()): Record<string, unknown> {
    return statusExtras(d, base, pending, this.#store.overruns, this.#deps.clock.now());
  }

  #setState(name: string, kind: DetectionState['kind'] | undefined): void {
    if (kind) this.#states.set(name, kind);
    else this.#states.delete(name);
    const counts = { ready: 0, stalled: 0, disabled: 0 };
    for (const k of this.#states.values()) counts[k]++;
    this.#deps.onStates?.(counts);
  }

  /** The detection with the newest status: the watched one, or this controller's last write of it. */
  #latest(d: AuditDetection): AuditDetection {
    const w = this.#written.get(d.metadata?.name ?? '');
    const same = w?.metadata?.uid === d.metadata?.uid && w?.metadata?.generation === d.metadata?.generation;
    return w && same ? { ...d, status: w.status } : d;
  }

  async #writeStatus(watched: AuditDetection, state: DetectionState): Promise<void> {
    const name = watched.metadata?.name as string;
    await this.#serialized(name, async () => {
      const d = this.#latest(watched);
      const generation = d.metadata?.generation ?? 0;
      const prev = (d.status?.conditions ?? []) as Condition[];
      const base = conditionsFor(state, generation, prev, this.#deps.clock.now());
      const extras = state.kind === 'ready' ? this.#extras(d, base) : {};
      const conditions = (extras.conditions as Condition[] | undefined) ?? base;
      const activeSince = state.kind === 'ready' ? state.activeSince : undefined;
      const next = { ...extras, observedGeneration: generation, conditions, activeSince };
      if (statusUnchanged(d.status, next) && Object.keys(extras).length === 0) return;
      if (state.kind === 'stalled')
        this.#log.warn('Detection stalled', { detection: name, message: state.message });
      const patch = {
        ...next,
        activeSince: activeSince ?? null,
        ...(activeSince ? {} : { watermark: null }),
      };
      try {
        this.#written.set(name, await patchDetectionStatus(this.#deps.client, name, patch));
      } catch (err: unknown) {
        if (isNotFound(err)) return; // deleted meanwhile; the DELETED event reconciles it
        throw new Error(`updating status of AuditDetection ${name}`, { cause: err });
      }
    });
  }
}
