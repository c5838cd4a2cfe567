import type { AlertSubject, AuditAlert } from '../api/generated/audit-alert.js';

/** Most risks carried in a view: enough for a message, bounded whatever the alert holds. */
const MAX_VIEW_RISKS = 5;

/**
 * The part of an AuditAlert the sinks use: small and bounded (no evidence, steps or whoCan), so the
 * open-alert set and the queues stay small however large the alerts are.
 */
export interface AlertView {
  name: string;
  /** The AuditAlert's uid; unknown right after the create (the raiser sends the body it wrote). */
  uid?: string;
  detection: string;
  severity: AuditAlert['spec']['severity'];
  category: AuditAlert['spec']['category'];
  event: AuditAlert['spec']['event'];
  summary: string;
  subject: AlertSubject;
  detectedAt: string;
  state: 'Open' | 'Acknowledged' | 'Resolved';
  reason?: string;
  assignee?: string;
  actor?: { username?: string; fieldManager?: string };
  risks: { id: string; severity: string; message: string }[];
}

/** The view of an alert (a copy; the alert is not kept). */
export function viewOf(alert: AuditAlert): AlertView {
  const { spec, status, metadata } = alert;
  const actor = spec.actor
    ? {
        ...(spec.actor.username ? { username: spec.actor.username } : {}),
        ...(spec.actor.fieldManager ? { fieldManager: spec.actor.fieldManager } : {}),
      }
    : undefined;
  const subject: AlertSubject = {
    apiVersion: spec.subject.apiVersion,
    kind: spec.subject.kind,
    name: spec.subject.name,
    ...(spec.subject.namespace ? { namespace: spec.subject.namespace } : {}),
    ...(spec.subject.uid ? { uid: spec.subject.uid } : {}),
  };
  return {
    name: metadata?.name as string,
    ...(metadata?.uid ? { uid: metadata.uid } : {}),
    detection: spec.detection.name,
    severity: spec.severity,
    category: spec.category,
    event: spec.event,
    summary: spec.summary,
    subject,
    detectedAt: spec.detectedAt,
    state: status?.state ?? 'Open',
    ...(status?.reason ? { reason: status.reason } : {}),
    ...(status?.assignee ? { assignee: status.assignee } : {}),
    ...(actor && Object.keys(actor).length > 0 ? { actor } : {}),
    risks: (spec.risks ?? [])
      .slice(0, MAX_VIEW_RISKS)
      .map((r) => ({ id: r.id, severity: r.severity, message: r.message })),
  };
}
