import type { Enricher } from '../alerts/enrich.js';
import type { FeatureSettings } from '../config/schema.js';
import type { KubeApi } from '../kube/api.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { rbacEnrichers } from './enrichers.js';
import { RbacIndex, type RbacIndexOptions } from './rbac-index.js';

/** The RBAC enrichment as main.ts wires it: its enrichers, and the index to start and stop. */
export interface RbacEnrichment {
  enrichers: Enricher[];
  start(): void;
  stop(): Promise<void>;
}

/** What {@link createRbacEnrichment} needs. */
export interface RbacEnrichmentDeps {
  client: KubeApi;
  log: Logger;
  metrics: Metrics;
  watch: RbacIndexOptions['watch'];
}

/**
 * Alerts raised within this long of the index's start wait for its first list (four lists, well
 * under a second on most clusters) rather than get the "not synced" note; later alerts never wait.
 * The enricher timeout of 2 s bounds the whole enrichment anyway.
 */
const SYNC_WAIT_MS = 1000;

/**
 * Entries one RBAC object may hold in the index (rules plus their list items, or subjects). A fresh
 * v1.37 cluster's largest ClusterRole (system:kube-scheduler) holds 173 and the aggregated `admin`
 * about 330, all 73 together 2,141: only a Role or binding built to be large is cut.
 */
export const RBAC_OBJECT_ENTRIES = 4000;

/**
 * The RBAC index and the who-can and service-account enrichers on it, or nothing when
 * `rbacIndex` is off (then the operator needs no RBAC read access at all).
 */
export function createRbacEnrichment(
  settings: FeatureSettings['rbac'],
  deps: RbacEnrichmentDeps,
): RbacEnrichment {
  if (!settings.rbacIndex) return { enrichers: [], start: () => {}, stop: async () => {} };
  const { metrics } = deps;
  const index = new RbacIndex(
    deps.client,
    {
      watch: deps.watch,
      // Labelled apart from a detection's own watch of the same resource (clusterroles).
      watchEvents: (gvr) => {
        const resource = `rbac-index:${gvr}`;
        return {
          restarted: (reason) => metrics.watchRestarts.inc({ resource, reason }),
          relisted: () => metrics.watchRelists.inc({ resource }),
          pageShrunk: () => metrics.listPagesShrunk.inc({ resource }),
        };
      },
      onCounts: (counts, synced, health) => {
        for (const [kind, n] of Object.entries(counts)) metrics.rbacIndexObjects.set({ kind }, n);
        metrics.rbacIndexSynced.set(synced ? 1 : 0);
        metrics.rbacIndexEntries.set(health.entries);
        metrics.rbacIndexIncomplete.set({ reason: 'left-out' }, health.refused);
        metrics.rbacIndexIncomplete.set({ reason: 'cut' }, health.partial);
      },
      limits: { maxEntries: settings.rbacIndexMaxEntries, maxObjectEntries: RBAC_OBJECT_ENTRIES },
    },
    deps.log,
  );
  return {
    enrichers: rbacEnrichers({
      index,
      client: deps.client,
      whoCanLimit: settings.whoCanLimit,
      syncWaitMs: SYNC_WAIT_MS,
    }),
    start: () => index.start(),
    stop: () => index.stop(),
  };
}
