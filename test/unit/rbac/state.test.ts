import assert from 'node:assert/strict';
import { rulesAllow } from '../../../src/rbac/rules.js';
import { RbacState } from '../../../src/rbac/state.js';
import { bootstrap, clusterRole, roleBinding, sa, stateOf } from './fixtures.js';

const AGG = 'rbac.authorization.k8s.io/aggregate-to-';
const can = (s: RbacState, role: string, verb: string, resource: string, group = '', subresource?: string) =>
  rulesAllow(s.clusterRoleRules(role) ?? [], {
    verb,
    group,
    resource,
    ...(subresource ? { subresource } : {}),
  });

describe('rbac state: ClusterRole aggregation', () => {
  const cases: {
    name: string;
    role: string;
    verb: string;
    resource: string;
    group?: string;
    subresource?: string;
    want: boolean;
  }[] = [
    {
      name: 'edit gets its aggregate-to-edit rules',
      role: 'edit',
      verb: 'create',
      resource: 'ingresses',
      group: 'networking.k8s.io',
      want: true,
    },
    {
      name: 'edit gets view (itself aggregated into edit)',
      role: 'edit',
      verb: 'list',
      resource: 'pods',
      want: true,
    },
    {
      name: 'admin gets edit transitively',
      role: 'admin',
      verb: 'create',
      resource: 'pods',
      subresource: 'exec',
      want: true,
    },
    {
      name: 'admin gets view through edit',
      role: 'admin',
      verb: 'get',
      resource: 'ingresses',
      group: 'networking.k8s.io',
      want: true,
    },
    {
      name: 'admin gets its own aggregate-to-admin rules',
      role: 'admin',
      verb: 'bind',
      resource: 'roles',
      group: 'rbac.authorization.k8s.io',
      want: true,
    },
    {
      name: 'view does not get edit (aggregation is one-way)',
      role: 'view',
      verb: 'create',
      resource: 'ingresses',
      group: 'networking.k8s.io',
      want: false,
    },
    {
      name: 'edit does not get admin',
      role: 'edit',
      verb: 'create',
      resource: 'roles',
      group: 'rbac.authorization.k8s.io',
      want: false,
    },
  ];
  const s = stateOf(bootstrap());
  for (const c of cases)
    it(c.name, () => assert.equal(can(s, c.role, c.verb, c.resource, c.group, c.subresource), c.want));

  it('keeps the rules the aggregation controller already wrote, and adds what selectors match', () => {
    const st = stateOf([
      clusterRole('mon', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], {
        aggregate: [{ 'example.com/mon': 'true' }],
      }),
      clusterRole('mon-part', [{ apiGroups: [''], resources: ['services'], verbs: ['get'] }], {
        labels: { 'example.com/mon': 'true' },
      }),
    ]);
    assert.equal(can(st, 'mon', 'get', 'pods'), true);
    assert.equal(can(st, 'mon', 'get', 'services'), true);
  });

  it('follows label changes and deletions of the parts', () => {
    const st = stateOf(bootstrap());
    assert.equal(can(st, 'edit', 'create', 'ingresses', 'networking.k8s.io'), true);
    st.put(
      'ClusterRole',
      clusterRole('system:aggregate-to-edit', [{ apiGroups: ['x'], resources: ['y'], verbs: ['get'] }]),
    );
    assert.equal(can(st, 'edit', 'create', 'ingresses', 'networking.k8s.io'), false, 'label removed');
    st.put(
      'ClusterRole',
      clusterRole(
        'extra',
        [{ apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['create'] }],
        {
          labels: { [`${AGG}edit`]: 'true' },
        },
      ),
    );
    assert.equal(
      can(st, 'admin', 'create', 'ingresses', 'networking.k8s.io'),
      true,
      'new part, transitively',
    );
    st.remove('ClusterRole', undefined, 'extra');
    assert.equal(can(st, 'admin', 'create', 'ingresses', 'networking.k8s.io'), false, 'part deleted');
  });

  it('terminates on aggregation cycles and never aggregates a role into itself twice', () => {
    const st = stateOf([
      clusterRole('a', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }], {
        labels: { l: 'a' },
        aggregate: [{ l: 'b' }],
      }),
      clusterRole('b', [{ apiGroups: [''], resources: ['services'], verbs: ['get'] }], {
        labels: { l: 'b' },
        aggregate: [{ l: 'a' }],
      }),
    ]);
    assert.equal(can(st, 'a', 'get', 'services'), true);
    assert.equal(can(st, 'b', 'get', 'pods'), true);
    assert.equal(st.clusterRoleRules('a')?.length, 2);
  });

  it('an empty selector aggregates every other ClusterRole; a missing role has no rules', () => {
    const st = stateOf([
      { ...clusterRole('all', undefined), aggregationRule: { clusterRoleSelectors: [{}] } },
      clusterRole('x', [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }]),
    ]);
    assert.equal(can(st, 'all', 'list', 'secrets'), true);
    assert.equal(st.clusterRoleRules('nope'), undefined);
  });
});

describe('rbac state: bindings', () => {
  it('defaults a RoleBinding ServiceAccount subject to the binding namespace', () => {
    const st = stateOf([
      roleBinding('shop', 'b', { kind: 'Role', name: 'r' }, [{ kind: 'ServiceAccount', name: 'app' }]),
    ]);
    assert.deepEqual(st.roleBindings('shop')[0]?.subjects, [
      { kind: 'ServiceAccount', name: 'app', namespace: 'shop' },
    ]);
  });

  it('drops subjects of unknown kinds and bindings without a valid roleRef', () => {
    const st = stateOf([
      roleBinding('shop', 'ok', { kind: 'Role', name: 'r' }, [{ kind: 'Robot', name: 'x' }, sa('shop', 'a')]),
      { ...roleBinding('shop', 'bad', { kind: 'Role', name: 'r' }, []), roleRef: { kind: 'Pod', name: 'p' } },
    ]);
    assert.deepEqual(
      st.roleBindings('shop').map((b) => [b.name, b.subjects.length]),
      [['ok', 1]],
    );
  });

  it('counts, lists keys and forgets objects', () => {
    const st = stateOf([
      ...bootstrap(),
      roleBinding('a', 'x', { kind: 'ClusterRole', name: 'edit' }, []),
      roleBinding('b', 'y', { kind: 'ClusterRole', name: 'edit' }, []),
    ]);
    assert.equal(st.counts().RoleBinding, 2);
    assert.deepEqual(st.keys('RoleBinding').sort(), ['a/x', 'b/y']);
    st.remove('RoleBinding', 'a', 'x');
    assert.deepEqual(st.keys('RoleBinding'), ['b/y']);
    assert.deepEqual(st.roleBindings('a'), []);
    assert.ok(st.keys('ClusterRole').includes('/edit'));
  });

  it('a binding to a missing Role grants nothing; a Role is looked up in the binding namespace', () => {
    const st = stateOf([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'r', namespace: 'other' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }],
      },
      roleBinding('shop', 'b', { kind: 'Role', name: 'r' }, [sa('shop', 'x')]),
    ]);
    const b = st.roleBindings('shop')[0];
    assert.ok(b);
    assert.deepEqual(st.rulesOf(b), []);
  });
});

describe('rbac state: limits a tenant cannot push past', () => {
  /** A Role of `n` rules, each naming one ConfigMap: 5 entries a rule. */
  const bigRole = (ns: string, name: string, n: number) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace: ns },
    rules: Array.from({ length: n }, (_, i) => ({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [`cm-${i}`],
      verbs: ['get'],
    })),
  });

  it('cuts one object to its entry bound, keeps its first rules, and says so', () => {
    const st = new RbacState({ maxObjectEntries: 4000 });
    st.put('Role', bigRole('tenant', 'wide', 14_000));
    assert.equal(st.roleRules('tenant', 'wide')?.length, 799, 'the Role itself, then rules of 5 entries');
    assert.deepEqual(st.health(), { entries: 3996, refused: 0, partial: 1 });
    assert.match(st.gaps() ?? '', /1 objects cut to 4000 rules and items each, e.g. Role tenant\/wide/);
    st.put('Role', bigRole('tenant', 'wide', 3));
    assert.deepEqual(st.health(), { entries: 16, refused: 0, partial: 0 }, 'whole again once small');
    assert.equal(st.gaps(), undefined);
  });

  it('cuts a binding to its subject bound', () => {
    const st = new RbacState({ maxObjectEntries: 11 });
    const subjects = Array.from({ length: 50 }, (_, i) => sa('tenant', `sa-${i}`));
    st.put('RoleBinding', roleBinding('tenant', 'many', { kind: 'ClusterRole', name: 'edit' }, subjects));
    assert.equal(st.roleBindings('tenant')[0]?.subjects.length, 10);
    assert.equal(st.health().partial, 1);
  });

  it('leaves out what would overfill it, drops the older version, and takes it back when it fits', () => {
    const st = new RbacState({ maxEntries: 1000 });
    st.put('Role', bigRole('tenant', 'a', 150)); // 751 entries
    st.put('Role', bigRole('tenant', 'b', 10)); // 51
    st.put('Role', bigRole('tenant', 'b', 100)); // would be 1,252: left out, the 51 with it
    assert.equal(st.roleRules('tenant', 'b'), undefined, 'no stale version kept');
    assert.deepEqual(st.health(), { entries: 751, refused: 1, partial: 0 });
    assert.match(
      st.gaps() ?? '',
      /1 objects left out \(the index holds 1000 entries at most: --rbac-index-max-entries\), e\.g\. Role tenant\/b/,
    );
    // A relist prunes what it no longer returns, left-out objects included.
    assert.deepEqual(st.keys('Role').sort(), ['tenant/a', 'tenant/b']);
    st.remove('Role', 'tenant', 'a');
    st.put('Role', bigRole('tenant', 'b', 100));
    assert.deepEqual(st.health(), { entries: 501, refused: 0, partial: 0 });
    assert.equal(st.roleRules('tenant', 'b')?.length, 100);
  });

  it('counts each object, so many empty Roles fill it too', () => {
    const st = new RbacState({ maxEntries: 10 });
    for (let i = 0; i < 20; i++) st.put('Role', bigRole('tenant', `empty-${i}`, 0));
    assert.deepEqual(st.health(), { entries: 10, refused: 10, partial: 0 });
    assert.equal(st.counts().Role, 10);
  });

  it('keeps no trace of a binding that grants nothing (no valid roleRef)', () => {
    const st = new RbacState({ maxEntries: 10 });
    const bad = { ...roleBinding('tenant', 'b', { kind: 'ClusterRole', name: 'edit' }, []), roleRef: {} };
    for (let i = 0; i < 20; i++)
      st.put('RoleBinding', { ...bad, metadata: { name: `b-${i}`, namespace: 'tenant' } });
    assert.deepEqual(st.health(), { entries: 0, refused: 0, partial: 0 });
  });

  it('without limits, holds everything (kubectl tripline who-can, with the user memory)', () => {
    const st = new RbacState();
    st.put('Role', bigRole('tenant', 'wide', 5000));
    assert.equal(st.roleRules('tenant', 'wide')?.length, 5000);
    assert.equal(st.gaps(), undefined);
  });
});
