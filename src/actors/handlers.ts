import type { Clock } from '../runtime/clock.js';
import { parseAdmissionReview, parseAuditEvents, reviewUid } from './records.js';
import type { AttributionStore } from './store.js';
import type { Reply } from './tls-server.js';

/** Counts what the handlers did with what they received (`recorded`, or why it was ignored). */
export type RecordCounter = (source: 'admission' | 'audit', outcome: string, n?: number) => void;

/**
 * The observe-only validating admission webhook: records who asked, then always allows. It never
 * denies, whatever it receives (the webhook configuration also says `failurePolicy: Ignore`), and
 * it answers at once: recording is a few map operations.
 */
export function admissionHandler(store: AttributionStore, clock: Clock, count: RecordCounter) {
  return (review: unknown): Reply => {
    const uid = reviewUid(review);
    if (!uid) {
      count('admission', 'malformed');
      return { status: 400, body: { message: 'expected an admission.k8s.io/v1 AdmissionReview' } };
    }
    const parsed = parseAdmissionReview(review, clock.now().getTime());
    if (parsed.kind === 'object') store.recordAdmission(parsed.record);
    else if (parsed.kind === 'status') store.recordStatusChange(parsed.change);
    count('admission', parsed.kind === 'ignored' ? parsed.reason : 'recorded');
    return {
      status: 200,
      body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } },
    };
  };
}

/** The audit webhook receiver: keeps completed writes of an audit.k8s.io/v1 EventList, skips the rest. */
export function auditHandler(store: AttributionStore, count: RecordCounter) {
  return (list: unknown): Reply => {
    const { records, skipped } = parseAuditEvents(list);
    store.recordAudit(records);
    if (records.length > 0) count('audit', 'recorded', records.length);
    if (skipped > 0) count('audit', 'skipped', skipped);
    return { status: 200, body: {} };
  };
}
