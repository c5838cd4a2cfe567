import type { Settings } from './schema.js';

/** Watches that run for the whole life of the operator, by the settings that turn them on. */
const WATCHES: ReadonlyArray<{ what: string; count: (s: Settings) => number }> = [
  { what: 'AuditDetections', count: () => 1 },
  { what: 'AuditAlerts (lifecycle)', count: () => 1 },
  // Which resources the detections watch is known only once they are read from the cluster;
  // every detection watches at least one, so one is the lower bound start-up can check.
  { what: 'resources the detections watch (at least 1)', count: () => 1 },
  { what: 'RBAC index (--rbac-index)', count: (s) => (s.rbacIndex ? 4 : 0) },
  {
    what: 'action detections (--admission-bind-address, --audit-bind-address)',
    count: (s) => (s.admissionBindAddress !== 'off' || s.auditBindAddress !== 'off' ? 1 : 0),
  },
  {
    what: 'traffic detections (--traffic-listen-address, --traffic-log-files)',
    count: (s) => (s.trafficListenAddress !== 'off' || s.trafficLogFiles.trim() !== '' ? 1 : 0),
  },
];

/** Connections the leader-election Lease keeps to itself (its own pool, runtime/leader.ts). */
export const LEASE_CONNECTIONS = 1;

/** Connections the Lease takes out of `--max-connections`: one with `--leader-elect`, else none. */
export const leaseConnections = (s: Pick<Settings, 'leaderElect'>): number =>
  s.leaderElect ? LEASE_CONNECTIONS : 0;

/** What `--max-connections` must hold at least, and of what. */
export interface PoolNeeds {
  watches: number;
  workers: number;
  lease: number;
  total: number;
  /** The watches counted, for the error message. */
  watched: string[];
}

/**
 * The connections the operator needs at the least: every long-lived watch holds one socket of the
 * shared pool while open, each of `--workers` alert writes holds one while in flight, and the
 * Lease holds its own. It is a lower bound: the watches of resources named by detections beyond
 * the first, and the on-demand Namespace watch (namespaceSelector), come on top; the lifecycle,
 * notification and episode writers share what is left and wait for a free socket when none is.
 */
export function poolNeeds(s: Settings): PoolNeeds {
  const counted = WATCHES.map((w) => ({ what: w.what, n: w.count(s) })).filter((w) => w.n > 0);
  const watches = counted.reduce((sum, w) => sum + w.n, 0);
  const lease = leaseConnections(s);
  return {
    watches,
    workers: s.workers,
    lease,
    total: watches + s.workers + lease,
    watched: counted.map((w) => `${w.n} ${w.what}`),
  };
}

/**
 * Why `--max-connections` is too small for the other settings, or undefined when it is not. A
 * pool smaller than the watches plus the workers starves alert writes behind open watches (or the
 * watches behind writes) instead of failing where anyone can see it.
 */
export function poolTooSmall(s: Settings): string | undefined {
  const n = poolNeeds(s);
  if (s.maxConnections >= n.total) return undefined;
  const lease = n.lease > 0 ? ` + ${n.lease} Lease (--leader-elect)` : '';
  return (
    `--max-connections ${s.maxConnections} is smaller than the connections the operator needs at least: ` +
    `${n.watches} watches (${n.watched.join(', ')}) + ${n.workers} --workers${lease} = ${n.total}; ` +
    `raise --max-connections or lower --workers`
  );
}
