import assert from 'node:assert/strict';
import { createAlert } from '../../../src/alerts/writer.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { ApiError, classifyError } from '../../../src/kube/errors.js';
import { capturingLogger, fakeClient, invalid } from '../support/api-fakes.js';

const tooLarge = (): ApiError =>
  new ApiError('POST /apis/tripline.dev/v1alpha1/auditalerts: 413 Request Entity Too Large', {
    status: 413,
    method: 'POST',
  });

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
    const { client, posts } = fakeClient([invalid(), invalid()]);
    const { log, lines } = capturingLogger();
    const err = await createAlert(client, alert(), log).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error, 'the minimal form refused too is thrown');
    assert.equal(classifyError(err), 'terminal');
    assert.equal(posts.length, 2, 'the alert, then its minimal form; no trim levels');
    const minimal = posts[1] as AuditAlert;
    assert.deepEqual(minimal.spec.evidence, { reduced: true });
    assert.equal(minimal.metadata?.name, 'a');
    assert.equal(minimal.spec.notes?.length, 1);
    assert.match(minimal.spec.notes?.[0] ?? '', /reduced to its minimal form.*Too long/);
    assert.equal(minimal.spec.risks, undefined);
    assert.equal(lines.filter((l) => /too large/.test(String(l.message))).length, 0);
  });

  it('a minimal form accepted is created', async () => {
    const { client, posts } = fakeClient([invalid(), undefined]);
    assert.equal(await createAlert(client, alert(), capturingLogger().log), 'created');
    assert.equal(posts.length, 2);
  });

  it('too large trims level by level, logging the trim level without replacing the log level', async () => {
    const { client, posts } = fakeClient([tooLarge(), undefined]);
    const { log, lines } = capturingLogger();
    assert.equal(await createAlert(client, alert(), log), 'created');
    assert.equal(posts.length, 2);
    const warn = lines.find((l) => /too large/.test(String(l.message)));
    assert.ok(warn);
    assert.equal(warn.level, 'warn');
    assert.equal(warn.trimLevel, 1);
  });

  it('too large even at the last trim level gets one minimal try, then is terminal', async () => {
    const { client, posts } = fakeClient([tooLarge(), tooLarge(), tooLarge(), tooLarge(), tooLarge()]);
    const err = await createAlert(client, alert(), capturingLogger().log).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(posts.length, 5);
    assert.deepEqual(posts[4]?.spec.evidence, { reduced: true });
    assert.equal(classifyError(err), 'terminal');
  });
});
