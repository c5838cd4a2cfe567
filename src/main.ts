import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { actionActor } from './actions/detections.js';
import { createActions } from './actions/index.js';
import { actionIntake } from './actions/intake.js';
import { startAttribution } from './actors/index.js';
import type { Enricher } from './alerts/enrich.js';
import { createIngressBackendsEnricher } from './alerts/ingress-backends.js';
import { LifecycleController } from './alerts/lifecycle.js';
import { alertName } from './alerts/name.js';
import { alertRaiser } from './alerts/raiser.js';
import { RecentAlerts } from './alerts/recent.js';
import { sweepExpired } from './alerts/retention.js';
import { leaseConnections } from './config/pool.js';
import type { Settings } from './config/schema.js';
import { DetectionController } from './detections/controller.js';
import type { ObjectWork } from './detections/feed.js';
import { ReferenceLookup } from './detections/references.js';
import { DetectionStore } from './detections/store.js';
import { type AccessSource, loadClusterAccess } from './kube/access.js';
import { KubeClient } from './kube/client.js';
import { markOwnPod } from './kube/own-pod.js';
import { Discovery } from './kube/resources.js';
import { Notifier } from './notify/router.js';
import { SINKS } from './notify/sinks.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics, queueMetrics } from './observability/metrics.js';
import { startProbeServer } from './observability/server.js';
import { createRbacEnrichment } from './rbac/feature.js';
import { systemClock } from './runtime/clock.js';
import { kubeLeaseStore, LeaderElector } from './runtime/leader.js';
import { every, type Periodic } from './runtime/periodic.js';
import { WorkQueue } from './runtime/queue.js';
import { createTrafficIngestion } from './traffic/ingestion.js';

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
 * Wiring only: settings → logger, client, metrics → detection controller (feeds) → alert queue →
 * probe server. Data flows one way: watch event → queue key → match → build → idempotent write.
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
  const backoff = { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs };
  const discovery = new Discovery(client);
  const recent = new RecentAlerts(settings.recentAlertsCacheSize);
  const watch = watchOptions(settings, backoff);
  // Admission and audit webhook receivers (src/actors), on every replica: they listen before the
  // watches start, so requests made while the operator starts are attributed too.
  // Action detections (src/actions) are fed by those receivers; only the leader writes their alerts.
  let leading = (): boolean => false;
  let actionsStarted = false;
  const attribution = await startAttribution(settings, {
    ...{ client, clock: systemClock, log, metrics },
    actions: actionIntake(() => (actionsStarted ? actions?.handle : undefined)),
  });
  const changedBy = attribution.changedBy;
  const creatorOf = attribution.creatorOf;
  // Every detection compiled once per generation, on every replica, for every pipeline (ADR 0022).
  // Exceptions by users and groups match the creator the admission webhook recorded.
  const store = new DetectionStore({
    ...{ log, clock: systemClock },
    actorOf: creatorOf && ((obj) => creatorOf(obj.metadata.uid ?? '')),
    actionActorOf: actionActor,
  });
  const detection = (n: string) => store.detection(n);
  // Sinks by table (notify/sinks.ts): fed by the raiser (new alerts) and the lifecycle (its watch, changes).
  const notifier = new Notifier(SINKS, { settings, client, clock: systemClock, log, metrics, detection });
  const actions = createActions(settings, {
    ...{ client, clock: systemClock, log, metrics, backoff, detections: store },
    active: () => leading(),
    onRaised: (alert) => notifier.raised(alert),
  });
  const lifecycle = new LifecycleController(
    { watch, backoff, concurrency: 4, queueEvents: queueMetrics(metrics, 'lifecycle') },
    { client, discovery, clock: systemClock, log, detection, hooks: notifier, changedBy },
  );
  const gone = (name: string): void => lifecycle.subjectDeleted(name);
  const rbac = createRbacEnrichment(settings, { client, log, metrics, watch });
  // Enrichers run in this order before each alert write (actor, RBAC, ...); see alerts/enrich.ts.
  const enrichers: Enricher[] = [
    ...attribution.enrichers,
    ...rbac.enrichers,
    createIngressBackendsEnricher(client),
  ];
  const queue = new WorkQueue<ObjectWork>(
    { name: 'alerts', concurrency: settings.workers, backoff, events: queueMetrics(metrics, 'alerts') },
    alertRaiser({
      client,
      recent,
      clock: systemClock,
      log,
      metrics,
      subjectDeleted: gone,
      enrichers,
      onRaised: (alert) => notifier.raised(alert),
      references: new ReferenceLookup(client, discovery, { pageSize: settings.listPageSize }),
      cluster: settings.clusterName,
      instance: settings.podName || undefined,
    }),
    log.child({ controller: 'alerts' }),
  );
  const ctl: DetectionController = new DetectionController(
    detectionOptions(settings, watch, backoff, metrics),
    {
      ...{ store, client, discovery, clock: systemClock, log },
      feedDeps: {
        enqueue: (key, work) => queue.add(key, work),
        admit: () => {
          if (queue.depth < settings.alertBacklog) return undefined;
          metrics.backlogFull.inc();
          return queue.whenBelow(settings.alertBacklog);
        },
        recentlyRaised: (d, uid) => recent.has(d, uid),
        subjectDeleted: (d, uid) => gone(alertName(d, uid)),
        watchEvents: (resource) => ({
          restarted: (reason) => metrics.watchRestarts.inc({ resource, reason }),
          relisted: () => metrics.watchRelists.inc({ resource }),
        }),
      },
      onDetectionChanged: (name) => recent.forgetDetection(name),
      onSuppressed: (detection) => metrics.suppressed.inc({ detection }),
      onStates: (c) => {
        for (const [state, n] of Object.entries(c)) metrics.detectionsReady.set({ state }, n);
      },
    },
  );
  let retention: Periodic | undefined;
  // The work only the leader does, started in this order (STYLE 4): the RBAC index (so the first
  // alerts find it listed), detections and their feeds, then the alert lifecycle, then retention.
  // Without leader election this process is the leader.
  const leaderWork: LeaderWork[] = [
    { name: 'rbac index', start: () => rbac.start(), stop: () => rbac.stop() },
    { name: 'detections', start: () => ctl.start(), stop: () => ctl.stop() },
    { name: 'alert queue', start: () => {}, stop: () => queue.shutdown() },
    { name: 'lifecycle', start: () => lifecycle.start(), stop: () => lifecycle.stop() },
    { name: 'notify', start: () => notifier.start(), stop: () => notifier.stop() },
    {
      name: 'retention',
      start: () => {
        retention = every(
          settings.retentionSweepSeconds * 1000,
          async () => {
            await sweepExpired({ client, clock: systemClock, log, detection: (n) => ctl.detection(n) });
          },
          log,
          'retention sweep',
        );
      },
      stop: async () => await retention?.stop(),
    },
  ];
  await store.start(client, watch);
  const leadership = startLeadership(settings, client, log, metrics, leaderWork);
  leading = () => leadership.leading();
  actionsStarted = true;
  // Access-log ingestion runs on every replica (windows stay warm); only the leader writes alerts.
  const traffic = createTrafficIngestion(settings, {
    ...{ client, clock: systemClock, log, metrics, backoff, detections: store },
    active: () => leadership.leading(),
    onRaised: (alert) => notifier.raised(alert),
  });
  await traffic?.start();
  // Ready: the webhook receivers (when on) have their certificate, and the leader's watches listed.
  const ready = () => attribution.ready() && (leadership.leading() ? ctl.ready : true);
  const probe = await startProbe(settings, metrics, client, ready);
  log.info('Operator started', { probePort: probe.port, workers: settings.workers });
  return {
    probePort: probe.port,
    ready: () => ctl.ready,
    lost: leadership.lost,
    stop: async () => {
      await traffic?.stop();
      await actions?.stop();
      await leadership.stop();
      await store.stop();
      await attribution.stop();
      await probe.close();
      client.close();
      log.info('Operator stopped');
    },
  };
}

/** A part of the operator that runs only on the leader. */
interface LeaderWork {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Runs `work` while this process leads: at once without leader election, else from the moment the
 * Lease is acquired. Losing the Lease resolves `lost` (the CLI then exits non-zero and the
 * Deployment restarts the container as a follower, as controller-runtime does): work half-stopped
 * in a process that may still hold stale state is worse than a clean restart.
 */
function startLeadership(
  settings: Settings,
  client: KubeClient,
  log: Logger,
  metrics: Metrics,
  work: readonly LeaderWork[],
): { leading(): boolean; lost: Promise<void>; stop(): Promise<void> } {
  let started = false;
  let stopping: Promise<void> | undefined;
  const startWork = (): void => {
    started = true;
    metrics.leader.set(1);
    for (const w of work) w.start();
    labelPod(true);
  };
  // Once, in start order; a second caller waits for the first.
  const stopWork = (): Promise<void> => {
    stopping ??= (async () => {
      if (!started) return;
      metrics.leader.set(0);
      for (const w of work) await w.stop();
    })();
    return stopping;
  };
  const pod = { namespace: settings.podNamespace, name: settings.podName };
  // Best effort: without the label only the Services that select the leader miss it.
  const labelPod = (leader: boolean): void => {
    if (!settings.leaderElect || !pod.name || !pod.namespace) return;
    markOwnPod(client, pod, leader).catch((err: unknown) => {
      log.warn('Could not label this Pod with its leader status', { ...pod, leader, err });
    });
  };
  if (!settings.leaderElect) {
    startWork();
    return { leading: () => true, lost: new Promise<void>(() => {}), stop: stopWork };
  }
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
      startedLeading: startWork,
      stoppedLeading: () => {
        void stopWork().finally(onLost);
      },
      newLeader: (identity) => log.info('Observed Lease holder', { holder: identity || '(none)' }),
    },
  );
  metrics.leader.set(0);
  labelPod(false);
  elector.start();
  return {
    leading: () => elector.isLeader,
    lost,
    stop: async () => {
      await elector.stop();
      leaseClient.close();
      await stopWork();
    },
  };
}

/** Namespace of the Lease when neither the settings nor the Pod name one. */
const DEFAULT_NAMESPACE = 'tripline-system';

/** Unique per process, readable per Pod: `<pod>_<random>` as client-go's examples do. */
function leaseIdentity(podName: string): string {
  return `${podName || hostname()}_${randomUUID().slice(0, 8)}`;
}

function watchOptions(s: Settings, backoff: { baseMs: number; maxMs: number }) {
  return {
    pageSize: s.listPageSize,
    stallTimeoutMs: s.watchStallSeconds * 1000,
    watchTimeoutSeconds: s.watchTimeoutSeconds,
    backoff,
  };
}

function detectionOptions(
  s: Settings,
  watch: ReturnType<typeof watchOptions>,
  backoff: { baseMs: number; maxMs: number },
  metrics: Metrics,
) {
  return {
    watch,
    backoff,
    queueEvents: queueMetrics(metrics, 'detections'),
    watermarkOverlapMs: s.watermarkOverlapSeconds * 1000,
    watermarkFlushMs: s.watermarkFlushSeconds * 1000,
    initialSettleMs: 5000,
  };
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
