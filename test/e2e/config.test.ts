import assert from 'node:assert/strict';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createNamespace } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import { adminClient, alertsFor, installCrds, kubectlOk, suffix, waitForAlerts } from './support/cluster.js';

type Spec = AuditDetection['spec'];
const RBAC = 'rbac.authorization.k8s.io';
const RB_KEY = `${RBAC}/v1/rolebindings`;

const manifest = (name: string, spec: Partial<Spec>): string =>
  JSON.stringify({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name },
    spec: { title: `e2e ${name}`, severity: 'Medium', category: 'RBAC', ...spec },
  });

const getDetection = (c: KubeClient, name: string) =>
  c.request<AuditDetection>('GET', `/apis/tripline.dev/v1alpha1/auditdetections/${name}`);

/** Waits until the detection's status describes its current generation and `cond` holds on it. */
async function settled(c: KubeClient, name: string, cond: (d: AuditDetection) => boolean, what: string) {
  let d: AuditDetection | undefined;
  await waitFor(
    async () => {
      d = await getDetection(c, name);
      return d.status?.observedGeneration === d.metadata?.generation && cond(d);
    },
    30_000,
    `${name}: ${what} (last status ${JSON.stringify(d?.status)})`,
  );
  return d as AuditDetection;
}

const condition = (d: AuditDetection, type: string) => d.status?.conditions?.find((x) => x.type === type);
const isReady = (d: AuditDetection) => condition(d, 'Ready')?.status === 'True';

const roleBinding = (c: KubeClient, ns: string, name: string, role = 'view') =>
  create(c, `/apis/${RBAC}/v1/namespaces/${ns}/rolebindings`, {
    metadata: { name },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: RBAC, kind: 'User', name: 'mallory' }],
  });

const configMap = (c: KubeClient, ns: string, name: string, fieldManager?: string) =>
  c.request<KubeObject>('POST', `/api/v1/namespaces/${ns}/configmaps`, {
    body: { metadata: { name }, data: { k: 'v' } },
    ...(fieldManager ? { query: { fieldManager } } : {}),
  });

/** Alerts of one detection for an object, once the operator has gone idle. */
async function settledAlerts(c: KubeClient, op: OperatorProcess, obj: KubeObject, det: string) {
  await op.waitIdle();
  return (await alertsFor(c, obj.metadata.uid as string)).filter((a) => a.spec.detection.name === det);
}

async function alertOf(c: KubeClient, obj: KubeObject, det: string): Promise<AuditAlert> {
  let found: AuditAlert | undefined;
  await waitFor(
    async () => {
      found = (await waitForAlerts(c, obj.metadata.uid as string)).find((a) => a.spec.detection.name === det);
      return found !== undefined;
    },
    30_000,
    `an alert of ${det} for ${obj.metadata.name}`,
  );
  return found as AuditAlert;
}

describe('config as code: AuditDetections reconciled live', function () {
  this.timeout(180_000);
  const id = suffix();
  const [nsA, nsB] = [`cfg-a-${id}`, `cfg-b-${id}`];
  const rb = `rb-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;
  const apply = (name: string, spec: Partial<Spec>) =>
    kubectlOk(cp, ['apply', '-f', '-'], manifest(name, spec));

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await createNamespace(c, nsA);
    await createNamespace(c, nsB, { tier: `gold-${id}` });
    op = await startOperator(cp.kubeconfigPath, [
      '--watermark-flush-seconds',
      '1',
      '--watch-stall-seconds',
      '5',
    ]);
    await op.waitReady();
  });

  after(async () => {
    for (const d of [rb, `crb-${id}`, `cm-${id}`, `nssel-${id}`])
      await cp.kubectl(['delete', '--ignore-not-found', 'auditdetection', d]);
    if (op?.running()) await op.stop();
    c?.close();
  });

  it('raises alerts for RoleBindings once a detection for them is added at runtime', async () => {
    await apply(rb, {
      resources: [{ group: RBAC, version: 'v1', resource: 'rolebindings' }],
      severityOverrides: [{ condition: "object.roleRef.name == 'admin'", severity: 'High' }],
    });
    await settled(c, rb, isReady, 'Ready');
    const view = await roleBinding(c, nsA, 'viewer');
    const admin = await roleBinding(c, nsA, 'admins', 'admin');
    assert.equal((await alertOf(c, view, rb)).spec.severity, 'Medium');
    assert.equal((await alertOf(c, admin, rb)).spec.severity, 'High', 'severity override');
  });

  it('stops alerting in a namespace once an edit excludes it', async () => {
    await apply(rb, {
      resources: [{ group: RBAC, version: 'v1', resource: 'rolebindings' }],
      match: { namespaces: { exclude: [nsB] } },
    });
    const d = await settled(c, rb, (x) => isReady(x) && (x.metadata?.generation ?? 0) >= 2, 'Ready at gen 2');
    assert.equal(condition(d, 'Ready')?.observedGeneration, d.metadata?.generation);
    const excluded = await roleBinding(c, nsB, 'excluded');
    const sentinel = await roleBinding(c, nsA, 'still-watched');
    await alertOf(c, sentinel, rb);
    assert.deepEqual(await settledAlerts(c, op, excluded, rb), []);
  });

  it('rejects an invalid CEL condition with Stalled while other detections keep alerting, until fixed', async () => {
    const crb = `crb-${id}`;
    const spec = (condition: string): Partial<Spec> => ({
      severity: 'High',
      resources: [{ group: RBAC, version: 'v1', resource: 'clusterrolebindings' }],
      match: { condition },
    });
    await apply(crb, spec("object.roleRef.name == 'cluster-admin' &&"));
    const stalled = await settled(c, crb, (x) => condition(x, 'Stalled')?.status === 'True', 'Stalled');
    assert.match(condition(stalled, 'Stalled')?.message ?? '', /^spec\.match\.condition: <input>:1:\d+: /);
    assert.equal(condition(stalled, 'Ready')?.status, 'False');
    const other = await roleBinding(c, nsA, 'while-stalled');
    await alertOf(c, other, rb);
    await apply(crb, spec("object.roleRef.name == 'cluster-admin'"));
    const fixed = await settled(c, crb, isReady, 'Ready after the fix');
    assert.equal(fixed.metadata?.generation, 2);
    assert.equal(condition(fixed, 'Ready')?.observedGeneration, 2);
    assert.equal(condition(fixed, 'Stalled')?.status, 'False');
    // The README's worked example: only bindings to cluster-admin raise.
    const body = (name: string, role: string) => ({
      metadata: { name },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: RBAC, kind: 'Group', name: `team-${id}` }],
    });
    const crbs = `/apis/${RBAC}/v1/clusterrolebindings`;
    const viewer = await create(c, crbs, body(`view-${id}`, 'view'));
    const admin = await create(c, crbs, body(`admin-${id}`, 'cluster-admin'));
    assert.equal((await alertOf(c, admin, crb)).spec.subject.kind, 'ClusterRoleBinding');
    assert.deepEqual(await settledAlerts(c, op, viewer, crb), []);
  });

  it('stops watching when the detection is disabled, and when it is deleted', async () => {
    // A watch stops only when no detection needs its resource: the default binding-created (applied
    // by suites that install manifests/detections on this shared control plane) is set aside.
    const restore = await disableOthersWatching(cp, 'binding-created');
    try {
      await stopsWatching();
    } finally {
      await restore();
    }
  });

  async function stopsWatching(): Promise<void> {
    const stopped = () => op.records('Stopped watching resource').filter((r) => r.resource === RB_KEY).length;
    await kubectlOk(cp, ['patch', 'auditdetection', rb, '--type=merge', '-p', '{"spec":{"enabled":false}}']);
    const d = await settled(c, rb, (x) => condition(x, 'Ready')?.reason === 'Disabled', 'Disabled');
    assert.equal(condition(d, 'Ready')?.status, 'False');
    await waitFor(() => stopped() === 1, 10_000, 'the RoleBinding watch to stop');
    const relists = await op.metric('tripline_watch_relists_total', { resource: RB_KEY });
    const quiet = await roleBinding(c, nsA, 'while-disabled');
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await settledAlerts(c, op, quiet, rb), []);
    assert.equal(await op.metric('tripline_watch_relists_total', { resource: RB_KEY }), relists);

    await kubectlOk(cp, ['patch', 'auditdetection', rb, '--type=merge', '-p', '{"spec":{"enabled":true}}']);
    await settled(c, rb, isReady, 'Ready again');
    await alertOf(c, await roleBinding(c, nsA, 'after-enable'), rb);
    await kubectlOk(cp, ['delete', 'auditdetection', rb]);
    await waitFor(() => stopped() === 2, 10_000, 'the RoleBinding watch to stop after delete');
    const gone = await roleBinding(c, nsA, 'after-delete');
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await settledAlerts(c, op, gone, rb), []);
  }

  it('suppresses objects of an excepted field manager, counts them, and still alerts a near miss', async () => {
    const det = `cm-${id}`;
    await apply(det, {
      category: 'Other',
      resources: [{ version: 'v1', resource: 'configmaps' }],
      match: { namespaces: { include: [nsA] } },
      exceptions: [{ description: 'Argo CD syncs these', fieldManagers: ['argocd-controller'] }],
    });
    await settled(c, det, isReady, 'Ready');
    const synced = await configMap(c, nsA, 'from-argo', 'argocd-controller');
    const nearMiss = await configMap(c, nsA, 'from-argo-ish', 'argocd-controller-x');
    assert.equal((await alertOf(c, nearMiss, det)).spec.actor?.fieldManager, 'argocd-controller-x');
    assert.deepEqual(await settledAlerts(c, op, synced, det), []);
    await waitFor(
      async () => (await getDetection(c, det)).status?.counters?.suppressed === 1,
      15_000,
      'status.counters.suppressed = 1',
    );
    assert.equal(await op.metric('tripline_suppressed_total', { detection: det }), 1);
  });

  it('matches namespaceSelector against the labels of the subject namespace', async () => {
    const det = `nssel-${id}`;
    await apply(det, {
      category: 'Other',
      resources: [{ version: 'v1', resource: 'configmaps' }],
      match: { namespaceSelector: { matchLabels: { tier: `gold-${id}` } } },
    });
    await settled(c, det, isReady, 'Ready');
    const outside = await configMap(c, nsA, 'unlabelled-ns');
    const inside = await configMap(c, nsB, 'gold-ns');
    await alertOf(c, inside, det);
    assert.deepEqual(await settledAlerts(c, op, outside, det), []);
  });

  const malformed: { name: string; spec: object; error: RegExp }[] = [
    {
      name: 'missing resources',
      spec: { title: 't', severity: 'Low', category: 'RBAC' },
      error: /spec\.resources: Required value/,
    },
    {
      name: 'bad severity',
      spec: {
        title: 't',
        severity: 'Urgent',
        category: 'RBAC',
        resources: [{ version: 'v1', resource: 'pods' }],
      },
      error: /spec\.severity: Unsupported value: "Urgent"/,
    },
    {
      name: 'bad event',
      spec: {
        title: 't',
        severity: 'Low',
        category: 'RBAC',
        events: ['Renamed'],
        resources: [{ version: 'v1', resource: 'pods' }],
      },
      error: /spec\.events\[0\]: Unsupported value: "Renamed"/,
    },
    {
      name: 'empty resources',
      spec: { title: 't', severity: 'Low', category: 'RBAC', resources: [] },
      error: /spec\.resources: Invalid value: .*at least 1 items/,
    },
    {
      name: 'an exception that names nothing',
      spec: {
        title: 't',
        severity: 'Low',
        category: 'RBAC',
        resources: [{ version: 'v1', resource: 'pods' }],
        exceptions: [{ description: 'everything' }],
      },
      error: /an exception must name at least one of namespaces, names, fieldManagers/,
    },
    {
      name: 'a severity override without severity',
      spec: {
        title: 't',
        severity: 'Low',
        category: 'RBAC',
        resources: [{ version: 'v1', resource: 'pods' }],
        severityOverrides: [{ condition: 'true' }],
      },
      error: /spec\.severityOverrides\[0\]\.severity: Required value/,
    },
  ];
  for (const m of malformed) {
    it(`kubectl apply rejects a malformed spec: ${m.name}`, async () => {
      const doc = JSON.stringify({
        apiVersion: 'tripline.dev/v1alpha1',
        kind: 'AuditDetection',
        metadata: { name: `bad-${id}` },
        spec: m.spec,
      });
      const r = await cp.kubectl(['apply', '-f', '-'], { input: doc });
      assert.notEqual(r.code, 0, 'apply must fail');
      assert.match(r.stderr, m.error);
    });
  }
});

/**
 * Disables the named AuditDetection while a test needs to be the only one watching its resource;
 * resolves with a function that enables it again. Absent detections are left alone.
 */
async function disableOthersWatching(cp: ControlPlane, name: string): Promise<() => Promise<void>> {
  const found = await kubectlOk(cp, ['get', 'auditdetections', '--ignore-not-found', '-o', 'name', name]);
  if (!found.trim()) return async () => {};
  const patch = (enabled: boolean) =>
    kubectlOk(cp, [
      'patch',
      'auditdetection',
      name,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { enabled } }),
    ]);
  await patch(false);
  return async () => {
    await patch(true);
  };
}
