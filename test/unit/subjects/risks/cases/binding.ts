import type { RoleRulesOf } from '../../../../../src/subjects/risks/index.js';
import type { Case } from './case.js';

type Obj = Record<string, unknown>;
const RBAC = 'rbac.authorization.k8s.io';

const user = (name: string): Obj => ({ kind: 'User', apiGroup: RBAC, name });
const group = (name: string): Obj => ({ kind: 'Group', apiGroup: RBAC, name });
const sa = (name: string, namespace?: string): Obj => ({
  kind: 'ServiceAccount',
  name,
  ...(namespace ? { namespace } : {}),
});

/** A ClusterRoleBinding `name` of ClusterRole `role` to `subjects`, written by `manager` (if any). */
export function crb(role: string, subjects: Obj[], name = 'ops-view', manager?: string): Obj {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: {
      name,
      ...(manager ? { managedFields: [{ manager, operation: 'Update', time: '2026-01-01T00:00:00Z' }] } : {}),
    },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects,
  };
}

/** A RoleBinding in namespace `shop` of `kind` `role` to `subjects`. */
export function rb(role: string, subjects: Obj[], kind = 'Role', name = 'ops-view'): Obj {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name, namespace: 'shop' },
    roleRef: { apiGroup: RBAC, kind, name: role },
    subjects,
  };
}

/** Roles known to the analysis (as `tripline analyze` finds them in its input). */
const KNOWN: Record<string, unknown[]> = {
  'ClusterRole//secret-reader': [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
  'ClusterRole//pod-viewer': [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
  'ClusterRole//node-proxy': [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }],
  'Role/shop/exec': [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }],
  'Role/shop/viewer': [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
};
const roles: RoleRulesOf = (kind, name, ns) =>
  KNOWN[`${kind}/${kind === 'Role' ? ns : ''}/${name}`] as ReturnType<RoleRulesOf>;
const ctx = { roleRules: roles };

/** ClusterRoleBinding and RoleBinding cases (issue 17). */
export const BINDING_CASES: Case[] = [
  { name: 'clean ClusterRoleBinding of a team group to view', obj: crb('view', [group('sre')]), want: [] },
  {
    name: 'clean RoleBinding of a service account to a read-only Role',
    obj: rb('viewer', [sa('app')]),
    ctx,
    want: [],
  },
  {
    name: 'system:anonymous bound to cluster-admin (the cryptomining campaign)',
    obj: crb('cluster-admin', [user('system:anonymous')]),
    want: ['binding.anonymous-escalating', 'binding.anonymous-subject', 'binding.cluster-admin'],
  },
  {
    name: 'system:unauthenticated bound to a custom role that reads Secrets (known from the input)',
    obj: crb('secret-reader', [group('system:unauthenticated')]),
    ctx,
    want: ['binding.anonymous-escalating', 'binding.anonymous-subject', 'binding.escalating-role'],
  },
  {
    name: 'near miss: system:anonymous bound to a role that is not escalating',
    obj: crb('pod-viewer', [group('system:anonymous')]),
    ctx,
    want: ['binding.anonymous-subject'],
    negativeFor: 'binding.anonymous-escalating',
  },
  {
    name: 'system:authenticated bound to edit cluster-wide',
    obj: crb('edit', [group('system:authenticated')]),
    want: [
      'binding.authenticated-escalating',
      'binding.authenticated-subject',
      'binding.admin-edit-cluster-wide',
    ],
  },
  {
    name: 'near miss: system:authenticated bound to view',
    obj: crb('view', [group('system:authenticated')]),
    want: ['binding.authenticated-subject'],
    negativeFor: 'binding.authenticated-escalating',
  },
  {
    name: 'near miss: a user named anonymous (no system: prefix) bound to view',
    obj: crb('view', [user('anonymous')]),
    want: [],
    negativeFor: 'binding.anonymous-subject',
  },
  {
    name: 'near miss: the system:authenticated group bound in a namespace to a read-only Role',
    obj: rb('viewer', [group('system:serviceaccounts:shop')]),
    ctx,
    want: [],
    negativeFor: 'binding.authenticated-subject',
  },
  {
    name: 'a RoleBinding of cluster-admin in a namespace',
    obj: rb('cluster-admin', [user('alice')], 'ClusterRole'),
    want: ['binding.cluster-admin'],
  },
  {
    name: 'near miss: a Role named cluster-admin (not the built-in ClusterRole)',
    obj: rb('cluster-admin', [user('alice')]),
    want: [],
    negativeFor: 'binding.cluster-admin',
  },
  {
    name: 'near miss: admin bound in a namespace (not cluster-wide)',
    obj: rb('admin', [user('alice')], 'ClusterRole'),
    want: ['binding.admin-edit-in-namespace'],
    negativeFor: 'binding.admin-edit-cluster-wide',
  },
  {
    name: 'near miss: admin bound cluster-wide (not in a namespace)',
    obj: crb('admin', [user('alice')]),
    want: ['binding.admin-edit-cluster-wide'],
    negativeFor: 'binding.admin-edit-in-namespace',
  },
  {
    name: 'a ClusterRoleBinding of a role with nodes/proxy',
    obj: crb('node-proxy', [user('alice')]),
    ctx,
    want: ['binding.escalating-role'],
  },
  {
    name: 'near miss: a ClusterRoleBinding of a role whose rules are unknown',
    obj: crb('node-proxy', [user('alice')]),
    want: [],
    negativeFor: 'binding.escalating-role',
  },
  {
    name: 'a RoleBinding of a Role with pods/exec',
    obj: rb('exec', [user('alice')]),
    ctx,
    want: ['binding.escalating-role-in-namespace'],
  },
  {
    name: 'near miss: a RoleBinding of a ClusterRole with only nodes/proxy (cluster-scoped: not granted in a namespace)',
    obj: rb('node-proxy', [user('alice')], 'ClusterRole'),
    ctx,
    want: [],
    negativeFor: 'binding.escalating-role-in-namespace',
  },
  {
    name: 'a default service account bound',
    obj: rb('viewer', [sa('default')]),
    ctx,
    want: ['binding.default-service-account'],
  },
  {
    name: 'near miss: a service account named default-app',
    obj: rb('viewer', [sa('default-app')]),
    ctx,
    want: [],
    negativeFor: 'binding.default-service-account',
  },
  {
    name: 'a RoleBinding of a service account of another namespace',
    obj: rb('viewer', [sa('app', 'ci')]),
    ctx,
    want: ['binding.cross-namespace-service-account'],
  },
  {
    name: 'near miss: the service account namespace spelled out as the binding namespace',
    obj: rb('viewer', [sa('app', 'shop')]),
    ctx,
    want: [],
    negativeFor: 'binding.cross-namespace-service-account',
  },
  {
    name: 'a user named like a system component that Kubernetes never authenticates',
    obj: crb('view', [user('system:kube-controller-manger')]),
    want: ['binding.system-lookalike-subject'],
  },
  {
    name: 'a group named like a system group that does not exist',
    obj: crb('view', [group('system:admins')]),
    want: ['binding.system-lookalike-subject'],
  },
  {
    name: 'a service account named kube-proxy outside kube-system',
    obj: crb('view', [sa('kube-proxy', 'tools')]),
    want: ['binding.system-lookalike-subject'],
  },
  {
    name: 'a service account one typo from a controller, in kube-system',
    obj: crb('view', [sa('replicaset-controler', 'kube-system')]),
    want: ['binding.system-lookalike-subject'],
  },
  {
    name: 'near miss: real system identities (a node, a service account user, kube-proxy in kube-system, kube-state-metrics)',
    obj: crb('view', [
      user('system:node:worker-1'),
      user('system:serviceaccount:shop:app'),
      user('system:kube-scheduler'),
      group('system:serviceaccounts:shop'),
      sa('kube-proxy', 'kube-system'),
      sa('kube-state-metrics', 'monitoring'),
    ]),
    want: [],
    negativeFor: 'binding.system-lookalike-subject',
  },
  {
    name: 'a binding named system: written by kubectl',
    obj: crb('view', [group('sre')], 'system:controller:backup', 'kubectl-create'),
    want: ['binding.system-lookalike-name'],
  },
  {
    name: 'a binding named one letter from cluster-admin, from a manifest',
    obj: crb('view', [group('sre')], 'cluster-admln'),
    want: ['binding.system-lookalike-name'],
  },
  {
    name: 'near miss: a system: binding written by kube-apiserver (its bootstrap policy)',
    obj: crb('view', [group('sre')], 'system:discovery-x', 'kube-apiserver'),
    want: [],
    negativeFor: 'binding.system-lookalike-name',
  },
  {
    name: 'near miss: cluster-admin-binding (an ordinary name, not a system one)',
    obj: crb('view', [group('sre')], 'cluster-admin-binding', 'kubectl-create'),
    want: [],
    negativeFor: 'binding.system-lookalike-name',
  },
];
