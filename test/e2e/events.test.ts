import assert from 'node:assert/strict';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { createNamespace } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { FieldChange } from '../../src/subjects/changes.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  alertsFor,
  installCrds,
  kubectlOk,
  suffix,
  waitDetectionReady,
} from './support/cluster.js';

type Spec = AuditDetection['spec'];
const INGRESSES = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' };

const detection = (name: string, ns: string, events: Spec['events']): string =>
  JSON.stringify({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name },
    spec: {
      title: `e2e ${name}`,
      severity: 'Medium',
      category: 'Exposure',
      resources: [INGRESSES],
      events,
      match: { namespaces: { include: [ns] } },
    },
  });

const ingress = (ns: string, name: string, host: string): string =>
  JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  });

const getIngress = (c: KubeClient, ns: string, name: string) =>
  c.request<KubeObject>('GET', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`);

describe('events: Updated and Deleted alerts', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `events-${id}`;
  const [upd, del] = [`ing-upd-${id}`, `ing-del-${id}`];
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;
  let uid = '';

  /** Alerts of one detection for the ingress, once the operator has gone idle. */
  async function settledAlerts(det: string): Promise<AuditAlert[]> {
    // Give the watch a moment to deliver the last change before asking whether the queue is idle.
    await new Promise((r) => setTimeout(r, 1000));
    await op.waitIdle();
    return (await alertsFor(c, uid)).filter((a) => a.spec.detection.name === det);
  }

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await createNamespace(c, ns);
    op = await startOperator(cp.kubeconfigPath, ['--watermark-flush-seconds', '1']);
    await op.waitReady();
    await kubectlOk(cp, ['apply', '-f', '-'], detection(upd, ns, ['Updated']));
    await kubectlOk(cp, ['apply', '-f', '-'], detection(del, ns, ['Deleted']));
    await waitDetectionReady(c, upd);
    await waitDetectionReady(c, del);
  });

  after(async () => {
    for (const d of [upd, del]) await cp.kubectl(['delete', '--ignore-not-found', 'auditdetection', d]);
    if (op?.running()) await op.stop();
    c?.close();
  });

  it('raises nothing for a new Ingress (Created is not among the events)', async () => {
    await kubectlOk(cp, ['apply', '-f', '-'], ingress(ns, 'shop', `old-${id}.example.com`));
    uid = (await getIngress(c, ns, 'shop')).metadata.uid as string;
    assert.deepEqual(await settledAlerts(upd), []);
    assert.deepEqual(await settledAlerts(del), []);
  });

  it('raises one Updated alert with the old and new host when the host is edited', async () => {
    await kubectlOk(cp, ['apply', '-f', '-'], ingress(ns, 'shop', `new-${id}.example.com`));
    await waitFor(async () => (await alertsFor(c, uid)).length > 0, 30_000, 'an Updated alert');
    const alerts = await settledAlerts(upd);
    assert.equal(alerts.length, 1, JSON.stringify(alerts.map((a) => a.spec.changeKey)));
    const a = alerts[0] as AuditAlert;
    assert.equal(a.spec.event, 'Updated');
    assert.equal(a.spec.changeKey, 'generation:2');
    const changes = a.spec.evidence?.changes as FieldChange[];
    assert.deepEqual(
      changes.find((ch) => ch.path === 'spec.rules[0].host'),
      { path: 'spec.rules[0].host', before: `old-${id}.example.com`, after: `new-${id}.example.com` },
    );
  });

  it('raises nothing when the same spec is applied again or patched without change', async () => {
    await kubectlOk(cp, ['apply', '-f', '-'], ingress(ns, 'shop', `new-${id}.example.com`));
    await kubectlOk(cp, [
      '-n',
      ns,
      'patch',
      'ingress',
      'shop',
      '--type=merge',
      '-p',
      '{"spec":{"ingressClassName":"nginx"}}',
    ]);
    assert.equal((await settledAlerts(upd)).length, 1);
  });

  it('raises nothing for a status-only update', async () => {
    const status = '{"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}}';
    await kubectlOk(cp, [
      '-n',
      ns,
      'patch',
      'ingress',
      'shop',
      '--subresource=status',
      '--type=merge',
      '-p',
      status,
    ]);
    const ing = await getIngress(c, ns, 'shop');
    assert.ok(JSON.stringify(ing.status).includes('1.2.3.4'), 'the status patch was applied');
    assert.equal((await settledAlerts(upd)).length, 1);
  });

  it('raises one Deleted alert with the last known state when the Ingress is deleted', async () => {
    await kubectlOk(cp, ['-n', ns, 'delete', 'ingress', 'shop']);
    await waitFor(
      async () => (await alertsFor(c, uid)).some((a) => a.spec.detection.name === del),
      30_000,
      'a Deleted alert',
    );
    const alerts = await settledAlerts(del);
    assert.equal(alerts.length, 1);
    const a = alerts[0] as AuditAlert;
    assert.equal(a.spec.event, 'Deleted');
    assert.equal(a.spec.changeKey, 'deleted');
    assert.ok(
      JSON.stringify(a.spec.evidence).includes(`new-${id}.example.com`),
      'evidence shows the last host',
    );
    assert.equal((await settledAlerts(upd)).length, 1, 'a deletion is not an update');
  });
});
