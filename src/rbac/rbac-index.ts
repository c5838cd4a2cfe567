import type { KubeObject } from '../api/kube-object.js';
import type { KubeApi } from '../kube/api.js';
import {
  type ObservedType,
  ResilientWatch,
  type ResilientWatchOptions,
  type WatchEvents,
} from '../kube/list-watch.js';
import { collectionPath, type GroupVersionResource, gvrKey } from '../kube/resources.js';
import type { Logger } from '../observability/logger.js';
import { type RbacCounts, type RbacHealth, type RbacKind, type RbacLimits, RbacState } from './state.js';

/** The RBAC resources the index watches (and `kubectl tripline who-can` lists), by kind. */
export const RBAC_RESOURCES: ReadonlyArray<{ kind: RbacKind; gvr: GroupVersionResource }> = (
  [
    ['Role', 'roles'],
    ['ClusterRole', 'clusterroles'],
    ['RoleBinding', 'rolebindings'],
    ['ClusterRoleBinding', 'clusterrolebindings'],
  ] as const
).map(([kind, resource]) => ({ kind, gvr: { group: 'rbac.authorization.k8s.io', version: 'v1', resource } }));

/** Options of {@link RbacIndex}. */
export interface RbacIndexOptions {
  watch: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'>;
  /** Restart and relist counters per resource (`rbac.authorization.k8s.io/v1/roles`). */
  watchEvents?: (resource: string) => WatchEvents;
  /** Objects held per kind, reported after every list and every watch event. */
  onCounts?: (counts: RbacCounts, synced: boolean, health: RbacHealth) => void;
  /** What the index may hold (see {@link RbacLimits}); absent: unbounded. */
  limits?: Partial<RbacLimits>;
}

/** What the enrichers need from the index. */
export interface RbacView {
  readonly state: RbacState;
  readonly synced: boolean;
  /**
   * Resolves true once synced; false if not within `graceMs` of the index's start. Only alerts
   * raised right after start wait: an index that cannot list (RBAC read denied) must not slow
   * every later alert down.
   */
  whenSynced(graceMs: number): Promise<boolean>;
}

const keyOf = (obj: KubeObject): string => `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;

/**
 * Roles, ClusterRoles and their bindings, kept current by one resilient list+watch each (paged
 * lists, bookmarks, capped backoff), and reduced to rules, subjects and roleRefs as they arrive.
 * It answers only once all four have listed; objects a relist no longer returns (deleted while a
 * 410 forced the relist) are dropped when that list completes.
 */
export class RbacIndex implements RbacView {
  readonly state: RbacState;
  readonly #watches: ResilientWatch[];
  readonly #opts: RbacIndexOptions;
  readonly #waiters = new Set<() => void>();
  #startedAt: number | undefined;

  constructor(client: KubeApi, opts: RbacIndexOptions, log: Logger) {
    this.#opts = opts;
    this.state = new RbacState(opts.limits);
    this.#watches = RBAC_RESOURCES.map(({ kind, gvr }) => {
      const listed = new Set<string>();
      return new ResilientWatch(
        client,
        {
          ...opts.watch,
          path: collectionPath(gvr),
          apiVersion: `${gvr.group}/${gvr.version}`,
          kind,
          events: opts.watchEvents?.(gvrKey(gvr)),
        },
        {
          onObject: (type, obj) => this.#observe(kind, type, obj, listed),
          onSynced: () => this.#listed(kind, listed),
        },
        log.child({ component: 'rbac-index', kind }),
      );
    });
  }

  /** True once every RBAC kind has been listed completely. */
  get synced(): boolean {
    return this.#watches.every((w) => w.synced);
  }

  whenSynced(graceMs: number): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    const wait = this.#startedAt === undefined ? 0 : this.#startedAt + graceMs - Date.now();
    if (wait <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(this.synced);
      };
      const timer = setTimeout(done, wait);
      this.#waiters.add(done);
    });
  }

  /** Starts the four watches. */
  start(): void {
    this.#startedAt ??= Date.now();
    for (const w of this.#watches) w.start();
  }

  /** Stops the watches and releases anyone waiting for the sync. */
  async stop(): Promise<void> {
    await Promise.all(this.#watches.map((w) => w.stop()));
    for (const done of [...this.#waiters]) done();
  }

  #observe(kind: RbacKind, type: ObservedType, obj: KubeObject, listed: Set<string>): void {
    if (type === 'DELETED') this.state.remove(kind, obj.metadata.namespace, obj.metadata.name ?? '');
    else this.state.put(kind, obj);
    if (type === 'LISTED') listed.add(keyOf(obj));
    else this.#report();
  }

  #listed(kind: RbacKind, listed: Set<string>): void {
    for (const key of this.state.keys(kind)) {
      if (listed.has(key)) continue;
      const slash = key.indexOf('/');
      this.state.remove(kind, key.slice(0, slash) || undefined, key.slice(slash + 1));
    }
    listed.clear();
    this.#report();
    if (this.synced) for (const done of [...this.#waiters]) done();
  }

  #report(): void {
    this.#opts.onCounts?.(this.state.counts(), this.synced, this.state.health());
  }
}
