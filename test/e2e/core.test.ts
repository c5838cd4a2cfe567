import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import {
  create,
  createClusterRole,
  createDeploymentChain,
  createIngress,
  createNamespace,
  WORKLOADS,
} from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import { adminClient, alertsFor, installCrds, kubectlOk, suffix, waitForAlerts } from './support/cluster.js';

/** Waits for exactly one alert of `detection` for the object, after the operator went idle. */
async function expectOneAlert(
  c: KubeClient,
  op: OperatorProcess,
  obj: KubeObject,
  detection: string,
): Promise<AuditAlert> {
  await waitForAlerts(c, obj.metadata.uid as string);
  await op.waitIdle();
  const alerts = await alertsFor(c, obj.metadata.uid as string);
  assert.equal(
    alerts.length,
    1,
    `alerts for ${obj.kind} ${obj.metadata.name}: ${alerts.map((a) => a.metadata?.name)}`,
  );
  const a = alerts[0] as AuditAlert;
  assert.equal(a.spec.detection.name, detection);
  return a;
}

describe('core: one AuditAlert for every new Ingress, workload, ClusterRole and Namespace', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `core-${id}`;
  let c: KubeClient;
  let op: OperatorProcess;
  const preexisting: KubeObject[] = [];

  before(async () => {
    const cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    // Another suite may have applied the detections already; start from "never applied".
    await kubectlOk(cp, [
      'delete',
      '--ignore-not-found',
      '-k',
      path.join(repoRoot(), 'manifests/detections'),
    ]);
    // Objects that exist before the detections are first applied must never raise alerts.
    preexisting.push(await createNamespace(c, ns));
    preexisting.push(await createIngress(c, ns, 'old-ingress'));
    preexisting.push(await createClusterRole(c, `old-role-${id}`));
    preexisting.push(
      await create(c, WORKLOADS[0]?.collection(ns) as string, WORKLOADS[0]?.body('old-pod') as object),
    );
    // creationTimestamp has one-second resolution; the boundary second counts as new (never miss).
    await new Promise((r) => setTimeout(r, 1100));
    await kubectlOk(cp, ['apply', '-k', path.join(repoRoot(), 'manifests/detections')]);
    op = await startOperator(cp.kubeconfigPath, ['--watch-stall-seconds', '5']);
    await op.waitReady();
  });

  after(async () => {
    if (op?.running()) await op.stop();
    c?.close();
  });

  it('marks every default detection Ready with observedGeneration', async () => {
    const cp = controlPlane();
    for (const d of ['ingress-created', 'workload-created', 'clusterrole-created', 'namespace-created']) {
      await kubectlOk(cp, ['wait', '--for=condition=Ready', '--timeout=30s', `auditdetection/${d}`]);
      const out = JSON.parse(await kubectlOk(cp, ['get', 'auditdetection', d, '-o', 'json']));
      assert.equal(out.status.observedGeneration, out.metadata.generation);
      assert.ok(out.status.activeSince, 'activeSince recorded');
    }
  });

  it('raises nothing for objects that existed before the detections', async () => {
    await op.waitIdle();
    for (const o of preexisting)
      assert.deepEqual(await alertsFor(c, o.metadata.uid as string), [], `${o.kind} ${o.metadata.name}`);
  });

  it('raises one alert for a new Namespace, with its labels as evidence', async () => {
    const n = await createNamespace(c, `tenant-${id}`, {
      'pod-security.kubernetes.io/enforce': 'privileged',
      team: 'a',
    });
    const a = await expectOneAlert(c, op, n, 'namespace-created');
    assert.equal(a.spec.subject.kind, 'Namespace');
    assert.equal(a.spec.subject.name, `tenant-${id}`);
    assert.match(JSON.stringify(a.spec.evidence), /privileged/);
  });

  it('raises one alert for a new Ingress with hosts, backends and TLS, and concrete steps', async () => {
    const ing = await createIngress(c, ns, 'shop', `shop-${id}.example.com`);
    const a = await expectOneAlert(c, op, ing, 'ingress-created');
    assert.equal(a.spec.subject.namespace, ns);
    assert.equal(a.spec.subject.uid, ing.metadata.uid);
    const ev = JSON.stringify(a.spec.evidence);
    for (const want of [`shop-${id}.example.com`, 'web', 'shop-tls', 'nginx'])
      assert.ok(ev.includes(want), `evidence has ${want}`);
    assert.ok(a.spec.actor?.fieldManager, 'actor.fieldManager from managedFields');
    const commands = [...(a.spec.investigation ?? []), ...(a.spec.resolution ?? [])]
      .map((s) => s.command ?? '')
      .join('\n');
    assert.ok(
      commands.includes(`-n ${ns}`) && commands.includes('shop'),
      `steps name the real object:\n${commands}`,
    );
    assert.ok(!commands.includes('{{'), 'no unrendered template variables');
    assert.ok(a.spec.detectedAt);
    assert.equal(a.metadata?.labels?.['tripline.dev/detection'], 'ingress-created');
    assert.equal(a.metadata?.ownerReferences, undefined, 'no ownerReferences to the subject');
  });

  it('raises one alert for a new ClusterRole with its rules', async () => {
    const r = await createClusterRole(c, `reader-${id}`);
    const a = await expectOneAlert(c, op, r, 'clusterrole-created');
    assert.match(JSON.stringify(a.spec.evidence), /secrets/);
  });

  for (const w of WORKLOADS) {
    it(`raises one alert for a new ${w.kind}`, async () => {
      const o = await create(c, w.collection(ns), w.body(`${w.kind.toLowerCase()}-${id}`));
      const a = await expectOneAlert(c, op, o, 'workload-created');
      assert.equal(a.spec.subject.kind, w.kind);
      assert.match(JSON.stringify(a.spec.evidence), /registry\.example\.com\/web:1\.2\.3/);
    });
  }

  it('raises exactly one alert for a Deployment with its ReplicaSet and Pods', async () => {
    const [dep, ...owned] = await createDeploymentChain(c, ns, `chain-${id}`, 3);
    await expectOneAlert(c, op, dep as KubeObject, 'workload-created');
    for (const o of owned)
      assert.deepEqual(await alertsFor(c, o.metadata.uid as string), [], `${o.kind} ${o.metadata.name}`);
  });

  it('raises objects created while the operator was down once, across restarts', async () => {
    const cp = controlPlane();
    await op.stop();
    const made = [
      await createNamespace(c, `offline-${id}`),
      await createIngress(c, ns, `offline-${id}`),
      await createClusterRole(c, `offline-${id}`),
    ];
    for (let round = 0; round < 3; round++) {
      op = await startOperator(cp.kubeconfigPath, ['--watch-stall-seconds', '5']);
      await op.waitReady();
      for (const o of made) await waitForAlerts(c, o.metadata.uid as string);
      await op.waitIdle();
      for (const o of made)
        assert.equal((await alertsFor(c, o.metadata.uid as string)).length, 1, `round ${round}`);
      if (round < 2) await op.stop();
    }
  });

  it('recovers when the API server restarts mid-watch and misses nothing', async () => {
    const cp = controlPlane();
    await cp.restartApiServer();
    const after = await createIngress(c, ns, `after-restart-${id}`);
    await expectOneAlert(c, op, after, 'ingress-created');
    assert.ok(op.running(), 'operator still running');
    assert.ok((await op.metric('tripline_watch_restarts_total')) > 0, 'watches restarted');
  });

  it('lists alerts with kubectl, with the documented columns and server-side field selectors', async () => {
    const cp = controlPlane();
    const table = await kubectlOk(cp, ['get', 'auditalerts']);
    const header = (table.split('\n')[0] ?? '').split(/\s{2,}/);
    assert.deepEqual(
      header.map((h) => h.trim()),
      ['NAME', 'STATE', 'SEVERITY', 'DETECTION', 'KIND', 'NAMESPACE', 'SUBJECT', 'AGE'],
    );
    assert.match(table, /Open/);
    const wide = await kubectlOk(cp, ['get', 'aal', '-o', 'wide']);
    assert.match(wide.split('\n')[0] ?? '', /CATEGORY.*SUMMARY/);
    const all = await listSeverities(cp, []);
    const high = await listSeverities(cp, ['--field-selector', 'spec.severity=High']);
    assert.ok(all.includes('High') && all.some((s) => s !== 'High'), `need mixed severities, got ${all}`);
    assert.ok(high.length > 0 && high.every((s) => s === 'High'), `filtered: ${high}`);
    // Other suites may have triaged alerts in this shared cluster: compare with a client-side count.
    const open = await listSeverities(cp, ['--field-selector', 'status.state=Open']);
    const states = await kubectlOk(cp, ['get', 'aal', '-o', 'jsonpath={.items[*].status.state}']);
    assert.equal(open.length, states.split(/\s+/).filter((x) => x === 'Open').length);
    assert.ok(open.length > 0);
  });

  it('describes an alert and shows it as YAML', async () => {
    const cp = controlPlane();
    const name = (await kubectlOk(cp, ['get', 'aal', '-o', 'name'])).split('\n')[0] as string;
    assert.match(await kubectlOk(cp, ['describe', name]), /Investigation/);
    assert.match(await kubectlOk(cp, ['get', name, '-o', 'yaml']), /detectedAt/);
  });

  it('keeps the watermark persisted in detection status', async () => {
    await waitFor(
      async () => {
        const d = await c.request<{ status?: { watermark?: string } }>(
          'GET',
          '/apis/tripline.dev/v1alpha1/auditdetections/ingress-created',
        );
        return Boolean(d.status?.watermark);
      },
      30_000,
      'a watermark',
    );
  });
});

async function listSeverities(cp: ReturnType<typeof controlPlane>, extra: string[]): Promise<string[]> {
  const out = await kubectlOk(cp, ['get', 'aal', ...extra, '-o', 'jsonpath={.items[*].spec.severity}']);
  return out.split(/\s+/).filter(Boolean);
}
