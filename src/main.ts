import type { Enricher } from './alerts/enrich.js';
import { LifecycleController } from './alerts/lifecycle.js';
import { alertName } from './alerts/name.js';
import { alertRaiser } from './alerts/raiser.js';
import { RecentAlerts } from './alerts/recent.js';
import { sweepExpired } from './alerts/retention.js';
import type { Settings } from './config/schema.js';
import { DetectionController } from './detections/controller.js';
import type { ObjectWork } from './detections/feed.js';
import { type AccessSource, loadClusterAccess } from './kube/access.js';
import { KubeClient } from './kube/client.js';
import { Discovery } from './kube/resources.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { startProbeServer } from './observability/server.js';
import { systemClock } from './runtime/clock.js';
import { every } from './runtime/periodic.js';
import { WorkQueue } from './runtime/queue.js';

/** A running operator. */
export interface Operator {
  /** Port of the probe server (0 when disabled). */
  probePort: number;
  ready(): boolean;
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
  const client = new KubeClient(await loadClusterAccess(location), {
    maxSockets: settings.maxConnections,
    userAgent: 'tripline/0.1.0',
    requestTimeoutMs: settings.requestTimeoutSeconds * 1000,
  });
  const backoff = { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs };
  const discovery = new Discovery(client);
  const recent = new RecentAlerts(settings.recentAlertsCacheSize);
  const watch = watchOptions(settings, backoff);
  let detections: DetectionController | undefined;
  const lifecycle = new LifecycleController(
    { watch, backoff, concurrency: 4 },
    { client, discovery, clock: systemClock, log, detection: (n) => detections?.detection(n) },
  );
  const gone = (name: string): void => lifecycle.subjectDeleted(name);
  // Enrichers run in this order before each alert write (actor, RBAC, ...); see alerts/enrich.ts.
  const enrichers: Enricher[] = [];
  const queue = new WorkQueue<ObjectWork>(
    { name: 'alerts', concurrency: settings.workers, backoff, events: queueEvents(metrics) },
    alertRaiser({
      client,
      feed: (k) => detections?.feed(k),
      recent,
      clock: systemClock,
      log,
      metrics,
      subjectDeleted: gone,
      enrichers,
    }),
    log.child({ controller: 'alerts' }),
  );
  const ctl = new DetectionController(detectionOptions(settings, watch, backoff), {
    client,
    discovery,
    clock: systemClock,
    log,
    feedDeps: {
      enqueue: (key, work) => queue.add(key, work),
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
  });
  detections = ctl;
  const retention = every(
    settings.retentionSweepSeconds * 1000,
    async () => {
      await sweepExpired({ client, clock: systemClock, log, detection: (n) => ctl.detection(n) });
    },
    log,
    'retention sweep',
  );
  // Start order is design (STYLE 4): detections and their feeds, then the alert loop, then probes.
  ctl.start();
  lifecycle.start();
  const probe = await startProbe(settings, metrics, client, () => ctl.ready);
  log.info('Operator started', { probePort: probe.port, workers: settings.workers });
  return {
    probePort: probe.port,
    ready: () => ctl.ready,
    stop: async () => {
      await retention.stop();
      await ctl.stop();
      await queue.shutdown();
      await lifecycle.stop();
      await probe.close();
      client.close();
      log.info('Operator stopped');
    },
  };
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
) {
  return {
    watch,
    backoff,
    watermarkOverlapMs: s.watermarkOverlapSeconds * 1000,
    watermarkFlushMs: s.watermarkFlushSeconds * 1000,
    initialSettleMs: 5000,
  };
}

function queueEvents(metrics: Metrics) {
  return { depth: (n: number) => metrics.queueDepth.set({ queue: 'alerts' }, n) };
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
