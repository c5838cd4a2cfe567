import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { leaseConnections } from './config/pool.js';
import type { Settings } from './config/schema.js';
import { FEATURES, featureContext } from './features/index.js';
import { type AccessSource, loadClusterAccess } from './kube/access.js';
import { KubeClient } from './kube/client.js';
import { markOwnPod } from './kube/own-pod.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { startProbeServer } from './observability/server.js';
import { type LeaderGate, LeaderWorkSet, startFeatures } from './runtime/features.js';
import { kubeLeaseStore, LeaderElector } from './runtime/leader.js';

/** A running operator. */
export interface Operator {
  /** Port of the probe server (0 when disabled). */
  probePort: number;
  ready(): boolean;
  /** Resolves when this replica lost the Lease; the process should exit and be restarted. */
  lost: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wiring only: settings → logger, client, metrics → the features table (src/features, ADR 0026),
 * started by one loop in table order and stopped in reverse → probe server.
 */
export async function runOperator(
  settings: Settings,
  location: AccessSource,
  isTty: boolean,
): Promise<Operator> {
  const format = settings.logFormat === 'auto' ? (isTty ? 'text' : 'json') : settings.logFormat;
  const log = createLogger({ level: settings.logLevel, format });
  const metrics = createMetrics();
  // The Lease keeps its connection(s) apart (config/pool.ts): renewals never queue behind watches.
  const client = new KubeClient(await loadClusterAccess(location), {
    maxSockets: settings.maxConnections - leaseConnections(settings),
    userAgent: 'tripline/0.1.0',
    requestTimeoutMs: settings.requestTimeoutSeconds * 1000,
  });
  // Leader work runs through the gate: at once without leader election, else once the Lease is
  // won, which is campaigned for after every feature has been created.
  const leadership = createLeadership(settings, client, log, metrics);
  const ctx = featureContext(settings, { client, log, metrics, leading: () => leadership.leading() });
  let features: Awaited<ReturnType<typeof startFeatures>>;
  try {
    features = await startFeatures(FEATURES, ctx.settings, ctx, { leader: leadership, log });
  } catch (err: unknown) {
    await leadership.stop();
    client.close();
    throw err;
  }
  leadership.campaign();
  const ctl = ctx.controller;
  // Ready: the webhook receivers (when on) have their certificate, and the leader's watches listed.
  const ready = () =>
    (ctx.attribution?.ready() ?? true) && (leadership.leading() ? (ctl?.ready ?? false) : true);
  const probe = await startProbe(settings, metrics, client, ready);
  log.info('Operator started', { probePort: probe.port, workers: settings.workers, features: features.ids });
  return {
    probePort: probe.port,
    ready: () => ctl?.ready ?? false,
    lost: leadership.lost,
    stop: async () => {
      try {
        await features.stop();
      } finally {
        await leadership.stop();
        await probe.close();
        client.close();
      }
      log.info('Operator stopped');
    },
  };
}

/** The gate leader work goes through, and the Lease behind it. */
interface Leadership extends LeaderGate {
  leading(): boolean;
  /** Starts campaigning for the Lease (nothing to do without leader election). */
  campaign(): void;
  /** Resolves when this replica lost the Lease. */
  lost: Promise<void>;
  /** Stops campaigning (releasing the Lease) and every leader work still running, in reverse order. */
  stop(): Promise<void>;
}

/**
 * Runs leader work while this process leads: at once without leader election, else from the
 * moment the Lease is acquired, in the order it was handed in. Losing the Lease stops it in reverse
 * and resolves `lost` (the CLI then exits non-zero and the Deployment restarts the container as a
 * follower, as controller-runtime does): work half-stopped in a process that may still hold stale
 * state is worse than a clean restart.
 */
function createLeadership(settings: Settings, client: KubeClient, log: Logger, metrics: Metrics): Leadership {
  const work = new LeaderWorkSet();
  const lease = settings.leaderElect ? leaseElection(settings, client, log, metrics, work) : undefined;
  if (!lease) {
    metrics.leader.set(1);
    work.begin();
  }
  let resigned: Promise<void> | undefined;
  // Once, before the first leader work stops: later work does not start, a leader releases the Lease.
  const resign = (): Promise<void> => {
    resigned ??= (async () => {
      work.resign();
      if (lease) await lease.stop();
      else metrics.leader.set(0);
    })();
    return resigned;
  };
  return {
    leading: () => (lease ? lease.leading() : work.leading),
    campaign: () => lease?.campaign(),
    lost: lease?.lost ?? new Promise<void>(() => {}),
    run: (w) => work.add(w),
    stopWork: async (w) => {
      await resign();
      await work.stopOne(w);
    },
    stop: async () => {
      await resign();
      await work.end();
    },
  };
}

/** The Lease campaign: begins and ends `work` as the Lease is won and lost. */
function leaseElection(
  settings: Settings,
  client: KubeClient,
  log: Logger,
  metrics: Metrics,
  work: LeaderWorkSet,
): { leading(): boolean; campaign(): void; lost: Promise<void>; stop(): Promise<void> } {
  const pod = { namespace: settings.podNamespace, name: settings.podName };
  // Best effort: without the label only the Services that select the leader miss it.
  const labelPod = (leader: boolean): void => {
    if (!pod.name || !pod.namespace) return;
    markOwnPod(client, pod, leader).catch((err: unknown) => {
      log.warn('Could not label this Pod with its leader status', { ...pod, leader, err });
    });
  };
  let onLost: () => void = () => {};
  const lost = new Promise<void>((resolve) => {
    onLost = resolve;
  });
  const namespace = settings.leaderElectionNamespace || settings.podNamespace || DEFAULT_NAMESPACE;
  const leaseClient = client.withOwnPool({ maxSockets: leaseConnections(settings) });
  const elector = new LeaderElector(
    {
      // Its own small keep-alive pool: a renewal never waits for a socket held by a watch or a write.
      store: kubeLeaseStore(leaseClient, namespace, settings.leaderElectionId),
      lease: { namespace, name: settings.leaderElectionId },
      identity: leaseIdentity(settings.podName),
      timings: {
        leaseDurationMs: settings.leaseDurationSeconds * 1000,
        renewDeadlineMs: settings.renewDeadlineSeconds * 1000,
        retryPeriodMs: settings.retryPeriodSeconds * 1000,
      },
      log: log.child({ component: 'leader-election' }),
    },
    {
      startedLeading: () => {
        metrics.leader.set(1);
        work.begin();
        labelPod(true);
      },
      stoppedLeading: () => {
        metrics.leader.set(0);
        void work.end().finally(onLost);
      },
      newLeader: (identity) => log.info('Observed Lease holder', { holder: identity || '(none)' }),
    },
  );
  metrics.leader.set(0);
  labelPod(false);
  let campaigning = false;
  return {
    leading: () => elector.isLeader,
    campaign: () => {
      campaigning = true;
      elector.start();
    },
    lost,
    stop: async () => {
      if (campaigning) await elector.stop();
      leaseClient.close();
    },
  };
}

/** Namespace of the Lease when neither the settings nor the Pod name one. */
const DEFAULT_NAMESPACE = 'tripline-system';

/** Unique per process, readable per Pod: `<pod>_<random>` as client-go's examples do. */
function leaseIdentity(podName: string): string {
  return `${podName || hostname()}_${randomUUID().slice(0, 8)}`;
}

async function startProbe(s: Settings, metrics: Metrics, client: KubeClient, ready: () => boolean) {
  if (s.metricsBindAddress === 'off') return { port: 0, close: async () => {} };
  return await startProbeServer(s.metricsBindAddress, {
    registry: metrics.registry,
    ready,
    beforeScrape: () => {
      const st = client.stats();
      metrics.httpConnectionsOpened.set(st.connectionsOpened);
      metrics.httpRequests.set(st.requests);
    },
  });
}
