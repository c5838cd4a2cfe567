import assert from 'node:assert/strict';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator } from '../../hack/operator-process.js';
import { create, createNamespace } from '../../hack/samples.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import { adminClient, installCrds, kubectlOk, suffix, waitForAlerts } from './support/cluster.js';

const VALUE = 'hunter2-tripline-s3cr3t-value';

describe('secrets are read as metadata only', function () {
  this.timeout(120_000);
  const id = suffix();
  const ns = `secrets-${id}`;
  const det = `secret-created-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    const detection = {
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditDetection',
      metadata: { name: det },
      spec: {
        title: 'Secret created',
        severity: 'Low',
        category: 'Other',
        resources: [{ group: '', version: 'v1', resource: 'secrets' }],
        match: { namespaces: { include: [ns] } },
      },
    };
    await kubectlOk(cp, ['apply', '-f', '-'], JSON.stringify(detection));
    await new Promise((r) => setTimeout(r, 1100));
    await createNamespace(c, ns);
    op = await startOperator(cp.kubeconfigPath, ['--log-level', 'debug']);
    await op.waitReady();
  });
  after(async () => {
    if (op?.running()) await op.stop();
    await kubectlOk(cp, ['delete', 'auditdetection', det, '--ignore-not-found']);
    c?.close();
  });

  it('raises an alert for a new Secret without its data ever reaching alert or log', async () => {
    const secret = await create(c, `/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials', labels: { app: 'db' } },
      stringData: { password: VALUE },
    });
    const [a] = await waitForAlerts(c, secret.metadata.uid as string);
    assert.equal(a?.spec.subject.kind, 'Secret');
    assert.equal(a?.spec.subject.apiVersion, 'v1');
    assert.equal(a?.spec.subject.name, 'db-credentials');
    const text = JSON.stringify(a);
    const b64 = Buffer.from(VALUE).toString('base64');
    assert.ok(!text.includes(VALUE) && !text.includes(b64), 'no secret value in the alert');
    await op.waitIdle();
    assert.ok(!op.logs().includes(VALUE) && !op.logs().includes(b64), 'no secret value in the logs');
  });
});
