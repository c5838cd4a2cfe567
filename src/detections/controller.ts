import { API_VERSION, RESOURCES } from '../api/constants.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeApi } from '../kube/api.js';
import { isNotFound } from '../kube/errors.js';
import { ResilientWatch, type ResilientWatchOptions } from '../kube/list-watch.js';
import { type Discovery, gvrKey, type ResourceInfo } from '../kube/resources.js';
import type { Logger } from '../observability/logger.js';
import type { Backoff } from '../runtime/backoff.js';
import type { Clock } from '../runtime/clock.js';
import { every, type Periodic } from '../runtime/periodic.js';
import { type ReconcileResult, WorkQueue } from '../runtime/queue.js';
import { compileTraffic } from '../traffic/settings.js';
import { BudgetOverruns } from './budget-status.js';
import { loadCel } from './cel.js';
import { type ActorLookup, isActionDetection, TRAFFIC_EVENT } from './compile.js';
import { DetectionCompiler } from './compiler.js';
import { SuppressionCounter } from './counters.js';
import type { FeedDeps, ResourceFeed } from './feed.js';
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
}

/** What the detection controller needs. */
export interface DetectionControllerDeps {
  client: KubeApi;
  discovery: Discovery;
  clock: Clock;
  log: Logger;
  feedDeps: Omit<FeedDeps, 'client' | 'log' | 'watch' | 'suppressed'>;
  onDetectionChanged?(name: string): void;
  /** An exception of the detection suppressed a new object (for the metric). */
  onSuppressed?(name: string): void;
  onStates?(counts: Record<'ready' | 'stalled' | 'disabled', number>): void;
  /** The creator of an object as the admission webhook saw it; absent without attribution. */
  actorOf?: ActorLookup;
}

/**
 * Reconciles AuditDetections into resource feeds: each enabled, valid detection subscribes to one
 * shared feed per resource it names; a detection that cannot run is marked Stalled with the reason
 * and never affects the others. Also persists each detection's watermark.
 */
export class DetectionController {
  readonly #opts: DetectionControllerOptions;
  readonly #deps: DetectionControllerDeps;
  readonly #log: Logger;
  readonly #store = new Map<string, AuditDetection>();
  readonly #feeds: FeedRegistry;
  readonly #states = new Map<string, DetectionState['kind']>();
  readonly #compiler: DetectionCompiler;
  readonly #overruns = new BudgetOverruns();
  readonly #suppressed = new SuppressionCounter();
  readonly #namespaces: NamespaceLabelsOnDemand;
  readonly #watch: ResilientWatch;
  readonly #queue: WorkQueue<undefined>;
  #flush: Periodic | undefined;

  constructor(opts: DetectionControllerOptions, deps: DetectionControllerDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#log = deps.log.child({ controller: 'detections' });
    const nowMs = () => deps.clock.now().getTime();
    this.#compiler = new DetectionCompiler(this.#log, deps.actorOf, this.#overruns.listener(nowMs), nowMs);
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
      { name: 'detections', concurrency: 1, backoff: opts.backoff },
      (k) => this.#reconcile(k),
      this.#log,
    );
    this.#watch = new ResilientWatch(
      deps.client,
      {
        ...opts.watch,
        path: `/apis/${API_VERSION}/${RESOURCES.detections}`,
        apiVersion: API_VERSION,
        kind: 'AuditDetection',
      },
      {
        onObject: (type, obj) => {
          const d = obj as unknown as AuditDetection;
          const name = d.metadata?.name as string;
          if (type === 'DELETED') this.#store.delete(name);
          else this.#store.set(name, d);
          this.#queue.add(name, undefined);
        },
        onSynced: () => void this.#releaseFeedsWhenSettled(),
      },
      this.#log,
    );
  }

  /** The AuditDetection of that name as last observed. */
  detection(name: string): AuditDetection | undefined {
    return this.#store.get(name);
  }

  /** The feed for a resource key, if any detection uses it. */
  feed(key: string): ResourceFeed | undefined {
    return this.#feeds.get(key);
  }

  /** True when detections are listed and every feed has completed its first list. */
  get ready(): boolean {
    return this.#watch.synced && this.#feeds.synced && this.#namespaces.synced;
  }

  /** Starts watching detections and flushing watermarks. */
  start(): void {
    this.#watch.start();
    this.#flush = every(
      this.#opts.watermarkFlushMs,
      () => this.flushWatermarks(),
      this.#log,
      'watermark flush',
    );
  }

  /** Stops everything, writing the watermarks one last time. */
  async stop(): Promise<void> {
    await this.#flush?.stop();
    await this.#watch.stop();
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
    for (const [name, d] of this.#store) {
      if (this.#states.get(name) !== 'ready') continue;
      const delta = this.#suppressed.pending(name);
      const byException = this.#suppressed.pendingByException(name);
      const patch = {
        ...flushPatch(d.status, this.#feeds.lowWater(d), delta),
        ...this.#extras(d, (d.status?.conditions ?? []) as Condition[], byException),
      };
      if (Object.keys(patch).length === 0) continue;
      try {
        this.#store.set(name, await patchDetectionStatus(this.#deps.client, name, patch));
        this.#suppressed.settle(name, delta, byException);
      } catch (err: unknown) {
        this.#log.warn('Detection status not persisted', { detection: name, ...patch, err });
      }
    }
  }

  async #releaseFeedsWhenSettled(): Promise<void> {
    if (this.#feeds.released) return;
    await Promise.race([this.#queue.idle(), new Promise((r) => setTimeout(r, this.#opts.initialSettleMs))]);
    this.#feeds.release();
    this.#log.info('Detections reconciled, feeds started');
  }

  async #reconcile(name: string): Promise<ReconcileResult> {
    const d = this.#store.get(name);
    if (!d) {
      this.#feeds.unsubscribe(name);
      this.#compiler.forget(name);
      this.#overruns.forget(name);
      void this.#namespaces.release(this.#feeds.usesNamespaceSelector());
      this.#suppressed.forget(name);
      this.#setState(name, undefined);
      this.#log.info('Detection removed', { detection: name });
      return undefined;
    }
    const { state, retry } = await this.#converge(name, d);
    void this.#namespaces.release(this.#feeds.usesNamespaceSelector());
    this.#setState(name, state.kind);
    await this.#writeStatus(d, state);
    return retry ? { requeueAfterMs: 30_000 } : undefined;
  }

  async #converge(name: string, d: AuditDetection): Promise<{ state: DetectionState; retry?: boolean }> {
    if (d.spec.enabled === false) {
      this.#feeds.unsubscribe(name);
      return { state: { kind: 'disabled' } };
    }
    if (usesCel(d)) await loadCel();
    const compiled = this.#compiler.compile(name, d);
    // Traffic thresholds are checked where they are used (src/traffic), and reported here.
    const traffic =
      compiled.ok && compiled.detection.events.has(TRAFFIC_EVENT) ? compileTraffic(d) : undefined;
    if (traffic && !traffic.ok) {
      this.#feeds.unsubscribe(name);
      return { state: { kind: 'stalled', reason: 'InvalidSpec', message: traffic.errors.join('; ') } };
    }
    if (!compiled.ok) {
      this.#feeds.unsubscribe(name);
      return { state: { kind: 'stalled', reason: 'InvalidSpec', message: compiled.errors.join('; ') } };
    }
    let infos: ResourceInfo[];
    try {
      infos = await Promise.all(compiled.detection.resources.map((r) => this.#deps.discovery.resolve(r)));
      // The referring resource of match.referencedBy is only listed at alert time: check it now.
      const referring = compiled.detection.referencedBy?.resource;
      if (referring) await this.#deps.discovery.resolve(referring);
    } catch (err: unknown) {
      this.#feeds.unsubscribe(name);
      const message = err instanceof Error ? err.message : String(err);
      return { state: { kind: 'stalled', reason: 'ResourceNotServed', message }, retry: true };
    }
    const since = activeSince(d, this.#deps.clock);
    const sinceMs = newSince(since, d.status?.watermark, this.#opts.watermarkOverlapMs);
    // Traffic detections read access logs (src/traffic), action detections the webhooks
    // (src/actions): neither watches, so no feed to subscribe.
    if (compiled.detection.events.has(TRAFFIC_EVENT) || isActionDetection(compiled.detection.events))
      this.#feeds.unsubscribe(name);
    else
      this.#feeds.subscribe(compiled.detection, infos, sinceMs, {
        namespaceLabels: this.#namespaces.labelsFor(compiled.detection),
      });
    const { warnings } = compiled.detection;
    return {
      state: {
        kind: 'ready',
        activeSince: toRfc3339(since.getTime()),
        resources: infos.map(gvrKey),
        warnings,
      },
    };
  }

  /** Budget and expiry conditions and exception counters that differ from `base` (status-extras.ts). */
  #extras(d: AuditDetection, base: Condition[], pending = new Map()): Record<string, unknown> {
    return statusExtras(d, base, pending, this.#overruns, this.#deps.clock.now());
  }

  #setState(name: string, kind: DetectionState['kind'] | undefined): void {
    if (kind) this.#states.set(name, kind);
    else this.#states.delete(name);
    const counts = { ready: 0, stalled: 0, disabled: 0 };
    for (const k of this.#states.values()) counts[k]++;
    this.#deps.onStates?.(counts);
  }

  async #writeStatus(d: AuditDetection, state: DetectionState): Promise<void> {
    const name = d.metadata?.name as string;
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
    const patch = { ...next, activeSince: activeSince ?? null, ...(activeSince ? {} : { watermark: null }) };
    try {
      this.#store.set(name, await patchDetectionStatus(this.#deps.client, name, patch));
    } catch (err: unknown) {
      if (isNotFound(err)) return; // deleted meanwhile; the DELETED event reconciles it
      throw new Error(`updating status of AuditDetection ${name}`, { cause: err });
    }
  }
}

/** True when the detection has any CEL expression (condition or severity override). */
function usesCel(d: AuditDetection): boolean {
  return Boolean(d.spec.match?.condition) || (d.spec.severityOverrides ?? []).length > 0;
}
