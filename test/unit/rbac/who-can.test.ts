import assert from 'node:assert/strict';
import { describeBinding, describeSubject } from '../../../src/rbac/describe.js';
import { type WhoCanQuestion, whoCan } from '../../../src/rbac/who-can.js';
import {
  bootstrap,
  clusterRole,
  clusterRoleBinding,
  roleBinding,
  sa,
  stateOf,
  teamARbac,
  user,
} from './fixtures.js';

const INGRESS = { group: 'networking.k8s.io', resource: 'ingresses' };

/** The cluster of these tests (fixtures.ts). */
const cluster = () => stateOf(teamARbac());

const rows = (q: WhoCanQuestion, limit = 100) =>
  whoCan(cluster(), q, limit).grants.map(
    (g) => `${describeSubject(g.subject)} | ${describeBinding(g.binding)} | ${g.verbs.join(',')}`,
  );

describe('who can', () => {
  it('lists the namespace grants first, people and teams before service accounts and system identities', () => {
    assert.deepEqual(rows({ verbs: ['create'], ...INGRESS, namespace: 'team-a' }), [
      'User tenant-dev | RoleBinding team-a/dev-edit → ClusterRole edit | create',
      'Group devs | RoleBinding team-a/dev-edit → ClusterRole edit | create',
      'ServiceAccount ci/deployer | RoleBinding team-a/ci-ingress → Role ingress-creator | create',
      'User alice | ClusterRoleBinding root → ClusterRole cluster-admin | create',
      'Group ops | ClusterRoleBinding ops-admin → ClusterRole admin | create',
      'User system:kube-scheduler | ClusterRoleBinding ops-admin → ClusterRole admin | create',
    ]);
  });

  it("does not list another namespace's grants", () => {
    const got = rows({ verbs: ['create'], ...INGRESS, namespace: 'team-b' });
    assert.ok(got[0]?.startsWith('User bob | RoleBinding team-b/b-edit'));
    assert.ok(!got.some((r) => r.includes('tenant-dev')), got.join('\n'));
  });

  it('leaves out view-only bindings and names-only rules (resourceNames cannot restrict create)', () => {
    const got = rows({ verbs: ['create'], ...INGRESS, namespace: 'team-a' }).join('\n');
    assert.ok(!got.includes('auditor'));
    assert.ok(!got.includes('named'));
  });

  it('cluster-scoped resources: ClusterRoleBindings only, with bind and escalate for ClusterRoles', () => {
    assert.deepEqual(
      rows({
        verbs: ['create', 'bind', 'escalate'],
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterroles',
      }),
      [
        'User alice | ClusterRoleBinding root → ClusterRole cluster-admin | create,bind,escalate',
        'User carol | ClusterRoleBinding binder → ClusterRole rbac-binder | bind',
      ],
    );
  });

  it('leaves system:masters out (its members bypass RBAC) but keeps the others of its binding', () => {
    const answer = whoCan(cluster(), { verbs: ['create'], group: '', resource: 'namespaces' }, 10);
    assert.deepEqual(
      answer.grants.map((g) => describeSubject(g.subject)),
      ['User alice'],
    );
  });

  it('caps the list and counts them all; the order is stable', () => {
    const q = { verbs: ['create'], ...INGRESS, namespace: 'team-a' };
    const all = whoCan(cluster(), q, 100);
    const capped = whoCan(cluster(), q, 2);
    assert.equal(capped.total, all.total);
    assert.equal(capped.total, 6);
    assert.deepEqual(capped.grants, all.grants.slice(0, 2));
    assert.deepEqual(whoCan(cluster(), q, 0).grants, []);
  });

  it('answers from the current state after every change (the cluster-wide part is remembered)', () => {
    const st = cluster();
    const q = { verbs: ['create'], ...INGRESS, namespace: 'team-b' };
    const names = () => whoCan(st, q, 100).grants.map((g) => g.subject.name);
    assert.ok(!names().includes('dave'));
    st.put('ClusterRoleBinding', clusterRoleBinding('dave', 'edit', [user('dave')]));
    assert.ok(names().includes('dave'), 'a new ClusterRoleBinding');
    st.put('ClusterRole', clusterRole('system:aggregate-to-edit', []));
    assert.ok(!names().includes('dave'), 'a changed aggregated part');
  });

  it('lists a subject named twice in one binding once', () => {
    const st = stateOf([
      ...bootstrap(),
      roleBinding('x', 'twice', { kind: 'ClusterRole', name: 'edit' }, [user('dup'), user('dup')]),
    ]);
    const got = whoCan(st, { verbs: ['create'], ...INGRESS, namespace: 'x' }, 10).grants;
    assert.equal(got.filter((g) => g.subject.name === 'dup').length, 1);
  });

  it('puts kube-system service accounts after the others', () => {
    const st = stateOf([...bootstrap(), clusterRoleBinding('z', 'edit', [sa('apps', 'builder')])]);
    const got = whoCan(st, { verbs: ['create'], group: '', resource: 'pods', namespace: 'n' }, 10).grants;
    assert.deepEqual(
      got.map((g) => describeSubject(g.subject)),
      ['ServiceAccount apps/builder', 'ServiceAccount kube-system/deployment-controller'],
    );
  });
});
