import { API_VERSION, LABELS, MANAGED_BY, maxSeverity, type Severity } from '../api/constants.js';
import type { AuditAlert, AuditAlertSpec } from '../api/generated/audit-alert.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import { renderSteps, type TemplateValues } from '../detections/steps.js';
import { actorFromManagedFields } from '../subjects/actor.js';
import type { FieldChange } from '../subjects/changes.js';
import { analyseSubject } from '../subjects/index.js';
import { isTimestamp, truncateUtf8 } from '../subjects/read.js';
import type { RuleFailure } from '../subjects/risks/types.js';
import { ALERT_LIMITS, fitNotes, fitStep } from './limits.js';
import { alertName } from './name.js';

/** The resource an alert's subject was watched as (`group` empty for the core group). */
export interface WatchedResource {
  group: string;
  version: string;
  resource: string;
}

/** Everything {@link buildAlert} needs; it reads nothing else. */
export interface BuildAlertInput {
  detection: AuditDetection;
  subject: KubeObject;
  resource: WatchedResource;
  event: 'Created' | 'Updated' | 'Deleted';
  detectedAt: Date;
  /** The alert severity when a severity override raised it; the detection's base severity otherwise. */
  severity?: AuditAlertSpec['severity'];
  /** Distinguishes changes of one subject (updates, `deleted`); absent for create. */
  changeKey?: string;
  /** For updates: the changed fields, shown as `evidence.changes`. */
  changes?: FieldChange[];
  /** For updates without `changes`: why the previous version is unknown (becomes a note). */
  changesUnknown?: string;
  /** What the detection could not fully evaluate for this subject (ADR 0014), as notes. */
  evaluationNotes?: readonly string[];
  /** Told about every risk rule whose check threw (the alert notes it; the caller logs and counts). */
  onRuleFailure?(failure: RuleFailure): void;
}

/** The `fieldManager` template value when managedFields name nobody. */
const UNKNOWN_MANAGER = '(unknown)';
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SUMMARY_PREFIX: Record<BuildAlertInput['event'], string> = {
  Created: 'New',
  Updated: 'Changed',
  Deleted: 'Deleted',
};

/** Whether `value` may be a label value (at most 63 characters, alphanumeric at both ends). */
export const isLabelValue = (value: string): boolean => value.length <= 63 && LABEL_VALUE.test(value);

/**
 * The alert with the `tripline.dev/cluster` label of `--cluster-name` (a copy); the alert itself
 * when no name is set. Applied by every writer of new alerts just before the create.
 */
export function withClusterLabel(alert: AuditAlert, cluster: string | undefined): AuditAlert {
  if (!cluster || !isLabelValue(cluster)) return alert;
  const metadata = alert.metadata ?? {};
  return { ...alert, metadata: { ...metadata, labels: { ...metadata.labels, [LABELS.cluster]: cluster } } };
}

/** `resource.group` form kubectl understands unambiguously: `deployments.apps`, `pods`. */
export const qualifiedResource = (r: WatchedResource): string =>
  r.group ? `${r.resource}.${r.group}` : r.resource;

function alertLabels(detection: string, spec: AuditAlertSpec): Record<string, string> {
  const labels: Record<string, string> = { [LABELS.managedBy]: MANAGED_BY, [LABELS.severity]: spec.severity };
  const optional: Array<[string, string | undefined]> = [
    [LABELS.detection, detection],
    [LABELS.subjectKind, spec.subject.kind],
    [LABELS.subjectNamespace, spec.subject.namespace],
    [LABELS.subjectName, spec.subject.name],
  ];
  // Only values the API server accepts; never the subject's own labels (GitOps tools would adopt the alert).
  for (const [key, value] of optional) if (value && isLabelValue(value)) labels[key] = value;
  return labels;
}

function subjectOf(obj: KubeObject, notes: string[]): AuditAlertSpec['subject'] {
  const m = obj.metadata ?? {};
  const subject: AuditAlertSpec['subject'] = {
    apiVersion: truncateUtf8(String(obj.apiVersion ?? ''), 317),
    kind: truncateUtf8(String(obj.kind ?? ''), 63),
    name: truncateUtf8(String(m.name ?? ''), 253),
  };
  if (m.namespace) subject.namespace = truncateUtf8(m.namespace, 63);
  if (m.uid) subject.uid = truncateUtf8(m.uid, 64);
  if (m.resourceVersion) subject.resourceVersion = truncateUtf8(m.resourceVersion, 64);
  if (m.creationTimestamp && isTimestamp(m.creationTimestamp))
    subject.creationTimestamp = m.creationTimestamp;
  else if (m.creationTimestamp) notes.push('metadata.creationTimestamp is not an RFC 3339 time; left out');
  return subject;
}

/** The identity an alert name hashes: the uid, or (for an object without one) its coordinates. */
function identity(subject: AuditAlertSpec['subject'], notes: string[]): string {
  if (subject.uid) return subject.uid;
  notes.push('the subject has no uid; the alert is keyed on apiVersion, kind, namespace and name');
  return `${subject.apiVersion}/${subject.kind}/${subject.namespace ?? ''}/${subject.name}`;
}

/** The subject's labels with string values (a malformed label map yields what is usable). */
function stringLabels(obj: KubeObject): Record<string, string> {
  const labels = obj.metadata?.labels;
  const out: Record<string, string> = {};
  if (labels === null || typeof labels !== 'object') return out;
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Steps rendered without the detection's explanations (ADR 27). */
const COMPACT = { details: false } as const;

/**
 * The AuditAlert for one subject and event, as the operator creates it: deterministic name, the
 * labels of DESIGN §2.1 (never the subject's), no ownerReferences (deleting the subject must not
 * delete the evidence), and a spec with summary, subject, actor, evidence, notes, the subject's
 * risks (the severity is the most severe of the detection's and theirs) and the detection's steps
 * rendered with the real names. Pure: same input, same alert (`onRuleFailure` only reports).
 */
export function buildAlert(input: BuildAlertInput): AuditAlert {
  const { detection, subject, event } = input;
  const analysis = analyseSubject(subject);
  for (const f of analysis.ruleFailures) input.onRuleFailure?.(f);
  const notes = [...analysis.notes];
  const detectionName = detection.metadata?.name ?? '';
  const subjectRef = subjectOf(subject, notes);
  const name = alertName(detectionName, identity(subjectRef, notes), input.changeKey);
  const actor = actorFromManagedFields(subject);
  if (!actor.fieldManager) notes.push('metadata.managedFields is empty; the creator is unknown');
  const values: TemplateValues = {
    ...analysis.vars,
    resource: qualifiedResource(input.resource),
    detection: detectionName,
    alert: name,
    fieldManager: actor.fieldManager ?? UNKNOWN_MANAGER,
    labels: stringLabels(subject),
  };
  if (input.changesUnknown) notes.push(input.changesUnknown);
  notes.push(...(input.evaluationNotes ?? []));
  const spec: AuditAlertSpec = {
    detection: { name: detectionName, generation: detection.metadata?.generation ?? 0 },
    // Risks found in the subject raise the severity, never lower it (as enrichers' risks do).
    severity: analysis.risks.reduce<Severity>(
      (s, r) => maxSeverity(s, r.severity),
      input.severity ?? detection.spec.severity,
    ),
    category: detection.spec.category,
    event,
    summary: truncateUtf8(`${SUMMARY_PREFIX[event]} ${analysis.summary}`, ALERT_LIMITS.summary),
    subject: subjectRef,
    actor,
    evidence: input.changes ? { ...analysis.evidence, changes: input.changes } : analysis.evidence,
    notes: fitNotes(notes),
    risks: analysis.risks,
    whoCan: [],
    // Title and command only: the explanation of each step is the detection's, the same for every
    // alert it raises, and `kubectl tripline show` prints it from there (ADR 27).
    investigation: renderSteps(detection.spec.investigation ?? [], values, COMPACT).map(fitStep),
    resolution: renderSteps(detection.spec.resolution ?? [], values, COMPACT).map(fitStep),
    detectedAt: input.detectedAt.toISOString(),
  };
  if (input.changeKey !== undefined) spec.changeKey = truncateUtf8(input.changeKey, 256);
  return {
    apiVersion: API_VERSION,
    kind: 'AuditAlert',
    metadata: { name, labels: alertLabels(detectionName, spec) },
    spec,
  };
}
