import assert from 'node:assert/strict';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { type CompiledDetection, compileDetection } from '../../../src/detections/compile.js';

type Spec = AuditDetection['spec'];
const detection = (over: Partial<Spec> = {}): AuditDetection => ({
  apiVersion: 'tripline.dev/v1alpha1',
  kind: 'AuditDetection',
  metadata: { name: 'd', uid: 'u', generation: 2 },
  spec: {
    title: 't',
    severity: 'Medium',
    category: 'Workload',
    resources: [{ group: 'apps', version: 'v1', resource: 'deployments' }],
    ...over,
  },
});
const compiled = (over: Partial<Spec>, onErr?: Parameters<typeof compileDetection>[1]): CompiledDetection => {
  const r = compileDetection(detection(over), onErr);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
  return r.detection;
};
const dep = (ns: string, hostNetwork?: boolean, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: ns, labels },
  spec: { template: { spec: hostNetwork === undefined ? {} : { hostNetwork } } },
});

describe('compileDetection', () => {
  const invalid: { name: string; spec: Partial<Spec>; error: RegExp }[] = [
    {
      name: 'bad CEL syntax',
      spec: { match: { condition: 'object.spec ==' } },
      error: /^spec\.match\.condition: <input>:1:/,
    },
    {
      name: 'unknown CEL variable',
      spec: { match: { condition: 'obj.x' } },
      error: /undeclared reference to 'obj'/,
    },
    {
      name: 'bad override CEL',
      spec: { severityOverrides: [{ condition: 'object.(', severity: 'High' }] },
      error: /^spec\.severityOverrides\[0\]\.condition: /,
    },
    {
      name: 'unsupported event',
      spec: { events: ['Renamed' as 'Created'] },
      error: /"Renamed" is not supported/,
    },
    {
      name: 'namespaceSelector without values',
      spec: { match: { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In' }] } } },
      error: /namespaceSelector\.matchExpressions\[0\]\.values: required for In/,
    },
    {
      name: 'empty exception',
      spec: { exceptions: [{ description: 'x' }] },
      error: /exceptions\[0\]: names no field/,
    },
  ];
  for (const c of invalid) {
    it(`rejects: ${c.name}`, () => {
      const r = compileDetection(detection(c.spec));
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.errors.join('\n'), c.error);
    });
  }

  const filters: {
    name: string;
    spec: Partial<Spec>;
    obj: KubeObject;
    ns?: Record<string, string>;
    want: boolean | 'pending';
  }[] = [
    {
      name: 'condition true',
      spec: { match: { condition: 'object.spec.template.spec.hostNetwork == true' } },
      obj: dep('a', true),
      want: true,
    },
    {
      name: 'condition false',
      spec: { match: { condition: 'object.spec.template.spec.hostNetwork == true' } },
      obj: dep('a', false),
      want: false,
    },
    {
      name: 'condition error is no match',
      spec: { match: { condition: 'object.spec.template.spec.hostNetwork == true' } },
      obj: dep('a'),
      want: false,
    },
    {
      name: 'namespace excluded before CEL',
      spec: { match: { namespaces: { exclude: ['kube-*'] }, condition: 'true' } },
      obj: dep('kube-system', true),
      want: false,
    },
    {
      name: 'namespaceSelector matches',
      spec: { match: { namespaceSelector: { matchLabels: { env: 'prod' } } } },
      obj: dep('a'),
      ns: { env: 'prod' },
      want: true,
    },
    {
      name: 'namespaceSelector misses',
      spec: { match: { namespaceSelector: { matchLabels: { env: 'prod' } } } },
      obj: dep('a'),
      ns: { env: 'dev' },
      want: false,
    },
    {
      name: 'namespaceSelector waits for unknown labels',
      spec: { match: { namespaceSelector: { matchLabels: { env: 'prod' } } } },
      obj: dep('a'),
      want: 'pending',
    },
    {
      name: 'namespaceSelector on a Namespace reads its own labels',
      spec: { match: { namespaceSelector: { matchLabels: { env: 'prod' } } } },
      obj: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', labels: { env: 'prod' } } },
      want: true,
    },
  ];
  for (const c of filters) {
    it(`filter: ${c.name}`, () => {
      const d = compiled(c.spec);
      assert.equal(d.usesNamespaceSelector, c.spec.match?.namespaceSelector !== undefined);
      assert.equal(
        d.filter(c.obj, () => c.ns),
        c.want,
      );
    });
  }

  const overrides: Spec['severityOverrides'] = [
    { condition: 'object.spec.template.spec.hostNetwork == true', severity: 'High' },
    { condition: "object.metadata.namespace == 'dev'", severity: 'Info' },
  ];
  const severities: { name: string; base: Spec['severity']; obj: KubeObject; want: string }[] = [
    { name: 'first matching override raises', base: 'Medium', obj: dep('dev', true), want: 'High' },
    { name: 'no override matches: base', base: 'Medium', obj: dep('prod', false), want: 'Medium' },
    { name: 'an override never lowers the base', base: 'Medium', obj: dep('dev', false), want: 'Medium' },
    {
      name: 'an override below a higher base keeps the base',
      base: 'Critical',
      obj: dep('a', true),
      want: 'Critical',
    },
    { name: 'a failing override is skipped', base: 'Low', obj: dep('dev'), want: 'Low' },
  ];
  for (const c of severities)
    it(`severity: ${c.name}`, () =>
      assert.equal(compiled({ severity: c.base, severityOverrides: overrides }).severity(c.obj), c.want));

  it('exceptions suppress by creator field manager', () => {
    const d = compiled({ exceptions: [{ fieldManagers: ['argocd-controller'] }] });
    const o = dep('a');
    o.metadata.managedFields = [{ manager: 'argocd-controller', operation: 'Update' }];
    assert.equal(d.exception(o), 0);
    o.metadata.managedFields = [{ manager: 'kubectl-create', operation: 'Update' }];
    assert.equal(d.exception(o), undefined);
  });

  it('reports a failing CEL expression once per compiled detection', () => {
    const seen: string[] = [];
    const d = compiled({ match: { condition: 'object.spec.missing.x' } }, (where, msg) =>
      seen.push(`${where}: ${msg}`),
    );
    for (let i = 0; i < 3; i++) assert.equal(d.filter(dep('a')), false);
    assert.equal(seen.length, 1);
    assert.match(seen[0] as string, /^spec\.match\.condition: /);
  });

  it('keeps the uid and generation', () => {
    const d = compiled({});
    assert.deepEqual([d.uid, d.generation], ['u', 2]);
  });
});

describe('compileDetection: Updated and Deleted', () => {
  it('accepts Updated and Deleted events', () => {
    assert.deepEqual([...compiled({ events: ['Updated', 'Deleted'] }).events], ['Updated', 'Deleted']);
  });

  it('gives the condition oldObject when known, null otherwise', () => {
    const d = compiled({
      events: ['Updated'],
      match: { condition: 'oldObject != null && oldObject.metadata.namespace != object.metadata.namespace' },
    });
    assert.equal(d.filter(dep('b'), undefined, dep('a')), true);
    assert.equal(d.filter(dep('a'), undefined, dep('a')), false);
    assert.equal(d.filter(dep('a')), false);
  });
});

describe('compileDetection: CEL budget (fail open)', () => {
  const HEAVY =
    "object.metadata.annotations.exists(k, object.metadata.annotations[k].replace('a', 'bb').replace('b', 'cc').replace('c', 'dd').contains('x'))";
  const costly = (): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bomb', namespace: 'team', annotations: { payload: 'a'.repeat(150 * 1024) } },
  });
  const plain = (): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ok', namespace: 'team', annotations: { note: 'abc' } },
  });
  const cases: {
    name: string;
    spec: Partial<Spec>;
    obj: () => KubeObject;
    want: { filter: boolean; severity: string; notes: RegExp[]; overruns: string[] };
  }[] = [
    {
      name: 'a condition stopped by its budget matches, with a note, and is reported',
      spec: { match: { condition: HEAVY } },
      obj: costly,
      want: {
        filter: true,
        severity: 'Medium',
        notes: [
          /^spec\.match\.condition: evaluation budget exceeded \((cost|time) limit\); taken as a match \(fail open\)$/,
        ],
        overruns: ['spec.match.condition'],
      },
    },
    {
      name: 'the same condition within budget decides as written, without notes',
      spec: { match: { condition: HEAVY } },
      obj: plain,
      want: { filter: false, severity: 'Medium', notes: [], overruns: [] },
    },
    {
      name: 'a severity override stopped by its budget applies (a tenant cannot lower the severity)',
      spec: { severityOverrides: [{ condition: HEAVY, severity: 'Critical' }] },
      obj: costly,
      want: {
        filter: true,
        severity: 'Critical',
        notes: [/^spec\.severityOverrides\[0\]\.condition: evaluation budget exceeded/],
        overruns: ['spec.severityOverrides[0].condition'],
      },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const overruns: string[] = [];
      const r = compileDetection(detection(c.spec), undefined, undefined, (where) => overruns.push(where));
      assert.ok(r.ok);
      const obj = c.obj();
      assert.equal(r.detection.filter(obj), c.want.filter);
      assert.equal(r.detection.severity(obj), c.want.severity);
      const notes = r.detection.notes(obj);
      assert.equal(notes.length, c.want.notes.length, JSON.stringify(notes));
      for (const [i, re] of c.want.notes.entries()) assert.match(notes[i] ?? '', re);
      assert.deepEqual(overruns, c.want.overruns);
      assert.deepEqual(r.detection.notes(c.obj()), [], 'notes belong to the object evaluated');
    });
});
