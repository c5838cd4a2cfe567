import assert from 'node:assert/strict';
import { LAST_APPLIED } from '../../../src/subjects/generic.js';
import { analyseSubject } from '../../../src/subjects/index.js';
import { subjectFixture } from '../support/fixtures.js';

type Meta = Record<string, unknown> & {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
};
const metaOf = (obj: unknown): Meta => analyseSubject(obj).evidence.metadata as Meta;
const cm = (metadata: Record<string, unknown>): unknown => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'n', ...metadata },
});

describe('metadata evidence (every kind)', () => {
  it('drops last-applied-configuration and keeps the other annotations', () => {
    const meta = metaOf(subjectFixture('ingress'));
    assert.equal(meta.annotations?.[LAST_APPLIED], undefined);
    assert.equal(meta.annotations?.['nginx.ingress.kubernetes.io/rewrite-target'], '/');
  });

  const truncation: { name: string; value: string; kept: number; noted: boolean }[] = [
    { name: 'exactly 1 KiB is kept whole', value: 'a'.repeat(1024), kept: 1024, noted: false },
    { name: '1 KiB + 1 is cut', value: 'a'.repeat(1025), kept: 1024, noted: true },
    { name: 'a 1 MB annotation is cut', value: 'b'.repeat(1024 * 1024), kept: 1024, noted: true },
    { name: 'multi-byte characters are not split', value: 'é'.repeat(600), kept: 1024, noted: true },
  ];
  for (const c of truncation) {
    it(`annotation values: ${c.name}`, () => {
      const got = analyseSubject(cm({ annotations: { big: c.value } }));
      const value = (got.evidence.metadata as Meta).annotations?.big ?? '';
      const body = c.noted ? value.slice(0, -1) : value;
      assert.equal(Buffer.byteLength(body), c.kept);
      assert.ok(c.value.startsWith(body));
      assert.equal(
        got.notes.some((n) => n.startsWith('annotation big is')),
        c.noted,
      );
    });
  }

  it('caps labels at 64 with a note', () => {
    const labels = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`l${i}`, 'v']));
    const got = analyseSubject(cm({ labels }));
    assert.equal(Object.keys((got.evidence.metadata as Meta).labels ?? {}).length, 64);
    assert.ok(got.notes.includes('metadata.labels has 100 entries; kept 64'));
  });

  it('summarises managedFields and owner references without field sets', () => {
    const meta = metaOf(subjectFixture('replicaset'));
    assert.deepEqual(meta.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true },
    ]);
    assert.deepEqual(meta.managedFields, [
      { manager: 'kube-controller-manager', operation: 'Update', time: '2026-11-20T10:00:01Z' },
    ]);
  });

  it('outlines the spec of a kind without its own analyser', () => {
    const got = analyseSubject({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'n' },
      spec: { size: 3, colour: 'red', enabled: true, parts: [1, 2], nested: { a: 1 } },
    });
    assert.deepEqual(got.evidence.spec, {
      fields: { size: 3, colour: 'red', enabled: true },
      nestedFields: ['parts', 'nested'],
    });
    assert.equal(got.summary, 'Widget n/w');
  });

  it('reads a ConfigMap (no spec) as metadata only, never its data', () => {
    const got = analyseSubject(subjectFixture('configmap'));
    assert.equal(got.summary, 'ConfigMap shop/settings');
    assert.ok(!JSON.stringify(got).includes('production'));
  });
});
