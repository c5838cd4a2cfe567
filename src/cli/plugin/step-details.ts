/**
 * The explanation of each step of an alert, read from its detection. Object alerts carry each step's
 * title and command only (docs/adr/0027-alert-cost.md): the explanation is the detection's, the same
 * for every alert it raises, so storing it in each alert cost the API server bytes and nodes for
 * nothing. `kubectl tripline show` puts it back: the detection's steps are rendered with the values
 * the alert records, and a step gets the explanation of the detection step whose rendered title is
 * the same. A step that matches none (the detection changed, or the step came from elsewhere) is
 * shown without one.
 */
import type { AlertStep, AuditAlert } from '../../api/generated/audit-alert.js';
import type { AuditDetection } from '../../api/generated/audit-detection.js';
import { renderSteps, type Step, type TemplateValues } from '../../detections/steps.js';

/** Steps with their explanations filled in where the alert has none, and a note when that was not possible. */
export interface ExplainedSteps {
  investigation: AlertStep[];
  resolution: AlertStep[];
  /** Why some or all explanations are missing, for the reader. */
  note?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The template values an alert records: its subject, actor, service account and labels. */
export function valuesOf(alert: AuditAlert): TemplateValues {
  const s = alert.spec.subject;
  const evidence = isRecord(alert.spec.evidence) ? alert.spec.evidence : {};
  const sa = isRecord(evidence.serviceAccount) ? evidence.serviceAccount : {};
  const pod = isRecord(evidence.pod) ? evidence.pod : {};
  const meta = isRecord(evidence.metadata) ? evidence.metadata : {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(isRecord(meta.labels) ? meta.labels : {}))
    if (typeof v === 'string') labels[k] = v;
  return {
    name: s.name,
    namespace: s.namespace,
    kind: s.kind,
    apiVersion: s.apiVersion,
    uid: s.uid,
    fieldManager: alert.spec.actor?.fieldManager,
    serviceAccount: str(sa.name) ?? str(pod.serviceAccountName),
    detection: alert.spec.detection.name,
    alert: alert.metadata?.name,
    labels,
  };
}

/** The alert's steps, each with its explanation: its own, or the detection's for the same title. */
export function explainSteps(alert: AuditAlert, detection: AuditDetection | undefined): ExplainedSteps {
  const { investigation = [], resolution = [] } = alert.spec;
  const missing = [...investigation, ...resolution].some((s) => s.detail === undefined);
  if (!missing) return { investigation, resolution };
  if (!detection)
    return {
      investigation,
      resolution,
      note: `the explanations of the steps are in AuditDetection ${alert.spec.detection.name}, which could not be read`,
    };
  const values = valuesOf(alert);
  const explain = (steps: AlertStep[], templates: readonly Step[] | undefined): AlertStep[] => {
    const byTitle = new Map<string, string>();
    for (const t of renderSteps(templates ?? [], values)) if (t.detail) byTitle.set(t.title, t.detail);
    return steps.map((s) => {
      const detail = s.detail ?? byTitle.get(s.title);
      return detail === undefined ? s : { ...s, detail };
    });
  };
  const raisedBy = alert.spec.detection.generation;
  const now = detection.metadata?.generation;
  return {
    investigation: explain(investigation, detection.spec.investigation),
    resolution: explain(resolution, detection.spec.resolution),
    note:
      raisedBy !== undefined && now !== undefined && raisedBy !== now
        ? `explanations from generation ${now} of AuditDetection ${alert.spec.detection.name}; the alert was raised by generation ${raisedBy}`
        : undefined,
  };
}
