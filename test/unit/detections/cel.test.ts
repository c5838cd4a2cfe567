import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { celInput, compileCel } from '../../../src/detections/cel.js';

const deployment = (hostNetwork?: boolean): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { team: 'a' } },
  spec: {
    replicas: 3,
    template: {
      spec: {
        ...(hostNetwork === undefined ? {} : { hostNetwork }),
        containers: [{ name: 'app', image: 'nginx:latest' }],
      },
    },
  },
});
const binding: KubeObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: 'b' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
} as KubeObject;

describe('CEL conditions', () => {
  const evals: { expr: string; obj: KubeObject; want: boolean | 'error' }[] = [
    { expr: "object.roleRef.name == 'cluster-admin'", obj: binding, want: true },
    { expr: "object.roleRef.name == 'view'", obj: binding, want: false },
    { expr: 'object.spec.template.spec.hostNetwork == true', obj: deployment(true), want: true },
    { expr: 'object.spec.template.spec.hostNetwork == true', obj: deployment(false), want: false },
    { expr: 'object.spec.template.spec.hostNetwork == true', obj: deployment(), want: 'error' },
    {
      expr: 'has(object.spec.template.spec.hostNetwork) && object.spec.template.spec.hostNetwork',
      obj: deployment(),
      want: false,
    },
    { expr: 'object.spec.replicas + 1 == 4', obj: deployment(), want: true },
    { expr: 'object.spec.replicas > 5', obj: deployment(), want: false },
    {
      expr: "object.spec.template.spec.containers.exists(c, c.image.endsWith(':latest'))",
      obj: deployment(),
      want: true,
    },
    { expr: "object.metadata.labels['team'] == 'a'", obj: deployment(), want: true },
    { expr: "'owner' in object.metadata.labels", obj: deployment(), want: false },
    { expr: "object.metadata.name.lowerAscii().startsWith('we')", obj: deployment(), want: true },
    { expr: 'oldObject == null', obj: deployment(), want: true },
    { expr: 'object.metadata.name', obj: deployment(), want: 'error' },
  ];
  for (const c of evals) {
    it(`${c.expr} → ${c.want}`, () => {
      const compiled = compileCel(c.expr);
      assert.ok(compiled.ok, compiled.ok ? '' : compiled.error);
      const r = compiled.condition.evaluate(c.obj);
      if (c.want === 'error') assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, value: c.want });
    });
  }

  const rejected: { expr: string; error: RegExp }[] = [
    { expr: 'object.spec.x ==', error: /<input>:1:/ },
    { expr: "obj.roleRef.name == 'x'", error: /undeclared reference to 'obj'/ },
    { expr: 'frobnicate(object)', error: /undeclared reference to function 'frobnicate'/ },
    { expr: 'object.spec.list.all(x, y > 1)', error: /undeclared reference to 'y'/ },
  ];
  for (const c of rejected) {
    it(`rejects ${c.expr}`, () => {
      const compiled = compileCel(c.expr);
      assert.equal(compiled.ok, false);
      if (!compiled.ok) assert.match(compiled.error, c.error);
    });
  }

  it('accepts comprehension variables', () => {
    assert.equal(compileCel('object.spec.list.all(x, x > 1)').ok, true);
  });

  it('converts an object once and keeps whole numbers as int', () => {
    const o = deployment();
    assert.equal(celInput(o), celInput(o));
    const spec = (celInput(o) as { spec: { replicas: unknown } }).spec;
    assert.equal(spec.replicas, 3n);
  });
});
