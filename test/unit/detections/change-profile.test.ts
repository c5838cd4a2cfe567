import assert from 'node:assert/strict';
import { alertName } from '../../../src/alerts/name.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import {
  type ChangeProfile,
  type ChangesSpec,
  changeProfile,
  changesErrors,
  DEFAULT_PROFILE,
} from '../../../src/detections/change-profile.js';
import { compileDetection } from '../../../src/detections/compile.js';
import { changeKeyOf, diffStates, snapshotOf } from '../../../src/subjects/changes.js';
import { loadAll } from '../support/fixtures.js';

/** `spec.changes` as shipped, so these tables test the real detections. */
function shippedChanges(file: string): ChangesSpec {
  const [d] = loadAll<AuditDetection>(file);
  if (!d?.spec.changes) throw new Error(`${file} has no spec.changes`);
  return d.spec.changes;
}

interface IngressOver {
  host?: string;
  generation?: number;
  rv?: string;
  className?: string;
  secretName?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  status?: unknown;
  writer?: { manager: string; time: string; subresource?: string };
}

const ingress = (o: IngressOver = {}): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'shop',
    namespace: 'web',
    uid: 'ing-1',
    generation: o.generation ?? 1,
    resourceVersion: o.rv ?? '100',
    labels: o.labels,
    annotations: o.annotations,
    managedFields: [
      { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-11-23T10:00:00Z' },
      ...(o.writer ? [{ operation: 'Update', ...o.writer }] : []),
    ],
  },
  spec: {
    ingressClassName: o.className ?? 'nginx',
    tls: [{ hosts: [o.host ?? 'shop.example.com'], secretName: o.secretName ?? 'shop-tls' }],
    rules: [{ host: o.host ?? 'shop.example.com' }],
  },
  status: o.status ?? {},
});

/** The ingress-changed key of the update from `before` to `after`, as the feed computes it. */
const keyOf = (p: ChangeProfile, before: KubeObject | undefined, after: KubeObject): string | undefined =>
  changeKeyOf(before ? snapshotOf(before, p.project) : undefined, snapshotOf(after, p.project));

describe('ingress-changed: which updates are a change (shipped spec.changes)', () => {
  const p = changeProfile(shippedChanges('manifests/detections/ingress-changed.yaml'));
  const base = ingress();
  const cases: { name: string; after: KubeObject; want: string | RegExp | undefined }[] = [
    {
      name: 'host edited (generation bump)',
      after: ingress({ host: 'evil.example.com', generation: 2 }),
      want: 'generation:2',
    },
    { name: 'class changed', after: ingress({ className: 'public', generation: 2 }), want: 'generation:2' },
    {
      name: 'TLS secret swapped',
      after: ingress({ secretName: 'other-tls', generation: 2 }),
      want: 'generation:2',
    },
    {
      name: 'annotation added (no generation bump)',
      after: ingress({ annotations: { 'nginx.ingress.kubernetes.io/server-snippet': 'return 200;' } }),
      want: /^generation:1\/digest:[0-9a-f]{16}$/,
    },
    {
      name: 'status only (controller writes the address)',
      after: ingress({
        rv: '101',
        status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } },
        writer: { manager: 'nginx-ingress-controller', time: '2026-11-23T10:00:05Z', subresource: 'status' },
      }),
      want: undefined,
    },
    {
      name: 'managedFields only',
      after: ingress({ rv: '102', writer: { manager: 'kubectl-label', time: '2026-11-23T10:00:06Z' } }),
      want: undefined,
    },
    { name: 'resourceVersion only', after: ingress({ rv: '103' }), want: undefined },
    {
      name: 'generation bumped with the counted fields unchanged',
      after: ingress({ generation: 2 }),
      want: undefined,
    },
    {
      name: 'last-applied-configuration only (re-applied manifest)',
      after: ingress({ annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{}}' } }),
      want: undefined,
    },
    {
      name: 'labels only (not routing)',
      after: ingress({ labels: { 'helm.sh/chart': 'shop-1.2.4' } }),
      want: undefined,
    },
    {
      name: 'GKE backend health annotation only',
      after: ingress({ annotations: { 'ingress.kubernetes.io/backends': '{"k8s-be-1":"HEALTHY"}' } }),
      want: undefined,
    },
    {
      name: 'Rancher public endpoints annotation only',
      after: ingress({ annotations: { 'field.cattle.io/publicEndpoints': '[]' } }),
      want: undefined,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const key = keyOf(p, base, c.after);
      if (c.want instanceof RegExp) assert.match(key ?? '', c.want);
      else assert.equal(key, c.want);
    });

  it('the diff shows the counted fields before and after, and nothing else', () => {
    const before = snapshotOf(base, p.project).state ?? {};
    const after = ingress({
      host: 'evil.example.com',
      generation: 2,
      labels: { team: 'x' },
      annotations: { 'nginx.ingress.kubernetes.io/whitelist-source-range': '0.0.0.0/0' },
    });
    assert.deepEqual(diffStates(before, snapshotOf(after, p.project).state ?? {}), [
      {
        path: 'metadata.annotations."nginx.ingress.kubernetes.io/whitelist-source-range"',
        after: '0.0.0.0/0',
      },
      { path: 'spec.rules[0].host', before: 'shop.example.com', after: 'evil.example.com' },
      { path: 'spec.tls[0].hosts[0]', before: 'shop.example.com', after: 'evil.example.com' },
    ]);
  });

  it('the same change seen again (relist, restart, duplicate event) has the same key and alert name', () => {
    const changed = ingress({ host: 'evil.example.com', generation: 2, rv: '200' });
    const live = keyOf(p, base, changed);
    // Relist: the same version again is no change at all.
    assert.equal(keyOf(p, changed, { ...changed }), undefined);
    // Seen later without the previous version (forgotten by the bounded memory): the same key.
    assert.equal(keyOf(p, undefined, changed), live);
    // Observed again after a status write: the same counted fields, so no second change.
    const withStatus = ingress({ host: 'evil.example.com', generation: 2, rv: '201', status: { x: 1 } });
    assert.equal(keyOf(p, changed, withStatus), undefined);
    assert.equal(alertName('ingress-changed', 'ing-1', live), alertName('ingress-changed', 'ing-1', live));
  });

  it('an annotation change is keyed on the new annotations, whatever was written around them', () => {
    const a = ingress({ annotations: { x: '1' }, rv: '300' });
    const b = ingress({
      annotations: { x: '1' },
      rv: '301',
      writer: { manager: 'm', time: '2026-11-23T11:00:00Z' },
    });
    assert.equal(keyOf(p, base, a), keyOf(p, base, b));
    assert.notEqual(keyOf(p, base, a), keyOf(p, base, ingress({ annotations: { x: '2' } })));
  });
});

describe('ingress-tls-secret-changed: which Secret updates are a data write (shipped spec.changes)', () => {
  const p = changeProfile(shippedChanges('manifests/detections-optional/ingress-tls-secret-changed.yaml'));
  /** A Secret as a metadata-only watch delivers it: managedFields, no data. */
  const secret = (
    writes: { manager: string; time: string; data?: boolean }[],
    labels?: Record<string, string>,
  ): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'shop-tls',
      namespace: 'web',
      uid: 's-1',
      labels,
      managedFields: writes.map((w) => ({
        manager: w.manager,
        operation: 'Update',
        time: w.time,
        fieldsV1:
          w.data === false
            ? { 'f:metadata': { 'f:labels': {} } }
            : { 'f:data': { '.': {}, 'f:tls.crt': {}, 'f:tls.key': {} }, 'f:type': {} },
      })),
    },
  });
  const T0 = '2026-11-23T10:00:00Z';
  const base = secret([{ manager: 'kubectl-client-side-apply', time: T0 }]);
  const cases: { name: string; after: KubeObject; want: RegExp | undefined }[] = [
    {
      name: 'data rewritten later by the same manager (newer time)',
      after: secret([{ manager: 'kubectl-client-side-apply', time: '2026-11-23T10:05:00Z' }]),
      want: /^digest:[0-9a-f]{16}$/,
    },
    {
      name: 'data written by another manager',
      after: secret([
        { manager: 'kubectl-client-side-apply', time: T0 },
        { manager: 'kubectl', time: '2026-11-23T10:05:00Z' },
      ]),
      want: /^digest:[0-9a-f]{16}$/,
    },
    {
      name: 'labels edited by another manager (data untouched)',
      after: secret(
        [
          { manager: 'kubectl-client-side-apply', time: T0 },
          { manager: 'kubectl-label', time: '2026-11-23T10:05:00Z', data: false },
        ],
        { x: 'y' },
      ),
      want: undefined,
    },
    {
      // The documented limit: managedFields times have one-second resolution.
      name: 'data rewritten within the same second by the same manager (not visible)',
      after: secret([{ manager: 'kubectl-client-side-apply', time: T0 }]),
      want: undefined,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const key = keyOf(p, base, c.after);
      if (c.want) assert.match(key ?? '', c.want);
      else assert.equal(key, undefined);
    });

  it('the diff names the writer and the times, never a value', () => {
    const after = secret([{ manager: 'kubectl-client-side-apply', time: '2026-11-23T10:05:00Z' }]);
    assert.deepEqual(
      diffStates(snapshotOf(base, p.project).state ?? {}, snapshotOf(after, p.project).state ?? {}),
      [
        {
          path: 'metadata.managedFields."kubectl-client-side-apply (Update)".time',
          before: T0,
          after: '2026-11-23T10:05:00Z',
        },
      ],
    );
  });
});

describe('changeProfile', () => {
  it('is the default profile without spec.changes, and equal specs share an id', () => {
    assert.equal(changeProfile(undefined), DEFAULT_PROFILE);
    assert.equal(changeProfile({ fields: ['spec'] }).id, changeProfile({ fields: ['spec'] }).id);
    assert.notEqual(changeProfile({ fields: ['spec'] }).id, changeProfile({ fields: ['spec.tls'] }).id);
  });

  it('picks nested paths and leaves absent ones out', () => {
    const p = changeProfile({ fields: ['spec.tls', 'spec.missing', 'metadata.labels'] });
    assert.deepEqual(p.project(ingress({ labels: { a: 'b' } })), {
      spec: { tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] },
      metadata: { labels: { a: 'b' } },
    });
  });

  const invalid: { name: string; spec: ChangesSpec; error: RegExp }[] = [
    { name: 'status', spec: { fields: ['status'] }, error: /fields\[0\]: "status" status never counts/ },
    { name: 'status subfield', spec: { fields: ['status.loadBalancer'] }, error: /status never counts/ },
    {
      name: 'server-written metadata',
      spec: { fields: ['metadata.managedFields'] },
      error: /only labels, annotations/,
    },
    { name: 'whole metadata', spec: { fields: ['metadata'] }, error: /only labels, annotations/ },
    { name: 'not a path', spec: { fields: ['spec..tls'] }, error: /not a dot-separated field path/ },
    { name: 'written field with a dot', spec: { writtenFields: ['data.x'] }, error: /not a top-level field/ },
    { name: 'counts nothing', spec: { fields: [] }, error: /counts nothing/ },
  ];
  for (const c of invalid)
    it(`refuses ${c.name}`, () => {
      assert.match(changesErrors(c.spec).join('; '), c.error);
    });

  it('is part of the compiled detection; a profile without Updated is a warning', () => {
    const d = (events: ('Created' | 'Updated')[]): AuditDetection => ({
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditDetection',
      metadata: { name: 'x', uid: 'u', generation: 1 },
      spec: {
        title: 't',
        severity: 'Low',
        category: 'Other',
        resources: [{ group: '', version: 'v1', resource: 'configmaps' }],
        events,
        changes: { fields: ['data'] },
      },
    });
    const ok = compileDetection(d(['Updated']));
    assert.ok(ok.ok);
    assert.equal(ok.detection.changes.id, changeProfile({ fields: ['data'] }).id);
    assert.deepEqual(ok.detection.warnings, []);
    const warned = compileDetection(d(['Created']));
    assert.ok(warned.ok);
    assert.match(warned.detection.warnings.join(), /no effect/);
    const bad = compileDetection({
      ...d(['Updated']),
      spec: { ...d(['Updated']).spec, changes: { fields: ['status'] } },
    });
    assert.ok(!bad.ok);
  });
});
