import assert from 'node:assert/strict';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createNamespace, WORKLOADS } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  alertsFor,
  detectionManifest,
  installCrds,
  kubectlOk,
  patchAlertStatus,
  suffix,
  waitDetectionReady,
} from './support/cluster.js';

/** A core/v1 Event as `kubectl get events -o json` shows it. */
interface CoreEvent {
  metadata: { name: string; namespace: string };
  type: string;
  reason: string;
  message?: string;
  note?: string;
  reportingComponent?: string;
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string };
}

describe('Kubernetes Events: AuditAlertRaised on the subject, lifecycle Events on the alert', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `kev-${id}`;
  const det = { pods: `kev-pods-${id}`, roles: `kev-roles-${id}` };
  const role = `kev-reader-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;
  let pod: KubeObject;
  let podAlert: AuditAlert;

  /** Events by field selector, the way `kubectl get events --field-selector` reads them. */
  async function events(namespace: string, selector: string): Promise<CoreEvent[]> {
    const out = await kubectlOk(cp, [
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      selector,
      '-o',
      'json',
    ]);
    return (JSON.parse(out) as { items: CoreEvent[] }).items;
  }

  /** The alert of this test's detection (the default detections may alert on the same object). */
  async function alertOf(obj: KubeObject, detectionName: string): Promise<AuditAlert> {
    let found: AuditAlert | undefined;
    await waitFor(
      async () => {
        found = (await alertsFor(c, obj.metadata.uid as string)).find(
          (x) => x.spec.detection.name === detectionName,
        );
        return found !== undefined;
      },
      60_000,
      `an alert of ${detectionName}`,
    );
    return found as AuditAlert;
  }

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await createNamespace(c, ns);
    const podsSpec = {
      severity: 'High',
      category: 'Workload',
      resources: [{ version: 'v1', resource: 'pods' }],
      match: { namespaces: { include: [ns] } },
    };
    await kubectlOk(cp, ['apply', '-f', '-'], detectionManifest(det.pods, podsSpec));
    const rolesSpec = {
      severity: 'Medium',
      category: 'RBAC',
      resources: [{ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' }],
      match: { objectSelector: { matchLabels: { 'tripline-e2e': id } } },
    };
    await kubectlOk(cp, ['apply', '-f', '-'], detectionManifest(det.roles, rolesSpec));
    op = await startOperator(cp.kubeconfigPath, [
      '--watermark-flush-seconds',
      '1',
      '--backoff-max-ms',
      '1000',
    ]);
    await op.waitReady();
    await waitDetectionReady(c, det.pods);
    await waitDetectionReady(c, det.roles);
  });

  after(async () => {
    for (const d of Object.values(det))
      await cp?.kubectl(['delete', '--ignore-not-found', 'auditdetection', d]);
    await cp?.kubectl(['delete', '--ignore-not-found', 'clusterrole', role]);
    if (op?.running()) await op.stop();
    c?.close();
  });

  it('puts a Warning AuditAlertRaised on a new Pod, shown by kubectl describe', async () => {
    const kind = WORKLOADS[0] as (typeof WORKLOADS)[number];
    pod = await create(c, kind.collection(ns), kind.body('web'));
    podAlert = await alertOf(pod, det.pods);
    const name = podAlert.metadata?.name as string;
    // Other detections (the defaults, when another suite applied them) put their own Events here.
    const ofThisAlert = async () =>
      (await events(ns, `involvedObject.uid=${pod.metadata.uid}`)).filter((e) =>
        (e.message ?? e.note ?? '').includes(name),
      );
    await waitFor(async () => (await ofThisAlert()).length > 0, 30_000, 'an Event on the Pod');
    const [ev, ...more] = await ofThisAlert();
    assert.equal(more.length, 0, 'exactly one Event');
    assert.equal(ev?.type, 'Warning');
    assert.equal(ev?.reason, 'AuditAlertRaised');
    assert.deepEqual(
      [ev?.involvedObject.kind, ev?.involvedObject.name, ev?.involvedObject.namespace],
      ['Pod', 'web', ns],
    );
    assert.equal(ev?.reportingComponent, 'tripline.dev/operator');
    assert.match(
      ev?.message ?? '',
      new RegExp(`AuditAlert ${name} raised by detection ${det.pods} \\(High\\)`),
    );
    const describe = await kubectlOk(cp, ['describe', 'pod', 'web', '-n', ns]);
    const line = describe.split('\n').find((l) => l.includes('AuditAlertRaised') && l.includes(name));
    assert.ok(line, `kubectl describe pod shows the Event:\n${describe}`);
    assert.match(line, /Warning\s+AuditAlertRaised\s+.*tripline\.dev\/operator\s+AuditAlert /);
    assert.ok(line.includes(name), 'names the alert');
  });

  it('puts the Event of a cluster-scoped subject in namespace default, as kubectl does', async () => {
    const cr = await create(c, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: role, labels: { 'tripline-e2e': id } },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    });
    const a = await alertOf(cr, det.roles);
    await waitFor(
      async () =>
        (await events('default', `involvedObject.uid=${cr.metadata.uid}`)).filter((e) =>
          (e.message ?? e.note ?? '').includes(a.metadata?.name as string),
        ).length === 1,
      30_000,
      'the Event in default',
    );
    // kubectl's ClusterRole describer prints no Events; `kubectl get events` finds it by kind and name.
    const out = await kubectlOk(cp, [
      'get',
      'events',
      '-A',
      '--field-selector',
      `involvedObject.kind=ClusterRole,involvedObject.name=${role}`,
    ]);
    assert.match(
      out,
      new RegExp(`^default\\s+\\S+\\s+Warning\\s+AuditAlertRaised\\s+clusterrole/${role}`, 'm'),
      out,
    );
    assert.ok(out.includes(a.metadata?.name as string), 'names the alert');
  });

  it('records Acknowledged, Resolved and Reopened as Normal Events on the AuditAlert', async () => {
    const name = podAlert.metadata?.name as string;
    const onAlert = () => events('default', `involvedObject.kind=AuditAlert,involvedObject.name=${name}`);
    await patchAlertStatus(cp, name, { state: 'Acknowledged', assignee: 'alice' });
    await waitFor(
      async () => (await onAlert()).some((e) => e.reason === 'Acknowledged'),
      30_000,
      'Acknowledged',
    );
    const ack = (await onAlert()).find((e) => e.reason === 'Acknowledged');
    assert.equal(ack?.type, 'Normal');
    assert.match(ack?.message ?? '', /assigned to alice/);
    const describe = await kubectlOk(cp, ['describe', 'auditalert', name]);
    assert.match(describe, /Normal\s+Acknowledged\s+.*tripline\.dev\/operator/, describe);
    await patchAlertStatus(cp, name, { state: 'Resolved', reason: 'Expected', note: 'e2e' });
    await waitFor(async () => (await onAlert()).some((e) => e.reason === 'Resolved'), 30_000, 'Resolved');
    assert.match((await onAlert()).find((e) => e.reason === 'Resolved')?.message ?? '', /as Expected/);
    await patchAlertStatus(cp, name, { state: 'Open', reason: null });
    await waitFor(async () => (await onAlert()).some((e) => e.reason === 'Reopened'), 30_000, 'Reopened');
    const all = await onAlert();
    assert.deepEqual(
      all.map((e) => e.reason).sort(),
      ['Acknowledged', 'Reopened', 'Resolved'],
      'one Event per change',
    );
    assert.ok(
      all.every((e) => e.involvedObject.uid === podAlert.metadata?.uid),
      "with the alert's uid",
    );
  });

  it('records a refused remediation request as a Warning RemediationRejected', async () => {
    const name = podAlert.metadata?.name as string;
    await patchAlertStatus(cp, name, { remediation: { action: 'DeleteSubject' } });
    const onAlert = () => events('default', `involvedObject.kind=AuditAlert,involvedObject.name=${name}`);
    await waitFor(
      async () => (await onAlert()).some((e) => e.reason === 'RemediationRejected'),
      30_000,
      'RemediationRejected',
    );
    const ev = (await onAlert()).find((e) => e.reason === 'RemediationRejected');
    assert.equal(ev?.type, 'Warning');
    assert.match(ev?.message ?? '', /^DeleteSubject: /);
  });
});
