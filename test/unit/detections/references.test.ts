import assert from 'node:assert/strict';
import { compileReference, type ReferenceSpec, referencesIn } from '../../../src/detections/references.js';

const TLS: ReferenceSpec = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'ingresses',
  path: 'spec.tls[].secretName',
};

const rule = (spec: ReferenceSpec) => {
  const r = compileReference(spec);
  assert.ok(r.rule, r.errors.join('; '));
  return r.rule;
};

const ingress = (tls: unknown): Record<string, unknown> => ({
  metadata: { name: 'shop', namespace: 'web' },
  spec: { tls, rules: [{ host: 'shop.example.com' }] },
});

describe('referencesIn (where an object names the subject)', () => {
  const tls = rule(TLS).segments;
  const cases: { name: string; obj: unknown; subject: string; want: ReturnType<typeof referencesIn> }[] = [
    {
      name: 'one TLS entry naming it, with its hosts as context',
      obj: ingress([{ hosts: ['a.example.com', 'b.example.com'], secretName: 'shop-tls' }]),
      subject: 'shop-tls',
      want: [{ field: 'spec.tls[0].secretName', context: { hosts: ['a.example.com', 'b.example.com'] } }],
    },
    {
      name: 'the second of two entries',
      obj: ingress([{ secretName: 'other' }, { hosts: ['c.example.com'], secretName: 'shop-tls' }]),
      subject: 'shop-tls',
      want: [{ field: 'spec.tls[1].secretName', context: { hosts: ['c.example.com'] } }],
    },
    {
      name: 'an entry without hosts has no context',
      obj: ingress([{ secretName: 'shop-tls' }]),
      subject: 'shop-tls',
      want: [{ field: 'spec.tls[0].secretName' }],
    },
    { name: 'another secret', obj: ingress([{ secretName: 'other' }]), subject: 'shop-tls', want: [] },
    { name: 'no TLS section', obj: { spec: { rules: [] } }, subject: 'shop-tls', want: [] },
    { name: 'tls is not a list', obj: ingress({ secretName: 'shop-tls' }), subject: 'shop-tls', want: [] },
    { name: 'an entry is not an object', obj: ingress(['shop-tls', null]), subject: 'shop-tls', want: [] },
    { name: 'secretName of another type', obj: ingress([{ secretName: 7 }]), subject: '7', want: [] },
    { name: 'not an object at all', obj: 'shop-tls', subject: 'shop-tls', want: [] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(referencesIn(c.obj, tls, c.subject), c.want));

  it('follows plain fields too (a binding naming its ClusterRole)', () => {
    const roleRef = rule({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      resource: 'clusterrolebindings',
      path: 'roleRef.name',
    });
    const binding = {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
    };
    assert.deepEqual(referencesIn(binding, roleRef.segments, 'admin'), [
      { field: 'roleRef.name', context: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole' } },
    ]);
  });

  it('caps the context it copies', () => {
    const hosts = Array.from({ length: 50 }, (_, i) => `h${i}.example.com`);
    const [ref] = referencesIn(ingress([{ hosts, secretName: 's', extra: { nested: true } }]), tls, 's');
    assert.equal((ref?.context?.hosts as string[] | undefined)?.length, 20);
    assert.equal(ref?.context?.extra, undefined);
  });
});

describe('compileReference', () => {
  const invalid: { name: string; spec: ReferenceSpec; error: RegExp }[] = [
    { name: 'a path ending in a list', spec: { ...TLS, path: 'spec.tls[]' }, error: /not a field path/ },
    { name: 'an empty segment', spec: { ...TLS, path: 'spec..secretName' }, error: /not a field path/ },
    {
      name: 'secrets as the referring resource (never read in full)',
      spec: { group: '', version: 'v1', resource: 'secrets', path: 'metadata.name' },
      error: /metadata only/,
    },
  ];
  for (const c of invalid)
    it(`refuses ${c.name}`, () => assert.match(compileReference(c.spec).errors.join('; '), c.error));

  it('is optional', () => assert.deepEqual(compileReference(undefined), { errors: [] }));
});
