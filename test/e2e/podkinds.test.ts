import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator } from '../../hack/operator-process.js';
import { create, createNamespace } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import { adminClient, alertsFor, installCrds, kubectlOk, suffix, waitForAlerts } from './support/cluster.js';

/** The one alert of `detection` for the object, once the operator has raised it. */
async function alertOf(
  c: KubeClient,
  op: OperatorProcess,
  obj: KubeObject,
  detection: string,
): Promise<AuditAlert> {
  await waitForAlerts(c, obj.metadata.uid as string);
  await op.waitIdle();
  const alerts = (await alertsFor(c, obj.metadata.uid as string)).filter(
    (a) => a.spec.detection.name === detection,
  );
  assert.equal(alerts.length, 1, `one ${detection} alert for ${obj.kind} ${obj.metadata.name}`);
  return alerts[0] as AuditAlert;
}

const ids = (a: AuditAlert): string[] => (a.spec.risks ?? []).map((r) => r.id);

/** A privileged pod spec that mounts the node's root directory. */
const hostRootSpec = (image: string) => ({
  containers: [
    {
      name: 'escape',
      image,
      securityContext: { privileged: true },
      volumeMounts: [{ name: 'host', mountPath: '/host' }],
    },
  ],
  volumes: [{ name: 'host', hostPath: { path: '/' } }],
});

const GROUP = 'e2e-podkinds.tripline.dev';
const CRD = `rollouts.${GROUP}`;

describe('pod-bearing kinds: ReplicationControllers and third-party workloads get the workload rules', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `podkinds-${id}`;
  const detection = `rollout-created-${id}`;
  const systemNames = [`kube-pr0xy`, 'kube-proxy'];
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
    // A third-party workload kind shaped like Argo Rollouts (spec.template), and a detection naming it.
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: CRD },
        spec: {
          group: GROUP,
          scope: 'Namespaced',
          names: { plural: 'rollouts', singular: 'rollout', kind: 'Rollout', listKind: 'RolloutList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      }),
    );
    await kubectlOk(cp, ['wait', '--for', 'condition=Established', `crd/${CRD}`, '--timeout=60s']);
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'tripline.dev/v1alpha1',
        kind: 'AuditDetection',
        metadata: { name: detection },
        spec: {
          title: 'Rollout created',
          severity: 'Low',
          category: 'Workload',
          events: ['Created'],
          resources: [{ group: GROUP, version: 'v1', resource: 'rollouts' }],
          match: { namespaces: { include: [ns] } },
        },
      }),
    );
    await createNamespace(c, ns, { 'pod-security.kubernetes.io/enforce': 'privileged' });
    op = await startOperator(cp.kubeconfigPath);
    await op.waitReady();
  });

  after(async () => {
    if (op?.running()) await op.stop();
    if (cp) {
      await kubectlOk(cp, ['delete', 'auditdetection', detection, '--ignore-not-found']);
      await kubectlOk(cp, ['delete', 'crd', CRD, '--ignore-not-found']);
      for (const name of systemNames)
        await kubectlOk(cp, ['delete', 'daemonset', '-n', 'kube-system', name, '--ignore-not-found']);
      await kubectlOk(cp, ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
    }
    c?.close();
  });

  it('a privileged ReplicationController mounting / raises a Critical workload-created alert', async () => {
    const rc = await create(c, `/api/v1/namespaces/${ns}/replicationcontrollers`, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'root-escape' },
      spec: {
        replicas: 1,
        selector: { app: 'root-escape' },
        template: { metadata: { labels: { app: 'root-escape' } }, spec: hostRootSpec('busybox:1.36') },
      },
    });
    const a = await alertOf(c, op, rc, 'workload-created');
    for (const want of ['workload.privileged', 'workload.hostpath-runtime-socket'])
      assert.ok(ids(a).includes(want), `${want} in ${ids(a)}`);
    assert.equal(a.spec.severity, 'Critical');
    assert.match(
      a.spec.summary ?? '',
      /^New ReplicationController .*root-escape runs 1 container .*privileged; hostPath \//,
    );
    const evidence = a.spec.evidence as { pod?: { hostPathVolumes?: { path: string }[] } };
    assert.deepEqual(
      evidence.pod?.hostPathVolumes?.map((v) => v.path),
      ['/'],
    );
  });

  it('a third-party kind named by a detection is analysed by the shape of its pod template', async () => {
    const rollout = await create(c, `/apis/${GROUP}/v1/namespaces/${ns}/rollouts`, {
      apiVersion: `${GROUP}/v1`,
      kind: 'Rollout',
      metadata: { name: 'canary' },
      spec: {
        replicas: 2,
        strategy: { canary: { steps: [{ setWeight: 20 }] } },
        template: { metadata: { labels: { app: 'canary' } }, spec: hostRootSpec('bitnarni/redis:7.2') },
      },
    });
    const a = await alertOf(c, op, rollout, detection);
    for (const want of [
      'workload.privileged',
      'workload.hostpath-runtime-socket',
      'workload.image-lookalike-publisher',
    ])
      assert.ok(ids(a).includes(want), `${want} in ${ids(a)}`);
    assert.equal(a.spec.severity, 'Critical');
    const evidence = a.spec.evidence as { pod?: { images?: string[] } };
    assert.deepEqual(evidence.pod?.images, ['bitnarni/redis:7.2']);
  });

  it('a kube-system DaemonSet named like kube-proxy but written by kubectl is a control-plane look-alike', async () => {
    const ds = (name: string) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name, namespace: 'kube-system' },
        spec: {
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'proxy', image: 'registry.k8s.io/kube-proxy:v1.33.0' }] },
          },
        },
      });
    const created: KubeObject[] = [];
    for (const name of systemNames) {
      await kubectlOk(cp, ['create', '-f', '-'], ds(name));
      created.push(
        await c.request<KubeObject>('GET', `/apis/apps/v1/namespaces/kube-system/daemonsets/${name}`),
      );
    }
    const [lookalike, exact] = await Promise.all(created.map((o) => alertOf(c, op, o, 'workload-created')));
    assert.ok(lookalike && exact);
    const risk = lookalike.spec.risks?.find((r) => r.id === 'workload.control-plane-lookalike-name');
    assert.equal(risk?.severity, 'High', `${ids(lookalike)}`);
    assert.match(
      risk?.message ?? '',
      /kube-system\/kube-pr0xy imitates kube-proxy, written by kubectl-create/,
    );
    assert.ok(!ids(lookalike).includes('workload.control-plane-name-non-system-writer'));
    const named = exact.spec.risks?.find((r) => r.id === 'workload.control-plane-name-non-system-writer');
    assert.match(
      named?.message ?? '',
      /kube-system\/kube-proxy is named as kube-proxy, written by kubectl-create/,
    );
    assert.ok(!ids(exact).includes('workload.control-plane-lookalike-name'));
  });
});
