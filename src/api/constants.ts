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

/** Collection path of AuditAlerts (cluster-scoped). */
export const ALERTS_PATH = `/apis/${API_VERSION}/${RESOURCES.alerts}`;
/** Collection path of AuditDetections (cluster-scoped). */
export const DETECTIONS_PATH = `/apis/${API_VERSION}/${RESOURCES.detections}`;

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
  /** The `--cluster-name` of the operator that raised the alert; absent when none is set. */
  cluster: 'tripline.dev/cluster',
} as const;

/** Value of the managed-by label. */
export const MANAGED_BY = 'tripline';

/** Severities, most severe first. */
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Info'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** The more severe of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b;
}

/** Events a detection can ask for. */
export const EVENTS = [
  'Created',
  'Updated',
  'Deleted',
  'TrafficAnomaly',
  'Exec',
  'Attach',
  'PortForward',
  'TokenRequest',
  'SecretRead',
] as const;
/** One of {@link EVENTS}. */
export type DetectionEvent = (typeof EVENTS)[number];

/** Condition types on AuditDetection status. */
export const DETECTION_CONDITIONS = { ready: 'Ready', stalled: 'Stalled' } as const;

/** Alert categories (`spec.category` of both kinds). */
export const CATEGORIES = ['Exposure', 'Workload', 'RBAC', 'Tenancy', 'Traffic', 'Other'] as const;
/** Alert states (`status.state`), in lifecycle order. A new alert reads `Open` (schema default). */
export const ALERT_STATES = ['Open', 'Acknowledged', 'Resolved'] as const;
/** Why an alert was resolved (`status.reason`); required when Resolved, `Other` also needs a note. */
export const RESOLUTION_REASONS = ['Remediated', 'FalsePositive', 'Expected', 'Duplicate', 'Other'] as const;
/** Remediations a person may request (`status.remediation.action`), honoured only when the detection allows them. */
export const REMEDIATION_ACTIONS = ['DeleteSubject', 'ScaleToZero', 'RevokeClusterRole'] as const;
/** Outcomes of a remediation (`status.remediation.result`). */
export const REMEDIATION_RESULTS = ['Succeeded', 'Failed', 'Rejected'] as const;
/** Most `status.history` entries the CRD accepts; the operator keeps the newest ones. */
export const MAX_HISTORY = 100;

/**
 * Prefix of a recorded status change that is a remediation request (`remediation:DeleteSubject`):
 * the admission webhook records who asked, and the lifecycle controller names them in
 * `status.remediation.requestedBy`.
 */
export const REMEDIATION_REQUEST = 'remediation:';

/** `reportingController` of every Event (what `kubectl describe` shows under From). */
export const REPORTING_CONTROLLER = 'tripline.dev/operator';

/** The events an action detection can name. */
export const ACTION_EVENTS = ['Exec', 'Attach', 'PortForward', 'TokenRequest', 'SecretRead'] as const;
/** One of {@link ACTION_EVENTS}. */
export type ActionType = (typeof ACTION_EVENTS)[number];

const ACTION_SET: ReadonlySet<string> = new Set(ACTION_EVENTS);
/** True for an event name that is an action event. */
export const isActionEvent = (e: string): e is ActionType => ACTION_SET.has(e);
