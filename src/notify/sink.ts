import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { FeatureSettings } from '../config/schema.js';

/** The settings this feature reads. */
type NotifySettings = FeatureSettings['notify'];

import type { KubeApi } from '../kube/api.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import type { AlertView } from './alert-view.js';
import type { OpenAlerts } from './open-alerts.js';
import type { OutboxMetrics } from './outbox.js';

/** Every sink the operator knows, by the id `spec.notify.sinks` and the metrics use. */
export const SINK_IDS = ['events', 'alertmanager', 'webhook', 'slack', 'policyreport'] as const;
/** One of {@link SINK_IDS}. */
export type SinkId = (typeof SINK_IDS)[number];

/** What happened to an alert. State changes come from the lifecycle controller's history entries. */
export type NoticeType =
  | 'raised'
  | 'acknowledged'
  | 'resolved'
  | 'reopened'
  | 'remediated'
  | 'remediationFailed'
  | 'remediationRejected';

export { type AlertView, viewOf } from './alert-view.js';

/** One thing to tell the sinks about one alert. */
export interface AlertNotice {
  type: NoticeType;
  alert: AlertView;
  /** When it happened (RFC 3339): detectedAt, the history entry's time, or the remediation's. */
  time: string;
  /** Who made the change, when known (history `by`). */
  by?: string;
  /** The remediation action, for remediation notices. */
  action?: string;
  /** What the operator recorded: the remediation message. Never secret values. */
  message?: string;
}

/**
 * A stable identity of a notice: the same change seen twice (a retry, the other replica) yields the
 * same id, so Event names and webhook delivery ids deduplicate.
 */
export const noticeId = (n: AlertNotice): string => `${n.alert.name}/${n.type}/${n.time}`;

/** The command that shows an alert in full, for messages. */
export const describeCommand = (alertName: string): string => `kubectl describe auditalert ${alertName}`;

/**
 * A notification sink. `notify` and `openChanged` queue work and return at once; they never throw
 * and never wait for the network, so a slow or failing sink cannot hold up alert creation.
 */
export interface Sink {
  readonly id: SinkId;
  /** A raised alert or a lifecycle change (webhook, Slack, Events). */
  notify?(notice: AlertNotice): void;
  /** An alert entered (`open`) or left the open-alert set (Alertmanager, PolicyReport). */
  openChanged?(alert: AlertView, open: boolean): void;
  /** Starts periodic work (re-sends, discovery). */
  start?(): void;
  /** Stops timers and waits for a delivery in flight. */
  stop(): Promise<void>;
}

/** What a sink is built from. */
export interface SinkDeps {
  settings: NotifySettings;
  client: KubeApi;
  clock: Clock;
  log: Logger;
  /** Open alerts as the lifecycle watch sees them (re-sends, reports). */
  open: OpenAlerts;
  /** True when this alert is routed to the sink (global severity and the detection's `notify`). */
  routed(alert: AlertView): boolean;
  /** Metrics of this sink's queue(s). */
  metrics: OutboxMetrics;
}

/** A registry entry: how a sink is enabled and built (STYLE 5; the table is in sinks.ts). */
export interface SinkEntry {
  id: SinkId;
  enabled(settings: NotifySettings): boolean;
  /** Lowest severity the sink gets, from settings; Info when the sink has no such setting. */
  minSeverity?(settings: NotifySettings): AuditAlert['spec']['severity'];
  create(deps: SinkDeps): Sink;
}
