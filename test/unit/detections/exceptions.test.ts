import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import {
  compileExceptions,
  type ExceptionSpec,
  exceptionErrors,
  isExpired,
} from '../../../src/detections/exceptions.js';

const obj = (
  name: string,
  namespace: string,
  manager: string,
  labels?: Record<string, string>,
): KubeObject => ({
  metadata: {
    name,
    namespace,
    labels,
    managedFields: [
      { manager: 'kube-controller-manager', operation: 'Update', time: '2026-01-01T00:00:05Z' },
      { manager, operation: 'Update', time: '2026-01-01T00:00:00Z' },
    ],
  },
});

describe('exceptions', () => {
  const argo: ExceptionSpec = { fieldManagers: ['argocd-controller'] };
  const cases: { name: string; list: ExceptionSpec[]; o: KubeObject; want: number | undefined }[] = [
    { name: 'no exceptions', list: [], o: obj('a', 'ns', 'argocd-controller'), want: undefined },
    { name: 'creator field manager matches', list: [argo], o: obj('a', 'ns', 'argocd-controller'), want: 0 },
    {
      name: 'a later manager is not the creator',
      list: [{ fieldManagers: ['kube-controller-manager'] }],
      o: obj('a', 'ns', 'kubectl'),
      want: undefined,
    },
    {
      name: 'other manager is a near miss',
      list: [argo],
      o: obj('a', 'ns', 'kubectl-create'),
      want: undefined,
    },
    {
      name: 'fields in one entry are ANDed (both hold)',
      list: [{ fieldManagers: ['argocd-controller'], namespaces: ['team-*'] }],
      o: obj('a', 'team-x', 'argocd-controller'),
      want: 0,
    },
    {
      name: 'fields in one entry are ANDed (one fails)',
      list: [{ fieldManagers: ['argocd-controller'], namespaces: ['team-*'] }],
      o: obj('a', 'prod', 'argocd-controller'),
      want: undefined,
    },
    {
      name: 'entries are ORed',
      list: [{ namespaces: ['dev'] }, { names: ['canary-*'] }],
      o: obj('canary-1', 'prod', 'kubectl'),
      want: 1,
    },
    {
      name: 'name glob miss',
      list: [{ names: ['canary-?'] }],
      o: obj('canary-10', 'prod', 'kubectl'),
      want: undefined,
    },
    {
      name: 'labels must all match',
      list: [{ labels: { team: 'a', tier: 'web' } }],
      o: obj('x', 'ns', 'kubectl', { team: 'a', tier: 'web', extra: '1' }),
      want: 0,
    },
    {
      name: 'labels partial miss',
      list: [{ labels: { team: 'a', tier: 'web' } }],
      o: obj('x', 'ns', 'kubectl', { team: 'a' }),
      want: undefined,
    },
    {
      name: 'users never match while unknown',
      list: [{ users: ['alice'] }],
      o: obj('x', 'ns', 'kubectl'),
      want: undefined,
    },
    {
      name: 'groups never match while unknown',
      list: [{ groups: ['system:masters'] }],
      o: obj('x', 'ns', 'kubectl'),
      want: undefined,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(compileExceptions(c.list).match(c.o), c.want));

  it('users and groups match once the actor is known', () => {
    const ex = compileExceptions([{ users: ['alice'] }, { groups: ['ops'] }], { actorsKnown: true });
    assert.equal(ex.match(obj('x', 'ns', 'k'), { username: 'alice' }), 0);
    assert.equal(ex.match(obj('x', 'ns', 'k'), { username: 'bob', groups: ['ops'] }), 1);
    assert.equal(ex.match(obj('x', 'ns', 'k'), { username: 'bob', groups: ['devs'] }), undefined);
    assert.equal(ex.match(obj('x', 'ns', 'k')), undefined, 'an unknown creator is never excepted');
    assert.deepEqual(ex.warnings, []);
  });

  it('a known user combines with the field manager from managedFields', () => {
    const ex = compileExceptions([{ users: ['alice'], fieldManagers: ['helm'] }], { actorsKnown: true });
    assert.equal(ex.match(obj('x', 'ns', 'helm'), { username: 'alice' }), 0);
    assert.equal(ex.match(obj('x', 'ns', 'kubectl'), { username: 'alice' }), undefined);
  });

  it('warns about entries naming users or groups when attribution is off', () => {
    assert.deepEqual(compileExceptions([argo, { users: ['alice'] }]).warnings, [
      'spec.exceptions[1] names users or groups, which are known only with the admission webhook (--admission-bind-address): it never matches',
    ]);
  });

  it('refuses an entry that names no field', () => {
    assert.deepEqual(exceptionErrors([argo, { description: 'all' }, { namespaces: [] }]), [
      'spec.exceptions[1]: names no field to match (it would suppress every object)',
      'spec.exceptions[2]: names no field to match (it would suppress every object)',
    ]);
  });
});

describe('exception expiry', () => {
  const at = '2026-06-01T12:00:00Z';
  const t = Date.parse(at);
  const cases: { name: string; expires?: string; nowMs: number; want: number | undefined }[] = [
    { name: 'no expires: suppresses for ever', nowMs: t + 1e12, want: 0 },
    { name: 'one millisecond before expires: still suppresses', expires: at, nowMs: t - 1, want: 0 },
    { name: 'at the expires instant: no longer suppresses', expires: at, nowMs: t, want: undefined },
    { name: 'after expires: no longer suppresses', expires: at, nowMs: t + 60_000, want: undefined },
    { name: 'an offset is honoured', expires: '2026-06-01T14:00:00+02:00', nowMs: t, want: undefined },
  ];
  for (const c of cases)
    it(c.name, () => {
      const e: ExceptionSpec = { namespaces: ['ns'], ...(c.expires ? { expires: c.expires } : {}) };
      assert.equal(compileExceptions([e], { now: () => c.nowMs }).match(obj('a', 'ns', 'k')), c.want);
      assert.equal(isExpired(e, c.nowMs), c.want === undefined);
    });

  it('reads the clock at match time, not at compile time', () => {
    let now = t - 1000;
    const ex = compileExceptions([{ namespaces: ['ns'], expires: at }, { names: ['a'] }], { now: () => now });
    assert.equal(ex.match(obj('a', 'ns', 'k')), 0);
    now = t;
    assert.equal(ex.match(obj('a', 'ns', 'k')), 1, 'the next entry matches once the first expired');
    assert.equal(ex.match(obj('b', 'ns', 'k')), undefined);
  });

  it('refuses an expires that is not a date-time', () => {
    assert.deepEqual(exceptionErrors([{ namespaces: ['x'], expires: 'tomorrow' }]), [
      'spec.exceptions[0].expires: "tomorrow" is not an RFC 3339 date-time',
    ]);
  });
});
