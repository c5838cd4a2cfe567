import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import { alertName } from './name.js';

/** Kinds each action applies to (undefined: any kind). */
export const APPLIES_TO: Record<string, readonly string[] | undefined> = {
  DeleteSubject: undefined,
  ScaleToZero: ['Deployment', 'StatefulSet', 'ReplicaSet'],
  RevokeClusterRole: ['ClusterRole'],
};

/** Namespaces whose objects (and which themselves) remediation never touches unless allowed. */
export const SYSTEM_NAMESPACES: readonly string[] = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'tripline-system',
];
/** Namespaces that are system objects themselves, though what runs in them need not be. */
const PROTECTED_NAMESPACE_OBJECTS: readonly string[] = [...SYSTEM_NAMESPACES, 'default'];
/** The user-facing default ClusterRoles (and their bindings' usual names) every cluster relies on. */
const DEFAULT_ROLES: readonly string[] = ['cluster-admin', 'admin', 'edit', 'view'];

/** What a guard reads: the alert, the action asked for, its detection, and the subject's resource. */
export interface GuardInput {
  alert: AuditAlert;
  action: string;
  detection: AuditDetection;
  /** The subject's group and plural as discovery resolved them; undefined when it could not. */
  resource: { group: string; resource: string } | undefined;
}

/** One reason to refuse, or undefined when the guard passes. */
type Guard = (g: GuardInput) => string | undefined;

const allowed: Guard = ({ alert, action, detection }) => {
  const list = (detection.spec.remediation?.allowedActions ?? []) as string[];
  if (list.includes(action)) return undefined;
  return `action ${action} is not allowed by AuditDetection ${alert.spec.detection.name} (spec.remediation.allowedActions: [${list.join(', ')}])`;
};

const fitsKind: Guard = ({ alert, action }) => {
  if (!(action in APPLIES_TO)) return `unknown action ${action}`;
  const kinds = APPLIES_TO[action];
  if (!kinds || kinds.includes(alert.spec.subject.kind)) return undefined;
  return `action ${action} applies to ${kinds.join(', ')}, not to ${alert.spec.subject.kind}`;
};

const notResolved: Guard = ({ alert }) =>
  alert.status?.state === 'Resolved'
    ? 'the alert is Resolved: a closed alert remediates nothing (reopen it with state Open first)'
    : undefined;

const hasUid: Guard = ({ alert }) =>
  alert.spec.subject.uid
    ? undefined
    : 'the subject has no uid: without a uid precondition the operator could hit another object that took the name';

/**
 * The operator names every alert it raises deterministically (alerts/name.ts, traffic/alert.ts):
 * an alert with another name was not raised by it, whoever wrote it.
 */
const raisedByOperator: Guard = ({ alert }) => {
  const { detection, subject, changeKey, event } = alert.spec;
  const name = alert.metadata?.name;
  const expected = [alertName(detection.name, subject.uid as string, changeKey)];
  if (event === 'TrafficAnomaly' && subject.namespace) {
    expected.push(
      alertName(detection.name, `traffic/ingress/${subject.namespace}/${subject.name}`, changeKey),
    );
  }
  if (name && expected.includes(name)) return undefined;
  return `the alert's name ${name} is not the name the operator gives (detection, subject uid, change key): ${expected[0]}; it was not raised by the operator`;
};

const watchedKind: Guard = ({ alert, detection, resource }) => {
  const s = alert.spec.subject;
  if (!resource) return `the API server does not serve kind ${s.kind} in ${s.apiVersion}`;
  const watched = detection.spec.resources ?? [];
  if (watched.some((r) => (r.group ?? '') === resource.group && r.resource === resource.resource))
    return undefined;
  const what = resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
  return `AuditDetection ${alert.spec.detection.name} does not watch ${what}: it remediates only kinds it watches`;
};

/** True for the system objects of {@link SYSTEM_NAMESPACES}, `system:` RBAC objects and the default roles. */
export function isSystemObject(subject: AuditAlert['spec']['subject']): boolean {
  if (subject.namespace && SYSTEM_NAMESPACES.includes(subject.namespace)) return true;
  if (subject.kind === 'Namespace') return PROTECTED_NAMESPACE_OBJECTS.includes(subject.name);
  if (subject.kind === 'ClusterRole' || subject.kind === 'ClusterRoleBinding') {
    return subject.name.startsWith('system:') || DEFAULT_ROLES.includes(subject.name);
  }
  return false;
}

const notSystem: Guard = ({ alert, detection }) => {
  const s = alert.spec.subject;
  if (detection.spec.remediation?.allowSystemObjects === true || !isSystemObject(s)) return undefined;
  const where = s.namespace ? `${s.namespace}/${s.name}` : s.name;
  return `${s.kind} ${where} is a system object; remediation leaves it alone unless AuditDetection ${alert.spec.detection.name} sets spec.remediation.allowSystemObjects: true`;
};

/** Every guard, in the order their refusals are reported (the first one that refuses wins). */
const GUARDS: readonly Guard[] = [
  allowed,
  fitsKind,
  notResolved,
  hasUid,
  raisedByOperator,
  watchedKind,
  notSystem,
];

/**
 * Decides without I/O whether a remediation may run: the detection allows the action and it fits
 * the subject's kind; the alert is not Resolved; the subject has a uid (every write carries it as a
 * precondition); the alert's name is the one the operator gives, so it was raised by the operator;
 * the detection watches the subject's kind; and the subject is no system object unless the
 * detection allows those. Returns the first refusal's message.
 *
 * No maximum alert age: the uid precondition already guarantees the object acted on is the one
 * the alert is about, however old the alert.
 */
export function refusal(g: GuardInput): string | undefined {
  for (const guard of GUARDS) {
    const why = guard(g);
    if (why) return why;
  }
  return undefined;
}
