import type { KubeApi } from '../kube/api.js';
import {
  ResilientWatch,
  type ResilientWatchOptions,
  type WatchEvents,
  WatchOwner,
} from '../kube/list-watch.js';
import type { Logger } from '../observability/logger.js';
import type { NamespaceLabels } from './compile.js';

/**
 * Labels of every namespace, for `match.namespaceSelector`, from one list+watch of namespaces. It
 * keeps only names and labels (never whole objects) and runs only while some detection uses a
 * namespaceSelector.
 */
export class NamespaceLabelCache extends WatchOwner {
  readonly #labels = new Map<string, Record<string, string>>();
  protected readonly watch: ResilientWatch;

  constructor(
    client: KubeApi,
    watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>,
    log: Logger,
    events?: WatchEvents,
  ) {
    super();
    this.watch = new ResilientWatch(
      client,
      { ...watch, path: '/api/v1/namespaces', apiVersion: 'v1', kind: 'Namespace', events },
      {
        onObject: (type, obj) => {
          const name = obj.metadata?.name;
          if (!name) return;
          if (type === 'DELETED') this.#labels.delete(name);
          else this.#labels.set(name, { ...(obj.metadata.labels ?? {}) });
        },
      },
      log,
    );
  }

  /** Stops the watch and forgets every label. */
  override async stop(): Promise<void> {
    await super.stop();
    this.#labels.clear();
  }

  /** Labels of a namespace; undefined while it is unknown (not listed yet, or created a moment ago). */
  labels(name: string): Record<string, string> | undefined {
    return this.#labels.get(name);
  }
}

/** Starts a {@link NamespaceLabelCache} when the first detection needs one and stops it when none does. */
export class NamespaceLabelsOnDemand {
  readonly #create: () => NamespaceLabelCache;
  readonly #log: Logger;
  #cache: NamespaceLabelCache | undefined;

  constructor(create: () => NamespaceLabelCache, log: Logger) {
    this.#create = create;
    this.#log = log;
  }

  /** True when no namespace watch runs or it has listed once. */
  get synced(): boolean {
    return this.#cache?.synced ?? true;
  }

  /** The label lookup for a detection with a namespaceSelector (starting the watch), else undefined. */
  labelsFor(det: { usesNamespaceSelector: boolean }): NamespaceLabels | undefined {
    if (!det.usesNamespaceSelector) return undefined;
    if (!this.#cache) {
      this.#cache = this.#create();
      this.#cache.start();
      this.#log.info('Started watching namespace labels');
    }
    const cache = this.#cache;
    return (ns) => cache.labels(ns);
  }

  /** Stops the watch unless `stillUsed`. */
  async release(stillUsed: boolean): Promise<void> {
    if (stillUsed || !this.#cache) return;
    const cache = this.#cache;
    this.#cache = undefined;
    this.#log.info('Stopped watching namespace labels');
    await cache.stop();
  }
}
