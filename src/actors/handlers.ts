import type { Clock } from '../runtime/clock.js';
import { parseAdmissionReview, parseAuditEvents, reviewUid } from './records.js';
import type { AttributionStore } from './store.js';
import type { Reply } from './tls-server.js';

/** Counts what the handlers did with what they received (`recorded`, or why it was ignored). */
export type RecordCounter = (source: 'admission' | 'audit', outcome: string, n?: number) => void;

/**
 * Where the webhooks hand what may be an action (exec, attach, port-forward, token requests, Secret
 * reads). The action detections own those shapes and implement it (src/actions/intake.ts);
 * attribution only routes bodies, so it does not depend on the actions feature.
 */
export interface ActionIntake {
  /**
   * Takes an admission review that is an action and returns the outcome to count (`action`,
   * `action-off` when no action detection runs, or why it was ignored); undefined for any other
   * review, which attribution records.
   */
  review(review: unknown, nowMs: number): string | undefined;
  /** Takes the Secret reads of an audit.k8s.io/v1 EventList; how many were taken. */
  audit(list: unknown): number;
}

/** An intake that takes nothing: every review is attribution's. */
export const NO_ACTIONS: ActionIntake = { review: () => undefined, audit: () => 0 };

/**
 * The observe-only validating admission webhook: records who asked, then always allows. It never
 * denies, whatever it receives (the webhook configuration also says `failurePolicy: Ignore`), and
 * it answers at once: recording is a few map operations.
 */
export function admissionHandler(
  store: AttributionStore,
  clock: Clock,
  count: RecordCounter,
  actions: ActionIntake,
) {
  return (review: unknown): Reply => {
    const uid = reviewUid(review);
    if (!uid) {
      count('admission', 'malformed');
      return { status: 400, body: { message: 'expected an admission.k8s.io/v1 AdmissionReview' } };
    }
    // CONNECT on pods/exec|attach|portforward and CREATE on serviceaccounts/token are actions.
    const action = actions.review(review, clock.now().getTime());
    if (action !== undefined) count('admission', action);
    else {
      const parsed = parseAdmissionReview(review, clock.now().getTime());
      if (parsed.kind === 'object') store.recordAdmission(parsed.record);
      else if (parsed.kind === 'status') store.recordStatusChange(parsed.change);
      count('admission', parsed.kind === 'ignored' ? parsed.reason : 'recorded');
    }
    return {
      status: 200,
      body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } },
    };
  };
}

/**
 * The audit webhook receiver: keeps completed writes of an audit.k8s.io/v1 EventList and hands
 * Secret reads to the action detections; skips the rest.
 */
export function auditHandler(store: AttributionStore, count: RecordCounter, actions: ActionIntake) {
  return (list: unknown): Reply => {
    const { records, skipped } = parseAuditEvents(list);
    store.recordAudit(records);
    const reads = actions.audit(list);
    if (reads > 0) count('audit', 'action', reads);
    if (records.length > 0) count('audit', 'recorded', records.length);
    if (skipped > 0) count('audit', 'skipped', skipped);
    return { status: 200, body: {} };
  };
}
