/**
 * RBAC objects for the rbac unit tests, written here: a small cluster shaped like a fresh one
 * (the bootstrap roles and bindings that matter, with aggregation left to be resolved, as on a
 * control plane without the aggregation controller) plus builders for each test's own objects.
 */
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { PolicyRule } from '../../../src/rbac/rules.js';
import { type RbacKind, RbacState } from '../../../src/rbac/state.js';

const API = 'rbac.authorization.k8s.io/v1';

type Subject = { kind: string; name: string; namespace?: string };

/** A Role. */
export const role = (namespace: string, name: string, rules: PolicyRule[]): KubeObject => ({
  apiVersion: API,
  kind: 'Role',
  metadata: { name, namespace },
  rules,
});

/** A ClusterRole, optionally labelled and aggregating. */
export const clusterRole = (
  name: string,
  rules: PolicyRule[] | undefined,
  opts: { labels?: Record<string, string>; aggregate?: Record<string, string>[] } = {},
): KubeObject => ({
  apiVersion: API,
  kind: 'ClusterRole',
  metadata: { name, labels: opts.labels ?? {} },
  ...(rules ? { rules } : {}),
  ...(opts.aggregate
    ? { aggregationRule: { clusterRoleSelectors: opts.aggregate.map((matchLabels) => ({ matchLabels })) } }
    : {}),
});

/** A RoleBinding. */
export const roleBinding = (
  namespace: string,
  name: string,
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string },
  subjects: Subject[],
): KubeObject => ({
  apiVersion: API,
  kind: 'RoleBinding',
  metadata: { name, namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
  subjects,
});

/** A ClusterRoleBinding to a ClusterRole. */
export const clusterRoleBinding = (name: string, roleName: string, subjects: Subject[]): KubeObject => ({
  apiVersion: API,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
  subjects,
});

/** Subject shorthands. */
export const user = (name: string): Subject => ({ kind: 'User', name });
export const group = (name: string): Subject => ({ kind: 'Group', name });
export const sa = (namespace: string, name: string): Subject => ({ kind: 'ServiceAccount', name, namespace });

const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

/**
 * The bootstrap objects that matter here: cluster-admin bound to system:masters, the aggregated
 * admin/edit/view with their `system:aggregate-to-*` parts (rules left empty, as the API server
 * creates them before the controller fills them in), the defaults every authenticated identity
 * holds, and one controller's ClusterRoleBinding.
 */
export function bootstrap(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterRole('admin', undefined, { aggregate: [{ [`${AGG}admin`]: 'true' }] }),
    clusterRole('edit', undefined, {
      aggregate: [{ [`${AGG}edit`]: 'true' }],
      labels: { [`${AGG}admin`]: 'true' },
    }),
    clusterRole('view', undefined, {
      aggregate: [{ [`${AGG}view`]: 'true' }],
      labels: { [`${AGG}edit`]: 'true' },
    }),
    clusterRole(
      'system:aggregate-to-admin',
      [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['*'] }],
      { labels: { [`${AGG}admin`]: 'true' } },
    ),
    clusterRole(
      'system:aggregate-to-edit',
      [
        { apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['create', 'delete', 'get', 'list'] },
        { apiGroups: [''], resources: ['pods/exec', 'pods/attach'], verbs: ['create', 'get'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['create', 'update', 'patch'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'update'] },
      ],
      { labels: { [`${AGG}edit`]: 'true' } },
    ),
    clusterRole(
      'system:aggregate-to-view',
      [{ apiGroups: ['', 'networking.k8s.io'], resources: ['pods', 'ingresses'], verbs: ['get', 'list'] }],
      { labels: { [`${AGG}view`]: 'true' } },
    ),
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
    ]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    clusterRole('system:discovery', [{ nonResourceURLs: ['/api', '/apis'], verbs: ['get'] }]),
    clusterRoleBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    clusterRole('system:service-account-issuer-discovery', [
      { nonResourceURLs: ['/.well-known/openid-configuration'], verbs: ['get'] },
    ]),
    clusterRoleBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [
      group('system:serviceaccounts'),
    ]),
    clusterRole('system:cluster-trust-bundle-discovery', [
      {
        apiGroups: ['certificates.k8s.io'],
        resources: ['clustertrustbundles'],
        verbs: ['get', 'list', 'watch'],
      },
    ]),
    clusterRoleBinding('system:cluster-trust-bundle-discovery', 'system:cluster-trust-bundle-discovery', [
      group('system:serviceaccounts'),
    ]),
    clusterRole('system:controller:deployment-controller', [
      { apiGroups: ['', 'apps'], resources: ['pods', 'replicasets'], verbs: ['create', 'delete'] },
    ]),
    clusterRoleBinding('system:controller:deployment-controller', 'system:controller:deployment-controller', [
      sa('kube-system', 'deployment-controller'),
    ]),
  ];
}

/**
 * A cluster for who-can questions: tenant-dev and the devs group edit team-a, a ServiceAccount may
 * create its Ingresses, ops is cluster-wide, alice is cluster-admin; noise around (a reader, another
 * team, a role limited to one resource name, a binder of ClusterRoles).
 */
export function teamARbac(): KubeObject[] {
  return [
    ...bootstrap(),
    roleBinding('team-a', 'dev-edit', { kind: 'ClusterRole', name: 'edit' }, [
      user('tenant-dev'),
      group('devs'),
    ]),
    role('team-a', 'ingress-creator', [
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['create'] },
    ]),
    roleBinding('team-a', 'ci-ingress', { kind: 'Role', name: 'ingress-creator' }, [sa('ci', 'deployer')]),
    roleBinding('team-a', 'readers', { kind: 'ClusterRole', name: 'view' }, [user('auditor')]),
    roleBinding('team-b', 'b-edit', { kind: 'ClusterRole', name: 'edit' }, [user('bob')]),
    clusterRoleBinding('ops-admin', 'admin', [group('ops'), user('system:kube-scheduler')]),
    clusterRoleBinding('root', 'cluster-admin', [user('alice'), group('system:masters')]),
    clusterRole('ingress-named', [
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['create'], resourceNames: ['x'] },
    ]),
    clusterRoleBinding('named-only', 'ingress-named', [user('named')]),
    clusterRole('rbac-binder', [
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] },
    ]),
    clusterRoleBinding('binder', 'rbac-binder', [user('carol')]),
  ];
}

/** An index state holding `objs` (each object's kind picks its store). */
export function stateOf(objs: KubeObject[]): RbacState {
  const s = new RbacState();
  for (const o of objs) s.put(o.kind as RbacKind, o);
  return s;
}
