import type { AlertRemediation, AuditAlert } from '../api/generated/audit-alert.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeApi } from '../kube/api.js';
import { isForbidden, isNotFound, isRetryable } from '../kube/errors.js';
import { type Discovery, objectPath } from '../kube/resources.js';
import { type GuardInput, refusal } from './remediation-guards.js';

/** The recorded outcome of a remediation request. */
export type RemediationOutcome = Required<Pick<AlertRemediation, 'result' | 'message'>>;

/** A pending request: an action asked for and no result recorded yet. */
export function pendingAction(alert: AuditAlert): string | undefined {
  const r = alert.status?.remediation;
  return r?.action && !r.result ? r.action : undefined;
}

/**
 * Decides without I/O whether an action may run (the guards of remediation-guards.ts), given the
 * subject's resource as discovery resolved it. A deleted detection refuses everything.
 */
export function rejection(
  alert: AuditAlert,
  action: string,
  detection: AuditDetection | undefined,
  resource: GuardInput['resource'],
): string | undefined {
  const name = alert.spec.detection.name;
  if (!detection) return `AuditDetection ${name} no longer exists; nothing may be remediated in its name`;
  return refusal({ alert, action, detection, resource });
}

/**
 * The subject's group and plural, or undefined when the API server does not serve its kind.
 * Transient API errors are thrown (the reconcile is retried), never turned into a refusal.
 */
export async function subjectResource(
  discovery: Discovery,
  alert: AuditAlert,
): Promise<GuardInput['resource']> {
  const s = alert.spec.subject;
  try {
    const info = await discovery.resolveKind(s.apiVersion, s.kind);
    return { group: info.group, resource: info.resource };
  } catch (err: unknown) {
    if (err instanceof Error && isRetryable(err.cause)) throw err;
    return undefined;
  }
}

/**
 * Who asked for the pending action, from the alert's managedFields: `manager:` and the field
 * manager of the status write that owns `status.remediation.action` (e.g. `manager:kubectl-patch`).
 * A field manager is chosen by the client, so this says which tool, not which user; the admission
 * webhook records users for state changes only (src/actors).
 */
export function requester(alert: AuditAlert): string | undefined {
  type Entry = { manager?: string; subresource?: string; fieldsV1?: Record<string, unknown> };
  const entries = (alert.metadata?.managedFields ?? []) as Entry[];
  const owns = (e: Entry): boolean => {
    const status = e.fieldsV1?.['f:status'] as Record<string, unknown> | undefined;
    const rem = status?.['f:remediation'] as Record<string, unknown> | undefined;
    return e.subresource === 'status' && rem?.['f:action'] !== undefined;
  };
  const manager = entries.find(owns)?.manager;
  return manager ? `manager:${manager}`.slice(0, 512) : undefined;
}

/**
 * Executes an allowed action against the subject. An answer that the subject is already gone
 * counts as success (a retry after a crash between the action and its record). RBAC refusals and
 * other API errors become a Failed result with the API server's message, never a crash.
 */
export async function execute(
  client: KubeApi,
  discovery: Discovery,
  alert: AuditAlert,
  action: string,
): Promise<RemediationOutcome> {
  const s = alert.spec.subject;
  try {
    const info = await discovery.resolveKind(s.apiVersion, s.kind);
    const path = objectPath(info, info.namespaced, s.name, s.namespace);
    const uid = s.uid;
    if (!uid) throw new Error('the subject has no uid; refusing to act without a uid precondition');
    if (action === 'ScaleToZero') {
      await scaleToZero(client, path, uid);
      return { result: 'Succeeded', message: `scaled ${s.kind} ${s.namespace}/${s.name} to 0 replicas` };
    }
    const bindings = action === 'RevokeClusterRole' ? await bindingsOf(client, s.name) : [];
    await deleteSubject(client, path, uid);
    const also = bindings.length > 0 ? `; bindings that referenced it: ${bindings.join(', ')}` : '';
    return {
      result: 'Succeeded',
      message: `deleted ${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}${also}`,
    };
  } catch (err: unknown) {
    const why = isForbidden(err)
      ? 'the operator is not allowed to do this (grant it the opt-in tripline-remediator ClusterRole)'
      : 'the API server refused it';
    return {
      result: 'Failed',
      message: `${action} failed: ${why}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/**
 * Sets replicas to 0 through the scale subresource with a JSON patch whose first operation tests
 * metadata.uid (a Scale carries its object's uid): a new object that took the name is never
 * scaled, the patch fails as a whole instead.
 */
async function scaleToZero(client: KubeApi, path: string, uid: string): Promise<void> {
  await client.request('PATCH', `${path}/scale`, {
    body: [
      { op: 'test', path: '/metadata/uid', value: uid },
      { op: 'replace', path: '/spec/replicas', value: 0 },
    ],
    contentType: 'application/json-patch+json',
  });
}

async function deleteSubject(client: KubeApi, path: string, uid: string): Promise<void> {
  try {
    // The uid precondition makes sure a new object that took the name is never deleted.
    await client.request('DELETE', path, {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } },
    });
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err;
  }
}

async function bindingsOf(client: KubeApi, role: string): Promise<string[]> {
  type Binding = { metadata: { name: string; namespace?: string }; roleRef: { kind: string; name: string } };
  const refs = (items: Binding[]) =>
    items
      .filter((b) => b.roleRef.kind === 'ClusterRole' && b.roleRef.name === role)
      .map((b) =>
        b.metadata.namespace
          ? `RoleBinding ${b.metadata.namespace}/${b.metadata.name}`
          : `ClusterRoleBinding ${b.metadata.name}`,
      );
  const crb = await client.request<{ items: Binding[] }>(
    'GET',
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  );
  const rb = await client.request<{ items: Binding[] }>(
    'GET',
    '/apis/rbac.authorization.k8s.io/v1/rolebindings',
  );
  return [...refs(crb.items), ...refs(rb.items)];
}
