import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, sumMetric, waitFor } from '../../hack/operator-process.js';
import { create, createNamespace } from '../../hack/samples.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import { adminClient, alertsFor, applyDetections, installCrds, suffix } from './support/cluster.js';

/** Metric names the Metrics section of docs/configuration.md documents. */
function documentedMetrics(): string[] {
  const doc = readFileSync(path.join(repoRoot(), 'docs/configuration.md'), 'utf8');
  const start = doc.indexOf('\n## Metrics\n');
  assert.ok(start >= 0, 'docs/configuration.md has a section "Metrics"');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...new Set([...section.matchAll(/`(tripline_[a-z_]+)/g)].map((m) => m[1] as string))];
}

describe('probe server: /healthz, /readyz, /metrics as documented', function () {
  this.timeout(180_000);
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess | undefined;
  const ns = `probes-${suffix()}`;

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await applyDetections(cp);
    await createNamespace(c, ns);
  });
  after(async () => {
    if (op?.running()) await op.stop();
    c?.close();
  });

  it('is alive at once, and ready only after the watches synced', async () => {
    op = await startOperator(cp.kubeconfigPath);
    // Feeds start after an initial settle of several seconds, so the first answer is "not ready".
    const early = await op.probe('/readyz');
    assert.equal(early.status, 503);
    assert.match(early.body, /watches not synced/);
    const health = await op.probe('/healthz');
    assert.deepEqual(health, { status: 200, body: 'ok\n' });
    await op.waitReady();
    assert.deepEqual(await op.probe('/readyz'), { status: 200, body: 'ok\n' });
    assert.equal((await op.probe('/nope')).status, 404);
  });

  it('serves every documented metric in Prometheus text', async () => {
    assert.ok(op);
    const { status, body } = await op.probe('/metrics');
    assert.equal(status, 200);
    const documented = documentedMetrics();
    assert.ok(documented.length >= 10, `docs/configuration.md documents ${documented.length} metrics`);
    const missing = documented.filter((m) => !body.includes(`# HELP ${m} `));
    assert.deepEqual(missing, [], 'documented metrics missing from /metrics');
    assert.equal(sumMetric(body, 'tripline_leader'), 1, 'without leader election this process leads');
    assert.ok(sumMetric(body, 'tripline_process_resident_memory_bytes') > 0);
  });

  it('counts a raised alert by detection and severity and observes its latency', async () => {
    assert.ok(op);
    const raised = (): Promise<number> =>
      op?.metric('tripline_alerts_raised_total', { detection: 'workload-created' }) ?? Promise.resolve(0);
    const latency = (): Promise<number> =>
      op?.metric('tripline_detection_latency_seconds_count', { detection: 'workload-created' }) ??
      Promise.resolve(0);
    const [raisedBefore, latencyBefore] = [await raised(), await latency()];
    const pod = await create(c, `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe-metrics' },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
    });
    await waitFor(
      async () => (await alertsFor(c, pod.metadata.uid as string)).length === 1,
      60_000,
      'the alert',
    );
    await waitFor(async () => (await raised()) === raisedBefore + 1, 30_000, 'alerts_raised_total + 1');
    assert.equal(await latency(), latencyBefore + 1);
    const [alert] = await alertsFor(c, pod.metadata.uid as string);
    assert.ok(
      (await op.metric('tripline_alerts_raised_total', {
        detection: 'workload-created',
        severity: alert?.spec.severity ?? '',
      })) >= 1,
    );
  });
});
