import assert from 'node:assert/strict';
import { createAlert } from '../../../src/alerts/writer.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { classifyError } from '../../../src/kube/errors.js';
import { capturingLogger } from '../support/capturing-logger.js';
import { schemaRefusal } from '../support/core-fixtures.js';
import { FakeCluster, type Fault } from '../support/fake-cluster.js';

const ALERTS = 'auditalerts.tripline.dev';
/** The API server refusing alert creates with the schema's "Too long" (422 Invalid). */
const tooLong = (times: number): Fault => schemaRefusal(times);
/** The API server refusing alert creates as too large (413). */
const tooLarge = (times: number): Fault => ({
  verb: 'create',
  resource: ALERTS,
  status: 413,
  message: 'Request Entity Too Large',
  times,
});
/** The bodies of the alert creates the cluster was sent, in order. */
const posts = (c: FakeCluster): AuditAlert[] =>
  c.actions.filter((a) => a.verb === 'create' && a.resource === ALERTS).map((a) => a.body as AuditAlert);
const storedAlert = (c: FakeCluster) =>
  c.get({ apiVersion: 'tripline.dev/v1alpha1', kind: 'AuditAlert', metadata: { name: 'a' } }) as unknown as
    | AuditAlert
    | undefined;

const alert = (): AuditAlert => ({
  apiVersion: 'tripline.dev/v1alpha1',
  kind: 'AuditAlert',
  metadata: { name: 'a', labels: { 'tripline.dev/detection': 'd' } },
  spec: {
    detection: { name: 'd', generation: 1 },
    severity: 'High',
    category: 'Other',
    event: 'Created',
    summary: 'New Pod default/p',
    subject: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'default', uid: 'u1' },
    evidence: { image: 'x'.repeat(3000) },
    notes: ['a note'],
    risks: [{ id: 'workload.privileged', severity: 'High', message: 'm' }],
    detectedAt: '2026-01-01T00:00:00.000Z',
  },
});

describe('createAlert', () => {
  it('a schema rejection ("Too long") is retried once in minimal form, not trimmed as too large', async () => {
    const client = new FakeCluster();
    client.fail(tooLong(2));
    const { log, lines } = capturingLogger();
    const err = await createAlert(client, alert(), log).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error, 'the minimal form refused too is thrown');
    assert.equal(classifyError(err), 'terminal');
    assert.deepEqual(
      client.writes(),
      [`create ${ALERTS} a -> 422`, `create ${ALERTS} a -> 422`],
      'the alert, then its minimal form; no trim levels',
    );
    const minimal = posts(client)[1] as AuditAlert;
    assert.deepEqual(minimal.spec.evidence, { reduced: true });
    assert.equal(minimal.metadata?.name, 'a');
    assert.equal(minimal.spec.notes?.length, 1);
    assert.match(minimal.spec.notes?.[0] ?? '', /reduced to its minimal form.*Too long/);
    assert.equal(minimal.spec.risks, undefined);
    assert.equal(lines.filter((l) => /too large/.test(String(l.message))).length, 0);
    assert.equal(storedAlert(client), undefined);
  });

  it('a minimal form accepted is created', async () => {
    const client = new FakeCluster();
    client.fail(tooLong(1));
    assert.equal(await createAlert(client, alert(), capturingLogger().log), 'created');
    assert.deepEqual(client.writes(), [`create ${ALERTS} a -> 422`, `create ${ALERTS} a`]);
    assert.deepEqual(storedAlert(client)?.spec.evidence, { reduced: true });
  });

  it('an alert raised before (409 AlreadyExists) is "exists", not an error', async () => {
    const client = new FakeCluster();
    client.put(alert());
    assert.equal(await createAlert(client, alert(), capturingLogger().log), 'exists');
    assert.deepEqual(client.writes(), [`create ${ALERTS} a -> 409`]);
  });

  it('too large trims level by level, logging the trim level without replacing the log level', async () => {
    const client = new FakeCluster();
    client.fail(tooLarge(1));
    const { log, lines } = capturingLogger();
    assert.equal(await createAlert(client, alert(), log), 'created');
    assert.deepEqual(client.writes(), [`create ${ALERTS} a -> 413`, `create ${ALERTS} a`]);
    const warn = lines.find((l) => /too large/.test(String(l.message)));
    assert.ok(warn);
    assert.equal(warn.level, 'warn');
    assert.equal(warn.trimLevel, 1);
    assert.notDeepEqual(storedAlert(client)?.spec.evidence, alert().spec.evidence, 'stored trimmed');
  });

  it('too large even at the last trim level gets one minimal try, then is terminal', async () => {
    const client = new FakeCluster();
    client.fail(tooLarge(5));
    const err = await createAlert(client, alert(), capturingLogger().log).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(posts(client).length, 5);
    assert.deepEqual(posts(client)[4]?.spec.evidence, { reduced: true });
    assert.equal(classifyError(err), 'terminal');
  });
});
