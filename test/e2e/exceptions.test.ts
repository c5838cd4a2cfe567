import assert from 'node:assert/strict';
import type { ControlPlane } from '../../hack/controlplane/index.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { create, createNamespace } from '../../hack/samples.js';
import type { AuditDetection } from '../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../src/api/kube-object.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  alertsFor,
  detectionManifest,
  installCrds,
  kubectlOk,
  suffix,
  waitDetectionReady,
} from './support/cluster.js';

const getDetection = (c: KubeClient, name: string) =>
  c.request<AuditDetection>('GET', `/apis/tripline.dev/v1alpha1/auditdetections/${name}`);
const expiredCondition = (d: AuditDetection) =>
  d.status?.conditions?.find((x) => x.type === 'ExceptionsExpired');

describe('exceptions: owner, reason, expiry and per-exception counters', function () {
  this.timeout(180_000);
  const id = suffix();
  const ns = `exc-${id}`;
  const det = `exc-cm-${id}`;
  const later = `exc-later-${id}`;
  let cp: ControlPlane;
  let c: KubeClient;
  let op: OperatorProcess;

  const configMap = (name: string): Promise<KubeObject> =>
    create(c, `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { k: 'v' } });
  const alertsOf = async (obj: KubeObject, detection: string) =>
    (await alertsFor(c, obj.metadata.uid as string)).filter((a) => a.spec.detection.name === detection);

  before(async () => {
    cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    await createNamespace(c, ns);
    op = await startOperator(cp.kubeconfigPath, ['--watermark-flush-seconds', '1']);
    await op.waitReady();
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      detectionManifest(det, {
        severity: 'Medium',
        category: 'Other',
        resources: [{ version: 'v1', resource: 'configmaps' }],
        match: { namespaces: { include: [ns] } },
        exceptions: [
          {
            name: 'ci-bot',
            owner: 'team-ci',
            reason: 'CI writes these',
            expires: new Date(Date.now() + 3_600_000).toISOString(),
            names: ['ci-*'],
          },
          { name: 'old-canary', owner: 'alice', expires: '2020-01-01T00:00:00Z', names: ['canary-*'] },
          { name: 'never-used', names: ['nothing-matches-*'] },
        ],
      }),
    );
    await waitDetectionReady(c, det);
  });

  after(async () => {
    for (const d of [det, later]) await cp?.kubectl(['delete', '--ignore-not-found', 'auditdetection', d]);
    if (op?.running()) await op.stop();
    c?.close();
  });

  it('a valid exception suppresses, and its counter moves in status and kubectl get -o wide', async () => {
    const suppressed = await configMap('ci-1');
    await waitFor(
      async () => ((await getDetection(c, det)).status?.exceptions?.[0]?.matches ?? 0) >= 1,
      30_000,
      'status.exceptions[0].matches >= 1',
    ).catch(async (err) => {
      process.stderr.write(op.logs().split('\n').slice(-80).join('\n'));
      process.stderr.write(`\nSUPPRESSED ${await op.metric('tripline_suppressed_total')}\n`);
      process.stderr.write(`\nALERTS ${JSON.stringify(await alertsOf(suppressed, det))}\n`);
      process.stderr.write(`\nSTATUS ${JSON.stringify((await getDetection(c, det)).status)}\n`);
      throw err;
    });
    const d = await getDetection(c, det);
    const [ci, canary, unused] = d.status?.exceptions ?? [];
    assert.equal(ci?.name, 'ci-bot');
    assert.equal(ci?.owner, 'team-ci');
    assert.equal(ci?.expired, false);
    assert.ok(ci?.lastMatched, 'lastMatched is set');
    assert.equal(canary?.expired, true);
    assert.equal(unused?.matches, 0);
    await op.waitIdle();
    assert.deepEqual(await alertsOf(suppressed, det), [], 'no alert for the suppressed object');
    const wide = await kubectlOk(cp, ['get', 'adet', det, '-o', 'wide']);
    const [header, row] = wide.trim().split('\n');
    assert.match(header ?? '', /EXCEPTIONS/);
    assert.match(row ?? '', /3 \(1 expired, 1 unused\)/, wide);
  });

  it('an exception past its expiry no longer suppresses, and the detection names it', async () => {
    const obj = await configMap('canary-1');
    await waitFor(async () => (await alertsOf(obj, det)).length > 0, 30_000, 'an alert for canary-1');
    assert.equal((await alertsOf(obj, det)).length, 1, 'the expired exception let the alert through');
    const d = await getDetection(c, det);
    const cond = expiredCondition(d);
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'Expired');
    assert.match(cond?.message ?? '', /spec\.exceptions\[1\] "old-canary" \(owner alice, expired 2020-01-01/);
  });

  it('expiry is checked when objects are matched: no new generation is needed', async () => {
    const expires = new Date(Date.now() + 20_000).toISOString();
    await kubectlOk(
      cp,
      ['apply', '-f', '-'],
      detectionManifest(later, {
        severity: 'Low',
        category: 'Other',
        resources: [{ version: 'v1', resource: 'configmaps' }],
        match: { namespaces: { include: [ns] } },
        exceptions: [{ name: 'short', owner: 'bob', expires, names: ['short-*'] }],
      }),
    );
    await waitDetectionReady(c, later);
    const before = await getDetection(c, later);
    assert.notEqual(expiredCondition(before)?.status, 'True', 'not expired when applied');
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expires) - Date.now()) + 1000));
    const obj = await configMap('short-1');
    // The other detection of this suite alerts on it too: wait for this one's alert.
    await waitFor(async () => (await alertsOf(obj, later)).length > 0, 30_000, `an alert of ${later}`);
    assert.equal(
      (await alertsOf(obj, later)).length,
      1,
      'raised although the exception was valid when the detection compiled',
    );
    await waitFor(
      async () => expiredCondition(await getDetection(c, later))?.status === 'True',
      30_000,
      'ExceptionsExpired=True without a spec change',
    );
    const after = await getDetection(c, later);
    assert.equal(after.metadata?.generation, before.metadata?.generation, 'same generation');
    assert.match(expiredCondition(after)?.message ?? '', /"short" \(owner bob/);
  });

  it('the condition turns False once the expired exception is removed', async () => {
    await kubectlOk(cp, [
      'patch',
      'adet',
      later,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/spec/exceptions', value: [{ names: ['other-*'] }] }]),
    ]);
    await waitFor(
      async () => {
        const d = await getDetection(c, later);
        const cond = expiredCondition(d);
        return cond?.status === 'False' && cond.reason === 'NoneExpired';
      },
      30_000,
      'ExceptionsExpired=False',
    );
  });
});
