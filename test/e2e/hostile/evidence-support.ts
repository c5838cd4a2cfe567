/**
 * Test-only support of hostile/evidence.ts: the detections, users and waits its attacks need.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../../hack/controlplane/index.js';
import { waitFor } from '../../../hack/operator-process.js';
import { create, WORKLOADS } from '../../../hack/samples.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { getAlert, kubectlOk, waitForAlerts } from '../support/cluster.js';

/** The identity the shipped policies exempt; the operator process runs as it (a client certificate). */
export const OPERATOR_SA = 'system:serviceaccount:tripline-system:tripline-operator';

/** An AuditDetection of new Deployments in `namespaces` that allows both actions on them. */
export function deploymentDetection(
  name: string,
  namespaces: string[],
  resolvedTTL: string,
  resource = 'deployments',
): string {
  return JSON.stringify({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name },
    spec: {
      title: 'e2e: Deployment created (remediable)',
      severity: 'Medium',
      category: 'Workload',
      resources: [{ group: 'apps', version: 'v1', resource }],
      match: { namespaces: { include: namespaces } },
      remediation: { allowedActions: ['ScaleToZero', 'DeleteSubject'] },
      retention: { resolvedTTL },
    },
  });
}

/** Binds the shipped people roles (tripline-view, tripline-triage) to a group, as the README says. */
export function triageBindings(id: string, group: string): string {
  const binding = (role: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `evidence-${role}-${id}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  });
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [binding('tripline-view'), binding('tripline-triage')],
  });
}

/** Installs the shipped operator RBAC (with the opt-in remediation role) and the people roles. */
export async function installShippedRbac(cp: ControlPlane): Promise<void> {
  const root = repoRoot();
  await kubectlOk(cp, ['apply', '-f', path.join(root, 'manifests/default/namespace.yaml')]);
  await kubectlOk(cp, ['apply', '-k', path.join(root, 'manifests/rbac')]);
  await kubectlOk(cp, ['apply', '-k', path.join(root, 'manifests/rbac/remediation')]);
  await kubectlOk(cp, ['apply', '-f', path.join(root, 'manifests/manager/user_roles.yaml')]);
}

/** Creates a Deployment (2 replicas) and returns it with the alert `detection` raised for it. */
export async function deploymentWithAlert(
  c: KubeClient,
  ns: string,
  name: string,
  detection: string,
): Promise<{ obj: KubeObject; alert: string }> {
  const w = WORKLOADS[1] as (typeof WORKLOADS)[number];
  const obj = await create(c, w.collection(ns), w.body(name));
  const all = await waitForAlerts(c, obj.metadata.uid as string);
  const a = all.find((x) => x.spec.detection.name === detection);
  assert.ok(a?.metadata.name, `an alert of ${detection} for Deployment ${ns}/${name}`);
  return { obj, alert: a.metadata.name };
}

/** Waits until `ok` holds for the alert; reports its last status on timeout. */
export async function until(
  c: KubeClient,
  name: string,
  ok: (a: AuditAlert) => boolean,
  what: string,
): Promise<AuditAlert> {
  let last: AuditAlert | undefined;
  try {
    await waitFor(
      async () => {
        last = await getAlert(c, name);
        return ok(last);
      },
      60_000,
      what,
    );
  } catch (err: unknown) {
    throw new Error(`${what}; last status: ${JSON.stringify(last?.status)}`, { cause: err });
  }
  return last as AuditAlert;
}

/** Waits for the operator's answer to a remediation request. */
export const remediationResult = (c: KubeClient, name: string): Promise<AuditAlert> =>
  until(c, name, (a) => a.status?.remediation?.result !== undefined, 'a remediation result');

/** The `kubectl patch … --subresource=status --type=merge` a user runs, as that user. */
export const patchStatusAs = (cp: ControlPlane, kubeconfig: string, name: string, status: unknown) =>
  cp.kubectl(
    ['patch', 'auditalert', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })],
    { kubeconfig },
  );

/** True when the object is gone or being deleted. */
export async function deletedOrGone(c: KubeClient, objPath: string): Promise<boolean> {
  try {
    const o = await c.request<KubeObject>('GET', objPath);
    return o.metadata.deletionTimestamp !== undefined;
  } catch (err: unknown) {
    if (isNotFound(err)) return true;
    throw err;
  }
}
