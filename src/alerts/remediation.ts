import type { AlertRemediation, AuditAlert } from '../api/generated/audit-alert.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeClient } from '../kube/client.js';
import { isForbidden, isNotFound } from '../kube/errors.js';
import { type Discovery, objectPath } from '../kube/resources.js';

/** The recorded outcome of a remediation request. */
export type RemediationOutcome = Required<Pick<AlertRemediation, 'result' | 'message'>>;

/** A pending request: an action asked for and no result recorded yet. */
export function pendingAction(alert: AuditAlert): string | undefined {
  const r = alert.status?.remediation;
  return r?.action && !r.result ? r.action : undefined;
}

/** Kinds each action applies to (undefined: any kind). */
const APPLIES_TO: Record<string, readonly string[] | undefined> = {
  DeleteSubject: undefined,
  ScaleToZero: ['Deployment', 'StatefulSet', 'ReplicaSet'],
  RevokeClusterRole: ['ClusterRole'],
};

/**
 * Decides without I/O whether an action may run: the alert's detection must list it in
 * `spec.remediation.allowedActions`, and it must fit the subject's kind.
 */
export function rejection(
  alert: AuditAlert,
  action: string,
  detection: AuditDetection | undefined,
): string | undefined {
  const name = alert.spec.detection.name;
  if (!detection) return `AuditDetection ${name} no longer exists; nothing may be remediated in its name`;
  const allowed = detection.spec.remediation?.allowedActions ?? [];
  if (!(allowed as string[]).includes(action)) {
    return `action ${action} is not allowed by AuditDetection ${name} (spec.remediation.allowedActions: [${allowed.join(', ')}])`;
  }
  if (!(action in APPLIES_TO)) return `unknown action ${action}`;
  const kinds = APPLIES_TO[action];
  if (kinds && !kinds.includes(alert.spec.subject.kind)) {
    return `action ${action} applies to ${kinds.join(', ')}, not to ${alert.spec.subject.kind}`;
  }
  return undefined;
}

/**
 * Executes an allowed action against the subject. An answer that the subject is already gone
 * counts as success (a retry after a crash between the action and its record). RBAC refusals and
 * other API errors become a Failed result with the API server's message, never a crash.
 */
export async function execute(
  client: KubeClient,
  discovery: Discovery,
  alert: AuditAlert,
  action: string,
): Promise<RemediationOutcome> {
  const s = alert.spec.subject;
  try {
    const info = await discovery.resolveKind(s.apiVersion, s.kind);
    const path = objectPath(info, info.namespaced, s.name, s.namespace);
    if (action === 'ScaleToZero') {
      await client.request('PATCH', `${path}/scale`, {
        body: { spec: { replicas: 0 } },
        contentType: 'application/merge-patch+json',
      });
      return { result: 'Succeeded', message: `scaled ${s.kind} ${s.namespace}/${s.name} to 0 replicas` };
    }
    const bindings = action === 'RevokeClusterRole' ? await bindingsOf(client, s.name) : [];
    await deleteSubject(client, path, s.uid as string);
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

async function deleteSubject(client: KubeClient, path: string, uid: string): Promise<void> {
  try {
    // The uid precondition makes sure a new object that took the name is never deleted.
    await client.request('DELETE', path, {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } },
    });
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err;
  }
}

async function bindingsOf(client: KubeClient, role: string): Promise<string[]> {
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
