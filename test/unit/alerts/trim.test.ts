import assert from 'node:assert/strict';
import { trimEvidence } from '../../../src/alerts/trim.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';

const alert = (evidence: Record<string, unknown>, notes: string[] = []): AuditAlert => ({
  apiVersion: 'tripline.dev/v1alpha1',
  kind: 'AuditAlert',
  metadata: { name: 'a' },
  spec: {
    detection: { name: 'd' },
    severity: 'Low',
    category: 'Other',
    event: 'Created',
    summary: 's',
    subject: { apiVersion: 'v1', kind: 'Pod', name: 'p' },
    evidence,
    notes,
    detectedAt: '2026-01-01T00:00:00.000Z',
  },
});

const big = {
  image: 'x'.repeat(5000),
  small: 'ok',
  list: Array.from({ length: 120 }, (_, i) => ({ n: i, s: 'y'.repeat(400) })),
  nested: { deeper: { text: 'z'.repeat(2000) } },
  count: 7,
};

describe('trimEvidence', () => {
  const cases: { level: 1 | 2 | 3; check: (e: Record<string, unknown>) => void; note: RegExp }[] = [
    {
      level: 1,
      check: (e) => {
        assert.equal((e.image as string).length, 1024);
        assert.equal((e.list as unknown[]).length, 50);
        assert.equal(((e.nested as { deeper: { text: string } }).deeper.text as string).length, 1024);
        assert.equal(e.small, 'ok');
        assert.equal(e.count, 7);
        assert.equal(((e.list as Array<{ s: string }>)[0]?.s ?? '').length, 400);
      },
      note: /level 1.*: 2 strings cut to 1024 bytes, 1 lists or maps cut to 50 entries$/,
    },
    {
      level: 2,
      check: (e) => {
        assert.equal((e.image as string).length, 256);
        assert.equal((e.list as unknown[]).length, 10);
        assert.equal(((e.list as Array<{ s: string }>)[0]?.s ?? '').length, 256);
      },
      note: /level 2.*: 12 strings cut to 256 bytes, 1 lists or maps cut to 10 entries$/,
    },
    {
      level: 3,
      check: (e) => assert.deepEqual(e, { trimmed: true }),
      note: /level 3.*all evidence left out/,
    },
  ];
  for (const c of cases) {
    it(`level ${c.level}`, () => {
      const input = alert(structuredClone(big), ['first note']);
      const before = structuredClone(input);
      const out = trimEvidence(input, c.level);
      c.check(out.spec.evidence ?? {});
      assert.equal(out.spec.notes?.[0], 'first note');
      assert.match(out.spec.notes?.at(-1) ?? '', c.note);
      assert.deepEqual(input, before, 'input unchanged');
      assert.ok(JSON.stringify(out).length < JSON.stringify(input).length);
    });
  }

  it('caps maps with many keys too', () => {
    const labels = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, 'v']));
    const out = trimEvidence(alert({ labels }), 1);
    assert.equal(Object.keys((out.spec.evidence as { labels: object }).labels).length, 50);
  });

  it('keeps notes within the CRD limit of 64', () => {
    const notes = Array.from({ length: 64 }, (_, i) => `n${i}`);
    const out = trimEvidence(alert({ a: 1 }, notes), 3);
    assert.equal(out.spec.notes?.length, 64);
    assert.match(out.spec.notes?.[63] ?? '', /level 3/);
  });

  it('handles an alert without evidence or notes', () => {
    const a = alert({});
    delete a.spec.evidence;
    delete a.spec.notes;
    const out = trimEvidence(a, 1);
    assert.deepEqual(out.spec.evidence, {});
    assert.equal(out.spec.notes?.length, 1);
  });
});
