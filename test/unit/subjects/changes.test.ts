import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import {
  changeKeyOf,
  diffStates,
  previousObject,
  relevantState,
  type Snapshot,
  SnapshotMemory,
  snapshotOf,
} from '../../../src/subjects/changes.js';

const ingress = (
  over: {
    host?: string;
    generation?: number;
    rv?: string;
    status?: unknown;
    annotations?: Record<string, string>;
  } = {},
): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: 'u1',
    generation: over.generation ?? 1,
    resourceVersion: over.rv ?? '10',
    managedFields: [{ manager: 'kubectl', operation: 'Update', time: over.rv ?? '10' }],
    annotations: over.annotations,
  },
  spec: { rules: [{ host: over.host ?? 'a.example.com' }] },
  status: over.status ?? {},
});

describe('snapshots and change keys', () => {
  const base = snapshotOf(ingress());
  const cases: {
    name: string;
    prev: Snapshot | undefined;
    cur: KubeObject;
    want: string | RegExp | undefined;
  }[] = [
    {
      name: 'spec change bumps generation',
      prev: base,
      cur: ingress({ host: 'b', generation: 2 }),
      want: 'generation:2',
    },
    {
      name: 'status-only update',
      prev: base,
      cur: ingress({ status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }, rv: '11' }),
      want: undefined,
    },
    { name: 'managedFields/resourceVersion only', prev: base, cur: ingress({ rv: '12' }), want: undefined },
    {
      name: 'last-applied annotation only',
      prev: base,
      cur: ingress({ annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }),
      want: undefined,
    },
    {
      name: 'annotation change without generation bump',
      prev: base,
      cur: ingress({ annotations: { a: 'b' } }),
      want: /^generation:1\/digest:[0-9a-f]{16}$/,
    },
    { name: 'not observed, generation 1', prev: undefined, cur: ingress(), want: undefined },
    {
      name: 'not observed, generation 3',
      prev: undefined,
      cur: ingress({ generation: 3 }),
      want: 'generation:3',
    },
    {
      name: 'not observed, no generation',
      prev: undefined,
      cur: { kind: 'ConfigMap', metadata: { uid: 'c' }, data: { k: 'v' } },
      want: /^digest:[0-9a-f]{16}$/,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const key = changeKeyOf(c.prev, snapshotOf(c.cur));
      if (c.want instanceof RegExp) assert.match(key ?? '', c.want);
      else assert.equal(key, c.want);
    });

  it('the same state always has the same digest, whatever the key order', () => {
    const a: KubeObject = { metadata: { uid: 'x' }, data: { a: '1', b: '2' } };
    const b: KubeObject = { data: { b: '2', a: '1' }, metadata: { uid: 'x' } };
    assert.equal(snapshotOf(a).digest, snapshotOf(b).digest);
  });

  it('keeps only the relevant state', () => {
    assert.deepEqual(relevantState(ingress({ annotations: { a: 'b' } })), {
      metadata: { annotations: { a: 'b' } },
      spec: { rules: [{ host: 'a.example.com' }] },
    });
  });

  it('keeps no state for a very large object, only its digest', () => {
    const big: KubeObject = { metadata: { uid: 'x' }, data: { k: 'v'.repeat(10_000) } };
    const s = snapshotOf(big);
    assert.equal(s.state, undefined);
    assert.match(s.digest, /^[0-9a-f]{16}$/);
  });

  it('rebuilds the previous object for CEL', () => {
    const old = previousObject(base, ingress({ host: 'b', generation: 2 }));
    assert.equal((old?.spec as { rules: { host: string }[] } | undefined)?.rules[0]?.host, 'a.example.com');
    assert.equal(old?.metadata.name, 'web');
    assert.equal(old?.metadata.generation, 1);
    assert.equal(previousObject(undefined, ingress()), undefined);
  });
});

describe('diffStates', () => {
  it('shows changed, added and removed fields with before and after', () => {
    const before = { spec: { rules: [{ host: 'a' }], tls: [{ secretName: 's' }] } };
    const after = { metadata: { annotations: { x: 'y' } }, spec: { rules: [{ host: 'b' }] } };
    assert.deepEqual(diffStates(before, after), [
      { path: 'metadata.annotations.x', after: 'y' },
      { path: 'spec.rules[0].host', before: 'a', after: 'b' },
      { path: 'spec.tls[0].secretName', before: 's' },
    ]);
  });

  it('quotes keys that are not plain names and caps the list', () => {
    const many = Object.fromEntries(
      Array.from({ length: 80 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i]),
    );
    const d = diffStates({}, { data: many });
    assert.equal(d.length, 50);
    assert.match(d[49]?.path ?? '', /31 more changed fields left out/);
    assert.deepEqual(diffStates({}, { metadata: { labels: { 'app.kubernetes.io/name': 'x' } } }), [
      { path: 'metadata.labels."app.kubernetes.io/name"', after: 'x' },
    ]);
  });
});

describe('SnapshotMemory', () => {
  it('forgets the least recently observed entry beyond its bound', () => {
    const m = new SnapshotMemory(2);
    m.set('a', { digest: '1' });
    m.set('b', { digest: '2' });
    m.set('a', { digest: '3' });
    m.set('c', { digest: '4' });
    assert.equal(m.size, 2);
    assert.equal(m.get('b'), undefined);
    assert.equal(m.get('a')?.digest, '3');
    m.delete('a');
    m.clear();
    assert.equal(m.size, 0);
  });

  it('keeps states within its character budget: the least recently observed keep their digest only', () => {
    const ingress = (name: string, blob: string): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, uid: name, generation: 1, annotations: { blob } },
      spec: { rules: [{ host: `${name}.example.com` }] },
    });
    const one = snapshotOf(ingress('a', 'x'.repeat(3000)));
    const chars = one.stateChars ?? 0;
    assert.ok(chars > 3000 && chars <= 4096, `one state: ${chars} characters`);
    const m = new SnapshotMemory(100, chars * 3);
    for (const n of ['a', 'b', 'c', 'd', 'e']) m.set(n, snapshotOf(ingress(n, 'x'.repeat(3000))));
    assert.equal(m.size, 5, 'every object still remembered');
    assert.equal(m.stateChars, chars * 3);
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'e'].map((n) => m.get(n)?.state !== undefined),
      [false, false, true, true, true],
    );
    assert.equal(m.get('a')?.digest, one.digest, 'the digest stays: the next update is still keyed');
    assert.equal(m.get('a')?.generation, 1);
    // Observing a again brings its state back and pushes out the next least recent.
    m.set('a', snapshotOf(ingress('a', 'x'.repeat(3000))));
    assert.equal(m.get('a')?.state !== undefined, true);
    assert.equal(m.get('c')?.state, undefined);
    m.delete('a');
    assert.equal(m.stateChars, chars * 2);
  });
});
