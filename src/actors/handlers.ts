import { type ActionEvent, parseActionReview, parseSecretReads } from '../actions/events.js';
import type { Clock } from '../runtime/clock.js';
import { parseAdmissionReview, parseAuditEvents, reviewUid } from './records.js';
import type { AttributionStore } from './store.js';
import type { Reply } from './tls-server.js';

/** Counts what the handlers did with what they received (`recorded`, or why it was ignored). */
export type RecordCounter = (source: 'admission' | 'audit', outcome: string, n?: number) => void;

/** Where action requests go (src/actions); undefined: no action detections run. */
export type ActionSink = ((e: ActionEvent) => void) | undefined;

/**
 * The observe-only validating admission webhook: records who asked, then always allows. It never
 * denies, whatever it receives (the webhook configuration also says `failurePolicy: Ignore`), and
 * it answers at once: recording is a few map operations.
 */
export function admissionHandler(
  store: AttributionStore,
  clock: Clock,
  count: RecordCounter,
  onAction: () => ActionSink,
) {
  return (review: unknown): Reply => {
    const uid = reviewUid(review);
    if (!uid) {
      count('admission', 'malformed');
      return { status: 400, body: { message: 'expected an admission.k8s.io/v1 AdmissionReview' } };
    }
    // CONNECT on pods/exec|attach|portforward and CREATE on serviceaccounts/token are actions.
    const action = parseActionReview(review, clock.now().getTime());
    const sink = onAction();
    if (action?.kind === 'action' && sink) sink(action.event);
    if (action)
      count('admission', action.kind === 'action' ? (sink ? 'action' : 'action-off') : action.reason);
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
export function auditHandler(store: AttributionStore, count: RecordCounter, onAction: () => ActionSink) {
  return (list: unknown): Reply => {
    const { records, skipped } = parseAuditEvents(list);
    store.recordAudit(records);
    const sink = onAction();
    if (sink) {
      const reads = parseSecretReads(list);
      for (const e of reads) sink(e);
      if (reads.length > 0) count('audit', 'action', reads.length);
    }
    if (records.length > 0) count('audit', 'recorded', records.length);
    if (skipped > 0) count('audit', 'skipped', skipped);
    return { status: 200, body: {} };
  };
}
