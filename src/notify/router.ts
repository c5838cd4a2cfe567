import { SEVERITIES, type Severity } from '../api/constants.js';
import type { AlertHistoryEntry, AuditAlert } from '../api/generated/audit-alert.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { FeatureSettings } from '../config/schema.js';

/** The settings this feature reads. */
type NotifySettings = FeatureSettings['notify'];

import type { KubeApi } from '../kube/api.js';
import type { ObservedType } from '../kube/list-watch.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../runtime/clock.js';
import { toRfc3339 } from '../runtime/clock.js';
import { OpenAlerts } from './open-alerts.js';
import type { OutboxMetrics } from './outbox.js';
import {
  type AlertNotice,
  type AlertView,
  type NoticeType,
  type Sink,
  type SinkEntry,
  type SinkId,
  viewOf,
} from './sink.js';

/** A detection's `spec.notify`. */
export type DetectionNotify = NonNullable<AuditDetection['spec']['notify']>;

const atLeast = (severity: string, min: string): boolean =>
  SEVERITIES.indexOf(severity as Severity) <= SEVERITIES.indexOf(min as Severity);

/**
 * Whether an alert goes to a sink: at or above the sink's global minimum severity, and, when the
 * detection has `notify`, among its `sinks` (if listed) and at or above its `minSeverity` (if set).
 * Pure; the table of cases is in test/unit/notify/router.test.ts.
 */
export function routes(
  sink: SinkId,
  severity: string,
  globalMin: Severity,
  notify: DetectionNotify | undefined,
): boolean {
  if (!atLeast(severity, globalMin)) return false;
  if (notify?.minSeverity && !atLeast(severity, notify.minSeverity)) return false;
  return notify?.sinks === undefined || notify.sinks.includes(sink);
}

/** The notice type of a recorded state change. */
export function noticeOfEntry(entry: AlertHistoryEntry): NoticeType {
  if (entry.to === 'Acknowledged') return 'acknowledged';
  if (entry.to === 'Resolved') return 'resolved';
  return 'reopened';
}

/** The notice type of a remediation outcome. */
export const REMEDIATION_NOTICES: Record<string, NoticeType> = {
  Succeeded: 'remediated',
  Failed: 'remediationFailed',
  Rejected: 'remediationRejected',
};

/** A change the lifecycle controller recorded (written to the alert's status). */
export interface RecordedChange {
  /** The history entry appended for a state change. */
  entry?: AlertHistoryEntry;
  /** The outcome of a remediation request. */
  remediation?: { action: string; result: string; message?: string };
}

/** What the notifier needs. */
export interface NotifierDeps {
  settings: NotifySettings;
  client: KubeApi;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** The current AuditDetection of that name, if known (for `spec.notify`). */
  detection(name: string): AuditDetection | undefined;
}

/**
 * Builds the enabled sinks from the table and fans alerts out to them. Every entry point only
 * queues (each sink has its own bounded queue and delivery loop) and never throws, so neither the
 * alert raiser nor the lifecycle controller can be held up or broken by a sink.
 */
export class Notifier {
  /** Open alerts as the lifecycle watch sees them. */
  readonly open: OpenAlerts;
  readonly #sinks: Sink[] = [];
  readonly #routes = new Map<Sink, (a: AlertView) => boolean>();
  readonly #deps: NotifierDeps;
  readonly #log: Logger;

  constructor(table: readonly SinkEntry[], deps: NotifierDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ controller: 'notify' });
    this.open = new OpenAlerts((a, open) => this.#openChanged(a, open), this.#log);
    for (const entry of table) {
      if (!entry.enabled(deps.settings)) continue;
      const min = entry.minSeverity?.(deps.settings) ?? 'Info';
      const routed = (a: AlertView): boolean =>
        routes(entry.id, a.severity, min, deps.detection(a.detection)?.spec.notify);
      const sink = entry.create({
        settings: deps.settings,
        client: deps.client,
        clock: deps.clock,
        log: this.#log.child({ sink: entry.id }),
        open: this.open,
        routed,
        metrics: outboxMetrics(deps.metrics, entry.id),
      });
      this.#sinks.push(sink);
      this.#routes.set(sink, routed);
      deps.metrics.notificationsSent.inc({ sink: entry.id }, 0); // present from the start, for dashboards
    }
  }

  /** Ids of the enabled sinks, in table order. */
  get sinks(): SinkId[] {
    return this.#sinks.map((s) => s.id);
  }

  /** Starts every sink's delivery loop and periodic work. */
  start(): void {
    for (const s of this.#sinks) s.start?.();
    this.#log.info('Notification sinks started', { sinks: this.sinks });
  }

  /** Stops every sink (deliveries in flight finish; queued ones are dropped). */
  async stop(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.stop()));
  }

  /** The raiser created an alert (not called for an alert that already existed). */
  raised(alert: AuditAlert): void {
    this.#guard(() => this.#dispatch({ type: 'raised', alert: viewOf(alert), time: alert.spec.detectedAt }));
  }

  /** The lifecycle controller recorded a state change and/or a remediation outcome. */
  recorded(alert: AuditAlert, change: RecordedChange): void {
    this.#guard(() => this.#recorded(alert, change));
  }

  #recorded(alert: AuditAlert, change: RecordedChange): void {
    const view = viewOf(alert);
    const r = change.remediation;
    const type = r ? REMEDIATION_NOTICES[r.result] : undefined;
    if (r && type) {
      const time = toRfc3339(this.#deps.clock.now());
      this.#dispatch({
        type,
        alert: view,
        time,
        action: r.action,
        ...(r.message ? { message: r.message } : {}),
      });
    }
    const e = change.entry;
    if (e)
      this.#dispatch({ type: noticeOfEntry(e), alert: view, time: e.time, ...(e.by ? { by: e.by } : {}) });
  }

  /** An alert as the lifecycle watch delivered it (listed, added, modified or deleted). */
  observed(type: ObservedType, alert: AuditAlert): void {
    this.#guard(() => this.open.observe(type, alert));
  }

  /** The lifecycle watch finished a complete list. */
  listed(): void {
    this.#guard(() => this.open.listed());
  }

  #dispatch(n: AlertNotice): void {
    for (const s of this.#sinks) {
      if (s.notify && this.#routes.get(s)?.(n.alert)) this.#guard(() => s.notify?.(n));
    }
  }

  #openChanged(a: AlertView, open: boolean): void {
    const counts = this.open.counts();
    for (const [severity, n] of Object.entries(counts)) this.#deps.metrics.openAlerts.set({ severity }, n);
    for (const s of this.#sinks) if (s.openChanged) this.#guard(() => s.openChanged?.(a, open));
  }

  /** A sink bug must not break the caller (the raiser, the lifecycle watch): log it and go on. */
  #guard(f: () => void): void {
    try {
      f();
    } catch (err: unknown) {
      this.#log.error('Notification sink failed to queue', { err });
    }
  }
}

function outboxMetrics(m: Metrics, sink: SinkId): OutboxMetrics {
  return {
    sent: (n) => m.notificationsSent.inc({ sink }, n),
    failed: (reason, n) => m.notificationsFailed.inc({ sink, reason }, n),
    retried: () => m.notificationRetries.inc({ sink }),
    depth: (n) => m.notifyQueueDepth.set({ sink }, n),
  };
}
