/** API group of Tripline's custom resources. */
export const GROUP = 'tripline.dev';
/** Served and stored version of both kinds. */
export const VERSION = 'v1alpha1';
/** `apiVersion` of Tripline objects. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Plural resource names, as in the CRDs. */
export const RESOURCES = {
  alerts: 'auditalerts',
  detections: 'auditdetections',
} as const;

/** The one field manager every write of the operator carries (server-side apply and plain writes alike). */
export const FIELD_MANAGER = 'tripline';

/** Labels the operator sets on every AuditAlert. Never copied from the subject. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  detection: 'tripline.dev/detection',
  severity: 'tripline.dev/severity',
  subjectKind: 'tripline.dev/subject-kind',
  subjectNamespace: 'tripline.dev/subject-namespace',
  subjectName: 'tripline.dev/subject-name',
} as const;

/** Value of the managed-by label. */
export const MANAGED_BY = 'tripline';

/** Severities, most severe first. */
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Info'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** Events a detection can ask for. */
export const EVENTS = ['Created', 'Updated', 'Deleted', 'TrafficAnomaly'] as const;
/** One of {@link EVENTS}. */
export type DetectionEvent = (typeof EVENTS)[number];

/** Condition types on AuditDetection status. */
export const DETECTION_CONDITIONS = { ready: 'Ready', stalled: 'Stalled' } as const;
