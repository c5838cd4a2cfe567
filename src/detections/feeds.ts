import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { ResilientWatchOptions } from '../kube/list-watch.js';
import { apiVersionOf, gvrKey, type ResourceInfo } from '../kube/resources.js';
import type { Logger } from '../observability/logger.js';
import type { CompiledDetection } from './compile.js';
import { type FeedDeps, ResourceFeed } from './feed.js';
import { groupKind, type Subscription } from './match.js';
import { detectionLowWater } from './watermark.js';

/** What the registry needs to create feeds. */
export interface FeedRegistryDeps {
  feedDeps: Omit<FeedDeps, 'log' | 'watch'>;
  watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>;
  log: Logger;
  /** A detection's subscription changed in a way that needs its objects re-examined. */
  onResubscribed?(detection: string): void;
}

/**
 * The shared resource feeds, one per resource, and which detections subscribe to each. A feed
 * starts when its first detection subscribes (once released at start-up) and stops with its last.
 */
export class FeedRegistry {
  readonly #deps: FeedRegistryDeps;
  readonly #feeds = new Map<string, ResourceFeed>();
  #released = false;

  constructor(deps: FeedRegistryDeps) {
    this.#deps = deps;
  }

  /** The feed for a resource key, if any detection uses it. */
  get(key: string): ResourceFeed | undefined {
    return this.#feeds.get(key);
  }

  /** True once released and every feed has completed its first list. */
  get synced(): boolean {
    return this.#released && [...this.#feeds.values()].every((f) => f.synced);
  }

  /** True once {@link release} was called. */
  get released(): boolean {
    return this.#released;
  }

  /** Lets feeds list (start-up waits until every detection subscribed, to list each resource once). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const f of this.#feeds.values()) f.start();
  }

  /** Stops every feed. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#feeds.values()].map((f) => f.stop()));
  }

  /** Subscribes a detection to the feeds of its resources (and unsubscribes it from the others). */
  subscribe(
    det: CompiledDetection,
    infos: ResourceInfo[],
    sinceMs: number,
    extra: Pick<Subscription, 'namespaceLabels'>,
  ): void {
    const watchedKinds = new Set(infos.map((i) => groupKind(apiVersionOf(i), i.kind)));
    this.unsubscribe(det.name, new Set(infos.map(gvrKey)));
    for (const info of infos) {
      const feed = this.#feedFor(info);
      const prev = feed.subscription(det.name);
      feed.subscribe({ detection: det, sinceMs, watchedKinds, ...extra });
      if (!prev || prev.detection.generation !== det.generation || prev.sinceMs > sinceMs) {
        this.#deps.onResubscribed?.(det.name);
        feed.resync();
      }
    }
  }

  /** Removes the detection from every feed not in `keep`; feeds left without detections stop. */
  unsubscribe(name: string, keep: ReadonlySet<string> = new Set()): void {
    for (const [key, feed] of this.#feeds) {
      if (keep.has(key) || !feed.unsubscribe(name)) continue;
      if (feed.subscribers === 0) {
        this.#feeds.delete(key);
        void feed.stop();
        this.#deps.log.info('Stopped watching resource', { resource: key });
      }
    }
  }

  /** The earliest creation time that may still lack an alert, over a detection's resources. */
  lowWater(d: AuditDetection): number | undefined {
    return detectionLowWater(
      d.spec.resources.map((r) =>
        this.#feeds
          .get(gvrKey({ group: r.group ?? '', version: r.version, resource: r.resource }))
          ?.lowWater(),
      ),
    );
  }

  /** True when some subscribed detection filters by namespace labels. */
  usesNamespaceSelector(): boolean {
    for (const f of this.#feeds.values()) {
      for (const sub of f.subscriptions()) if (sub.detection.usesNamespaceSelector) return true;
    }
    return false;
  }

  #feedFor(info: ResourceInfo): ResourceFeed {
    const key = gvrKey(info);
    let feed = this.#feeds.get(key);
    if (!feed) {
      feed = new ResourceFeed(info, {
        ...this.#deps.feedDeps,
        log: this.#deps.log.child({ controller: 'feed', resource: key }),
        watch: this.#deps.watch,
      });
      this.#feeds.set(key, feed);
      if (this.#released) feed.start();
      this.#deps.log.info('Started watching resource', { resource: key });
    }
    return feed;
  }
}
