import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createNamespace, WORKLOADS } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { isNotFound } from '../../src/kube/errors.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  getAlert,
  installCrds,
  kubectlOk,
  patchAlertStatus,
  suffix,
  waitForAlerts,
} from './support/cluster.js';

const ARGS = ['--retention-sweep-seconds', '1', '--backoff-base-ms', '50', '--backoff-max-ms', '1000'];

/** A detection of new Deployments in one namespace that allows two actions and keeps resolved alerts 2 s. */
function remediable(name: string, ns: string): string {
  return JSON.stringify({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name },
    spec: {
      title: 'Deployment created (remediable)',
      description: 'e2e',
      severity: 'Medium',
      category: 'Workload',
      resources: [{ group: 'apps', version: 'v1', resource: 'deployments' }],
      match: { namespaces: { include: [ns] } },
      investigation: [{ title: 'Read it', command: 'kubectl get deployment -n {{namespace}} {{name}}' }],
      resolution: [
        {
          title: 'Scale it down',
          command: 'kubectl scale deployment -n {{namespace}} {{name}} --replicas=0',
        },
      ],
      remediation: { allowedActions: ['ScaleToZero', 'DeleteSubject'] },
      retention: { resolvedTTL: '2s' },
    },
  });
}

async function alertOf(c: KubeClient, obj: KubeObject, detection: string): Promise<AuditAlert> {
  const all = await waitForAlerts(c, obj.metadata.uid as string);
  const a = all.find((x) => x.spec.detection.name === detection);
  assert.ok(a, `an alert of ${detection}`);
  return a;
}

const patchStatus = async (cp: ControlPlane, name: string, status: object): Promise<void> => {
  await patchAlertStatus(cp, name, status);
};

async function until(
  c: KubeClient,
  name: string,
  ok: (a: AuditAlert) => boolean,
  what: string,
): Promise<AuditAlert> {
  let last: AuditAlert | undefined;
  const poll = async (): Promise<boolean> => {
    last = await getAlert(c, name);
    return ok(last);
  };
  try {
    await waitFor(poll, 30_000, what);
  } catch (err: unknown) {
    throw new Error(`${what}; last status: ${JSON.stringify(last?.status)}`, { cause: err });
  }
  return last as AuditAlert;
}

const condition = (a: AuditAlert, type: string) => a.status?.conditions?.find((x) => x.type === type);

describe('alert lifecycle: history, conditions, subject, remediation, retention', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `life-${id}`;
  const det = `e2e-remediable-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess | undefined;

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
    await kubectlOk(cp, ['apply', '-f', '-'], remediable(det, ns));
    await new Promise((r) => setTimeout(r, 1100));
    await createNamespace(c, ns);
    op = await startOperator(cp.kubeconfigPath, ARGS);
    await op.waitReady();
  });
  after(async () => {
    if (op?.running()) await op.stop();
    await kubectlOk(cp, ['delete', 'auditdetection', det, '--ignore-not-found']);
    c?.close();
  });

  it('records every state change in history and keeps the conditions', async () => {
    const pod = await create(
      c,
      WORKLOADS[0]?.collection(ns) as string,
      WORKLOADS[0]?.body(`triaged-${id}`) as object,
    );
    const name = (await alertOf(c, pod, 'workload-created')).metadata?.name as string;
    await patchStatus(cp, name, { state: 'Acknowledged', assignee: 'alice' });
    let a = await until(c, name, (x) => (x.status?.history ?? []).length === 1, 'one history entry');
    assert.equal(condition(a, 'SubjectPresent')?.status, 'True');
    assert.deepEqual(
      { from: a.status?.history?.[0]?.from, to: a.status?.history?.[0]?.to },
      { from: 'Open', to: 'Acknowledged' },
    );
    assert.equal(condition(a, 'Acknowledged')?.status, 'True');
    assert.equal(condition(a, 'Acknowledged')?.observedGeneration, a.metadata?.generation);
    await patchStatus(cp, name, { state: 'Resolved', reason: 'FalsePositive', note: 'test pod' });
    a = await until(c, name, (x) => (x.status?.history ?? []).length === 2, 'two history entries');
    assert.equal(a.status?.history?.[1]?.reason, 'FalsePositive');
    assert.equal(condition(a, 'Resolved')?.status, 'True');
    assert.equal(condition(a, 'Acknowledged')?.status, 'False');
    await patchStatus(cp, name, { state: 'Open', reason: null });
    a = await until(c, name, (x) => (x.status?.history ?? []).length === 3, 'reopened');
    assert.equal(a.status?.history?.[2]?.to, 'Open');
  });

  it('keeps the alert and flips SubjectPresent when the subject is deleted', async () => {
    const pod = await create(
      c,
      WORKLOADS[0]?.collection(ns) as string,
      WORKLOADS[0]?.body(`doomed-${id}`) as object,
    );
    const name = (await alertOf(c, pod, 'workload-created')).metadata?.name as string;
    await c.request('DELETE', `/api/v1/namespaces/${ns}/pods/doomed-${id}`, {
      query: { gracePeriodSeconds: 0 },
    });
    const a = await until(
      c,
      name,
      (x) => condition(x, 'SubjectPresent')?.status === 'False',
      'SubjectPresent=False',
    );
    assert.equal(a.status?.state, 'Open', 'the alert survives, still open');
  });

  it('executes an allowed action, records it and resolves the alert', async () => {
    const dep = await create(
      c,
      WORKLOADS[1]?.collection(ns) as string,
      WORKLOADS[1]?.body(`scaled-${id}`) as object,
    );
    const name = (await alertOf(c, dep, det)).metadata?.name as string;
    // The README's command, verbatim.
    await patchStatus(cp, name, { remediation: { action: 'ScaleToZero', result: null, message: null } });
    const a = await until(
      c,
      name,
      (x) => x.status?.remediation?.result !== undefined,
      'a remediation result',
    );
    assert.equal(a.status?.remediation?.result, 'Succeeded', a.status?.remediation?.message);
    assert.equal(a.status?.state, 'Resolved');
    assert.equal(a.status?.reason, 'Remediated');
    assert.equal(condition(a, 'Remediated')?.status, 'True');
    const d = await c.request<{ spec: { replicas: number } }>(
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments/scaled-${id}`,
    );
    assert.equal(d.spec.replicas, 0);
  });

  it('rejects an action the detection does not allow and touches nothing', async () => {
    const pod = await create(
      c,
      WORKLOADS[0]?.collection(ns) as string,
      WORKLOADS[0]?.body(`kept-${id}`) as object,
    );
    const name = (await alertOf(c, pod, 'workload-created')).metadata?.name as string;
    await patchStatus(cp, name, { remediation: { action: 'DeleteSubject' } });
    const a = await until(
      c,
      name,
      (x) => x.status?.remediation?.result !== undefined,
      'a remediation result',
    );
    assert.equal(a.status?.remediation?.result, 'Rejected');
    assert.match(a.status?.remediation?.message ?? '', /not allowed by AuditDetection workload-created/);
    assert.equal(a.status?.state, 'Open');
    await c.request('GET', `/api/v1/namespaces/${ns}/pods/kept-${id}`);
  });

  it('deletes resolved alerts after the detection TTL, never open ones', async () => {
    const open = await create(
      c,
      WORKLOADS[1]?.collection(ns) as string,
      WORKLOADS[1]?.body(`ttl-open-${id}`) as object,
    );
    const closed = await create(
      c,
      WORKLOADS[1]?.collection(ns) as string,
      WORKLOADS[1]?.body(`ttl-closed-${id}`) as object,
    );
    const openName = (await alertOf(c, open, det)).metadata?.name as string;
    const closedName = (await alertOf(c, closed, det)).metadata?.name as string;
    await patchStatus(cp, closedName, { state: 'Resolved', reason: 'Expected', note: 'e2e' });
    await waitFor(
      async () =>
        getAlert(c, closedName).then(
          () => false,
          (err: unknown) => isNotFound(err),
        ),
      30_000,
      'the resolved alert to expire',
    );
    assert.equal((await getAlert(c, openName)).status?.state, 'Open', 'the open alert is kept');
  });

  it('reports Failed, not a crash, when the operator lacks the remediator role', async () => {
    await op?.stop();
    const user = await cp.addUser(`tripline-norem-${id}`, [`norem-${id}`]);
    await kubectlOk(cp, ['apply', '-f', path.join(repoRoot(), 'manifests/rbac/role.yaml')]);
    await kubectlOk(cp, [
      'create',
      'clusterrolebinding',
      `norem-${id}`,
      '--clusterrole=tripline-operator',
      `--group=norem-${id}`,
    ]);
    op = await startOperator(user.kubeconfigPath, ARGS);
    await op.waitReady();
    const dep = await create(
      c,
      WORKLOADS[1]?.collection(ns) as string,
      WORKLOADS[1]?.body(`norem-${id}`) as object,
    );
    const name = (await alertOf(c, dep, det)).metadata?.name as string;
    await patchStatus(cp, name, { remediation: { action: 'DeleteSubject' } });
    const a = await until(
      c,
      name,
      (x) => x.status?.remediation?.result !== undefined,
      'a remediation result',
    );
    assert.equal(a.status?.remediation?.result, 'Failed');
    assert.match(a.status?.remediation?.message ?? '', /tripline-remediator/);
    assert.equal(a.status?.state, 'Open');
    assert.ok(op.running());
    await c.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/norem-${id}`);
  });
});
