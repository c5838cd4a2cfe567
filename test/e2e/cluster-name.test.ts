import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createNamespace } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeClient } from '../../src/kube/client.js';
import { type Alertmanager, Receiver, startAlertmanager } from './notify-support.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  detectionManifest,
  installCrds,
  kubectlOk,
  suffix,
  waitDetectionReady,
  waitForAlerts,
} from './support/cluster.js';

const PLUGIN = path.join(repoRoot(), 'dist/src/cli/kubectl-tripline.js');

describe('cluster identity: --cluster-name on alerts, Alertmanager, the webhook and the plugin', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `fleet-${id}`;
  const det = `fleet-cm-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;
  let am: Alertmanager;
  let webhook: Receiver;
  let dir: string;
  let alert: AuditAlert;

  /** Runs the built plugin with node and --kubeconfig. */
  const plugin = (args: string[]): Promise<{ code: number; stdout: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [PLUGIN, ...args, '--kubeconfig', cp.kubeconfigPath]);
      let stdout = '';
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 128, stdout }));
    });

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    am = await startAlertmanager();
    webhook = await Receiver.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'tripline-fleet-'));
    writeFileSync(path.join(dir, 'webhook-key'), 'fleet-key\n');
    await installCrds(cp);
    await createNamespace(c, ns);
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      detectionManifest(det, {
        severity: 'High',
        category: 'Other',
        resources: [{ version: 'v1', resource: 'configmaps' }],
        match: { namespaces: { include: [ns] } },
      }),
    );
    op = await startOperator(cp.kubeconfigPath, [
      ...['--cluster-name', 'prod-eu'],
      ...['--alertmanager-urls', am.url],
      ...['--webhook-url', webhook.url, '--webhook-secret-file', path.join(dir, 'webhook-key')],
    ]);
    await op.waitReady();
    await waitDetectionReady(c, det);
    const cm = await create(c, `/api/v1/namespaces/${ns}/configmaps`, {
      metadata: { name: 'settings' },
      data: { a: 'b' },
    });
    const found = (await waitForAlerts(c, cm.metadata.uid as string)).find(
      (a) => a.spec.detection.name === det,
    );
    assert.ok(found, 'an alert of this suite');
    alert = found;
  });

  after(async () => {
    await cp?.kubectl(['delete', '--ignore-not-found', 'auditdetection', det]);
    if (op?.running()) await op.stop();
    await am?.stop();
    await webhook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    c?.close();
  });

  it('labels the alert tripline.dev/cluster=prod-eu', () => {
    assert.equal(alert.metadata?.labels?.['tripline.dev/cluster'], 'prod-eu');
  });

  it('sends the cluster label to Alertmanager', async () => {
    const name = alert.metadata?.name as string;
    await waitFor(
      async () => (await am.alerts({ tripline_alert: name })).length === 1,
      30_000,
      'in Alertmanager',
    );
    const [got] = await am.alerts({ tripline_alert: name });
    assert.equal(got?.labels.cluster, 'prod-eu');
    assert.equal(
      (await am.alerts({ cluster: 'prod-eu', tripline_alert: name })).length,
      1,
      'routable by cluster',
    );
  });

  it('puts the cluster in the webhook payload', async () => {
    const name = alert.metadata?.name as string;
    const mine = () =>
      webhook
        .json<{ cluster?: string; type: string; alert: { name: string } }>()
        .filter((p) => p.json.alert.name === name && p.json.type === 'raised');
    await waitFor(() => mine().length > 0, 30_000, 'the raised payload');
    assert.equal(mine()[0]?.json.cluster, 'prod-eu');
  });

  it('shows the cluster in kubectl tripline list and show', async () => {
    const name = alert.metadata?.name as string;
    const list = await plugin(['list', '--detection', det]);
    assert.equal(list.code, 0);
    const [header, row] = list.stdout.trim().split('\n');
    assert.match(header ?? '', /^CLUSTER\s+NAME/);
    assert.match(row ?? '', new RegExp(`^prod-eu\\s+${name}`));
    const show = await plugin(['show', name]);
    assert.equal(show.code, 0);
    assert.match(show.stdout, /^Cluster: +prod-eu$/m);
  });
});
