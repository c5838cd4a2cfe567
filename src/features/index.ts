/**
 * The operator's features as one table (ADR 0026): each entry is `{ id, runs, enabled, create }`,
 * wired by the one loop of runtime/features.ts that main.ts calls. The table order is the start
 * order (stopping runs in reverse), and the order is the design:
 *
 * 1. attribution listens first, so requests made while the operator starts are attributed, and
 *    yields the creator lookup the detection store compiles exceptions with;
 * 2. the detection store compiles every detection on every replica (ADR 0022);
 * 3. the leader work, consumers before producers so that the reverse stops producers first: the
 *    RBAC index (so the first alerts find it listed), the notification sinks, the alert lifecycle,
 *    the alert queue, the detection controller and its feeds, retention;
 * 4. action detections and traffic ingestion, on every replica (followers keep their windows warm),
 *    writing only while leading, with the sinks of step 3 as their `onRaised`.
 *
 * A feature reads what earlier ones made from the {@link FeatureContext} (`ctx.store`,
 * `ctx.notifier`, …) and is handed its own slice of the settings (`ctx.settings.traffic`, …).
 */
import { actionActor } from '../actions/detections.js';
import { type Actions, actionsEnabled, createActions } from '../actions/index.js';
import { actionIntake } from '../actions/intake.js';
import { type Attribution, attributionEnabled, startAttribution } from '../actors/index.js';
import { createIngressBackendsEnricher } from '../alerts/ingress-backends.js';
import { LifecycleController } from '../alerts/lifecycle.js';
import { alertName } from '../alerts/name.js';
import { alertRaiser } from '../alerts/raiser.js';
import { RecentAlerts } from '../alerts/recent.js';
import { sweepExpired } from '../alerts/retention.js';
import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { Settings, SettingsByFeature } from '../config/schema.js';
import { settingsByFeature } from '../config/schema.js';
import { DetectionController } from '../detections/controller.js';
import type { ObjectWork } from '../detections/feed.js';
import { ReferenceLookup } from '../detections/references.js';
import { DetectionStore } from '../detections/store.js';
import type { KubeClient } from '../kube/client.js';
import { Discovery } from '../kube/resources.js';
import { Notifier } from '../notify/router.js';
import { SINKS } from '../notify/sinks.js';
import type { Logger } from '../observability/logger.js';
import { type Metrics, queueMetrics } from '../observability/metrics.js';
import { createRbacEnrichment, type RbacEnrichment } from '../rbac/feature.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import type { Feature } from '../runtime/features.js';
import { every, type Periodic } from '../runtime/periodic.js';
import { WorkQueue } from '../runtime/queue.js';
import { trafficEnabled } from '../traffic/config.js';
import { createTrafficIngestion, type TrafficIngestion } from '../traffic/ingestion.js';

/** Retry delays of every controller and writer. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** What every feature may use, and what earlier features made for later ones. */
export interface FeatureContext {
  /** The settings by feature: each feature reads its own slice (`core` for the alert pipeline). */
  readonly settings: SettingsByFeature;
  readonly client: KubeClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly backoff: Backoff;
  readonly watch: WatchOptions;
  readonly discovery: Discovery;
  readonly recent: RecentAlerts;
  /**
   * Whether this replica runs the leader work now. Read per write, late: the Lease is campaigned
   * for after the table has been run.
   */
  leading(): boolean;
  // Made by the feature of the same name, read by later ones; unset while that feature is off.
  attribution?: Attribution;
  store?: DetectionStore;
  rbac?: RbacEnrichment;
  notifier?: Notifier;
  lifecycle?: LifecycleController;
  queue?: WorkQueue<ObjectWork>;
  controller?: DetectionController;
  /** Read per request by attribution's action intake (the receivers listen before it exists). */
  actions?: Actions;
  traffic?: TrafficIngestion;
}

/** What features made, by name. */
type Made = 'store' | 'notifier' | 'lifecycle' | 'queue' | 'controller';

/** What an earlier feature made; a table in the wrong order fails here, naming what is missing. */
function made<K extends Made>(ctx: FeatureContext, k: K): NonNullable<FeatureContext[K]> {
  const v = ctx[k];
  if (v === undefined) throw new Error(`ctx.${k} is not made yet: its feature must come earlier in FEATURES`);
  return v as NonNullable<FeatureContext[K]>;
}

/** The context for one run of the table. */
export function featureContext(
  settings: Settings,
  deps: { client: KubeClient; log: Logger; metrics: Metrics; leading(): boolean },
): FeatureContext {
  const backoff = { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs };
  return {
    settings: settingsByFeature(settings),
    client: deps.client,
    clock: systemClock,
    log: deps.log,
    metrics: deps.metrics,
    backoff,
    watch: watchOptions(settings, backoff),
    discovery: new Discovery(deps.client),
    recent: new RecentAlerts(settings.recentAlertsCacheSize),
    leading: deps.leading,
  };
}

/** What most features are handed: the client, clock, logger and metrics. */
const common = (ctx: FeatureContext) => ({
  client: ctx.client,
  clock: ctx.clock,
  log: ctx.log,
  metrics: ctx.metrics,
});

/**
 * What the pipelines that run on every replica and write only while leading (actions, traffic)
 * are handed: the detection store, whether this replica leads (read per write), and the sinks.
 */
function writerDeps(ctx: FeatureContext) {
  const notifier = made(ctx, 'notifier');
  return {
    ...common(ctx),
    backoff: ctx.backoff,
    detections: made(ctx, 'store'),
    active: () => ctx.leading(),
    onRaised: (alert: AuditAlert) => notifier.raised(alert),
  };
}

type Entry = Feature<SettingsByFeature, FeatureContext>;

/** The features, in start order (see the top of this file for why this order). */
export const FEATURES: readonly Entry[] = [
  {
    // Admission and audit webhook receivers (src/actors): they listen before the watches start.
    id: 'attribution',
    runs: 'every-replica',
    enabled: (s) => attributionEnabled(s.attribution),
    create: async (ctx) => {
      const a = await startAttribution(ctx.settings.attribution, {
        ...common(ctx),
        actions: actionIntake(() => ctx.actions?.handle),
      });
      ctx.attribution = a;
      return { stop: () => a.stop() };
    },
  },
  {
    // Every detection compiled once per generation, on every replica, for every pipeline (ADR 0022).
    // Exceptions by users and groups match the creator the admission webhook recorded.
    id: 'detection store',
    runs: 'every-replica',
    enabled: () => true,
    create: (ctx) => {
      const creatorOf = ctx.attribution?.creatorOf;
      const store = new DetectionStore({
        log: ctx.log,
        clock: ctx.clock,
        actorOf: creatorOf && ((obj) => creatorOf(obj.metadata.uid ?? '')),
        actionActorOf: actionActor,
      });
      ctx.store = store;
      return { start: () => store.start(ctx.client, ctx.watch), stop: () => store.stop() };
    },
  },
  {
    id: 'rbac index',
    runs: 'leader',
    enabled: (s) => s.rbac.rbacIndex,
    create: (ctx) => {
      const { client, log, metrics, watch } = ctx;
      const rbac = createRbacEnrichment(ctx.settings.rbac, { client, log, metrics, watch });
      ctx.rbac = rbac;
      return rbac;
    },
  },
  {
    // One entry for all sinks: the notifier builds the enabled ones from their own table
    // (notify/sinks.ts) and fans every alert out to them, routed per sink (ADR 0026).
    id: 'notify',
    runs: 'leader',
    enabled: () => true,
    create: (ctx) => {
      const store = made(ctx, 'store');
      const notifier = new Notifier(SINKS, {
        ...common(ctx),
        settings: ctx.settings.notify,
        detection: (n: string) => store.detection(n),
      });
      ctx.notifier = notifier;
      return { start: () => notifier.start(), stop: () => notifier.stop() };
    },
  },
  {
    id: 'lifecycle',
    runs: 'leader',
    enabled: () => true,
    create: (ctx) => {
      const store = made(ctx, 'store');
      const lifecycle = new LifecycleController(
        {
          watch: ctx.watch,
          backoff: ctx.backoff,
          concurrency: 4,
          queueEvents: queueMetrics(ctx.metrics, 'lifecycle'),
        },
        {
          client: ctx.client,
          discovery: ctx.discovery,
          clock: ctx.clock,
          log: ctx.log,
          detection: (n) => store.detection(n),
          hooks: made(ctx, 'notifier'),
          changedBy: ctx.attribution?.changedBy,
        },
      );
      ctx.lifecycle = lifecycle;
      return { start: () => lifecycle.start(), stop: () => lifecycle.stop() };
    },
  },
  {
    id: 'alert queue',
    runs: 'leader',
    enabled: () => true,
    create: (ctx) => {
      const s = ctx.settings.core;
      const { client, log, metrics, recent } = ctx;
      const lifecycle = made(ctx, 'lifecycle');
      const notifier = made(ctx, 'notifier');
      const queue = new WorkQueue<ObjectWork>(
        {
          name: 'alerts',
          concurrency: s.workers,
          backoff: ctx.backoff,
          events: queueMetrics(metrics, 'alerts'),
          // Objects wait as JSON text: its length is what they hold (--alert-backlog-mib).
          weigh: (work) => work.snapshot.length,
        },
        alertRaiser({
          ...common(ctx),
          recent,
          subjectDeleted: (name) => lifecycle.subjectDeleted(name),
          // Enrichers run in this order before each alert write (actor, RBAC, ...); see alerts/enrich.ts.
          enrichers: [
            ...(ctx.attribution?.enrichers ?? []),
            ...(ctx.rbac?.enrichers ?? []),
            createIngressBackendsEnricher(client),
          ],
          onRaised: (alert) => notifier.raised(alert),
          // Pages sized as every list-watch's (--list-page-size, --list-page-mib).
          references: new ReferenceLookup(client, ctx.discovery, ctx.watch),
          cluster: s.clusterName,
          instance: s.podName || undefined,
        }),
        log.child({ controller: 'alerts' }),
      );
      ctx.queue = queue;
      return { stop: () => queue.shutdown() };
    },
  },
  {
    // Detections and their feeds: watch event → queue key → match → build → idempotent write.
    id: 'detections',
    runs: 'leader',
    enabled: () => true,
    create: (ctx) => {
      const s = ctx.settings.core;
      const { metrics, recent } = ctx;
      const queue = made(ctx, 'queue');
      const backlogBytes = s.alertBacklogMib * MIB;
      const lifecycle = made(ctx, 'lifecycle');
      const ctl = new DetectionController(
        {
          watch: ctx.watch,
          backoff: ctx.backoff,
          queueEvents: queueMetrics(metrics, 'detections'),
          watermarkOverlapMs: s.watermarkOverlapSeconds * 1000,
          watermarkFlushMs: s.watermarkFlushSeconds * 1000,
          initialSettleMs: 5000,
        },
        {
          store: made(ctx, 'store'),
          client: ctx.client,
          discovery: ctx.discovery,
          clock: ctx.clock,
          log: ctx.log,
          feedDeps: {
            enqueue: (key, work) => queue.add(key, work),
            admit: () => {
              if (queue.below(s.alertBacklog, backlogBytes)) return undefined;
              metrics.backlogFull.inc();
              return queue.whenBelow(s.alertBacklog, backlogBytes);
            },
            recentlyRaised: (d, uid) => recent.has(d, uid),
            subjectDeleted: (d, uid) => lifecycle.subjectDeleted(alertName(d, uid)),
            watchEvents: (resource) => ({
              restarted: (reason) => metrics.watchRestarts.inc({ resource, reason }),
              relisted: () => metrics.watchRelists.inc({ resource }),
              pageShrunk: () => metrics.listPagesShrunk.inc({ resource }),
            }),
          },
          onDetectionChanged: (name) => recent.forgetDetection(name),
          onSuppressed: (detection) => metrics.suppressed.inc({ detection }),
          onStates: (c) => {
            for (const [state, n] of Object.entries(c)) metrics.detectionsReady.set({ state }, n);
          },
        },
      );
      ctx.controller = ctl;
      return { start: () => ctl.start(), stop: () => ctl.stop() };
    },
  },
  {
    id: 'retention',
    runs: 'leader',
    enabled: () => true,
    create: (ctx) => {
      const ctl = made(ctx, 'controller');
      const { client, clock, log } = ctx;
      let sweep: Periodic | undefined;
      return {
        start: () => {
          sweep = every(
            ctx.settings.core.retentionSweepSeconds * 1000,
            async () => {
              await sweepExpired({ client, clock, log, detection: (n) => ctl.detection(n) });
            },
            log,
            'retention sweep',
          );
        },
        stop: async () => await sweep?.stop(),
      };
    },
  },
  {
    // Action detections (src/actions), fed by the attribution receivers; only the leader writes.
    id: 'actions',
    runs: 'every-replica',
    enabled: (s) => actionsEnabled(s.actions),
    create: (ctx) => {
      const actions = createActions(ctx.settings.actions, writerDeps(ctx));
      ctx.actions = actions;
      return { stop: () => actions?.stop() };
    },
  },
  {
    // Access-log ingestion (src/traffic) runs on every replica (windows stay warm); only the leader writes.
    id: 'traffic',
    runs: 'every-replica',
    enabled: (s) => trafficEnabled(s.traffic),
    create: (ctx) => {
      const traffic = createTrafficIngestion(ctx.settings.traffic, writerDeps(ctx));
      ctx.traffic = traffic;
      return { start: () => traffic?.start(), stop: () => traffic?.stop() };
    },
  },
];

const MIB = 1024 * 1024;

/** Options of every list-watch. */
export type WatchOptions = ReturnType<typeof watchOptions>;

function watchOptions(s: Settings, backoff: Backoff) {
  return {
    pageSize: s.listPageSize,
    pageBytes: s.listPageMib * MIB,
    stallTimeoutMs: s.watchStallSeconds * 1000,
    watchTimeoutSeconds: s.watchTimeoutSeconds,
    backoff,
  };
}
