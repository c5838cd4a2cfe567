/**
 * Action detections (issue 20, ADR 0017): requests that leave no object — exec, attach,
 * port-forward, token requests, Secret reads — seen by the admission webhook and the audit
 * receiver of src/actors, matched against the action detections, and written as episodes by the
 * leader. Wired here; the parts are events.ts (parsing), detections.ts (matching), episode.ts
 * (aggregation) and writer.ts (alerts).
 */
import type { AlertingDeps } from '../alerts/deps.js';
import type { FeatureSettings } from '../config/schema.js';
import { queueMetrics } from '../observability/metrics.js';
import { matchingActions } from './detections.js';
import type { ActionEvent } from './events.js';
import { ActionAlertWriter } from './writer.js';

/** What the operator wires in. */
export type ActionDeps = AlertingDeps;

/** The running action detections. */
export interface Actions {
  /** Takes one request from a webhook; never throws or waits. */
  handle(e: ActionEvent): void;
  stop(): Promise<void>;
}

/** An episode that saw no request for an hour is over: the next request opens a new alert. */
export const ACTION_QUIET_MS = 60 * 60_000;

/** The action detections, or undefined when neither webhook listens (nothing could feed them). */
export function createActions(settings: FeatureSettings['actions'], deps: ActionDeps): Actions | undefined {
  if (!actionsEnabled(settings)) return undefined;
  const log = deps.log.child({ component: 'actions' });
  const m = deps.metrics;
  const writer = new ActionAlertWriter(
    {
      client: deps.client,
      clock: deps.clock,
      log,
      backoff: deps.backoff,
      matching: (e) => matchingActions(deps.detections, e),
      active: deps.active,
      outcome: (detection, event, outcome) => m.actionAlerts.inc({ detection, event, outcome }),
      onRaised: deps.onRaised,
      cluster: settings.clusterName,
      queueEvents: queueMetrics(m, 'action-alerts'),
    },
    {
      quietMs: ACTION_QUIET_MS,
      maxPending: Math.max(100, settings.attributionCacheSize),
      maxSeen: Math.max(1000, settings.attributionCacheSize),
    },
  );
  return {
    handle: (e) => m.actionEvents.inc({ event: e.type, outcome: writer.handle(e) }),
    stop: async () => {
      await writer.stop();
    },
  };
}

/** Action detections are on when a webhook receiver listens (nothing else could feed them). */
export function actionsEnabled(
  s: Pick<FeatureSettings['actions'], 'admissionBindAddress' | 'auditBindAddress'>,
): boolean {
  return s.admissionBindAddress !== 'off' || s.auditBindAddress !== 'off';
}
