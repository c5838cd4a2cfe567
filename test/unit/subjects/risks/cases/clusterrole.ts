import { role } from '../fixtures.js';
import type { Case } from './case.js';

const RBAC = 'rbac.authorization.k8s.io';
/** The escalation-path ids that a Role can get in its namespace. */
const NAMESPACED_PATHS = [
  'clusterrole.workload-create',
  'clusterrole.pods-ephemeral-containers',
  'clusterrole.events-delete',
  'clusterrole.networkpolicy-write',
  'clusterrole.rbac-write',
];
const EVERYTHING_CLUSTER = [
  'clusterrole.cluster-admin-equivalent',
  'clusterrole.escalate-bind',
  'clusterrole.impersonate',
  'clusterrole.secrets-read',
  'clusterrole.pods-exec-attach',
  'clusterrole.nodes-proxy',
  'clusterrole.serviceaccount-token-create',
  'clusterrole.admission-webhook-write',
  'clusterrole.csr-approval',
  'clusterrole.persistentvolume-create',
  ...NAMESPACED_PATHS,
  'clusterrole.crd-write',
];
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]) => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

/** ClusterRole and Role cases. */
export const ROLE_CASES: Case[] = [
  {
    name: 'clean ClusterRole',
    obj: role([rule([''], ['pods', 'services'], ['get', 'list', 'watch'])]),
    want: [],
  },
  {
    name: 'cluster-admin equivalent: every dangerous permission',
    obj: role([rule(['*'], ['*'], ['*'])]),
    want: EVERYTHING_CLUSTER,
  },
  {
    name: 'a Role with * * *: only what a namespace can grant',
    obj: role([rule(['*'], ['*'], ['*'])], {}, 'Role'),
    want: [
      'clusterrole.cluster-admin-equivalent',
      'clusterrole.escalate-bind',
      'clusterrole.impersonate',
      'clusterrole.secrets-read',
      'clusterrole.pods-exec-attach',
      'clusterrole.serviceaccount-token-create',
      ...NAMESPACED_PATHS,
    ],
  },
  {
    name: 'near miss of cluster-admin: every verb and resource of apps only',
    obj: role([rule(['apps'], ['*'], ['*'])]),
    want: ['clusterrole.wildcard-verbs', 'clusterrole.wildcard-resources', 'clusterrole.workload-create'],
    negativeFor: 'clusterrole.cluster-admin-equivalent',
  },
  {
    name: 'wildcard verbs',
    obj: role([rule(['apps'], ['deployments'], ['*'])]),
    want: ['clusterrole.wildcard-verbs', 'clusterrole.workload-create'],
  },
  {
    name: 'explicit verbs',
    obj: role([rule(['apps'], ['deployments'], ['get', 'list', 'create', 'update', 'patch', 'delete'])]),
    want: ['clusterrole.workload-create'],
    negativeFor: 'clusterrole.wildcard-verbs',
  },
  {
    name: 'wildcard resources',
    obj: role([rule(['apps'], ['*'], ['get'])]),
    want: ['clusterrole.wildcard-resources'],
  },
  {
    name: 'a */scale subresource is not a wildcard resource',
    obj: role([rule(['apps'], ['*/scale'], ['get'])]),
    want: [],
    negativeFor: 'clusterrole.wildcard-resources',
  },
  {
    name: 'wildcard API groups',
    obj: role([rule(['*'], ['deployments'], ['get'])]),
    want: ['clusterrole.wildcard-api-groups'],
  },
  {
    name: 'explicit API groups',
    obj: role([rule(['apps', 'extensions'], ['deployments'], ['get'])]),
    want: [],
    negativeFor: 'clusterrole.wildcard-api-groups',
  },
  {
    name: 'bind on clusterroles',
    obj: role([rule([RBAC], ['clusterroles'], ['bind'])]),
    want: ['clusterrole.escalate-bind'],
  },
  {
    name: 'escalate on roles in a Role',
    obj: role([rule([RBAC], ['roles'], ['escalate'])], {}, 'Role'),
    want: ['clusterrole.escalate-bind'],
  },
  {
    name: 'writing roles and bindings without bind/escalate',
    obj: role([rule([RBAC], ['roles', 'rolebindings', 'clusterroles'], ['get', 'create', 'update'])]),
    want: ['clusterrole.rbac-write'],
    negativeFor: 'clusterrole.escalate-bind',
  },
  {
    name: 'impersonate service accounts',
    obj: role([rule([''], ['serviceaccounts'], ['impersonate'])]),
    want: ['clusterrole.impersonate'],
  },
  {
    name: 'impersonate user extras',
    obj: role([rule(['authentication.k8s.io'], ['userextras/scopes', 'userextras/*'], ['impersonate'])]),
    want: ['clusterrole.impersonate'],
  },
  {
    name: 'reading users and groups',
    obj: role([rule([''], ['users', 'groups', 'serviceaccounts'], ['get', 'list'])]),
    want: [],
    negativeFor: 'clusterrole.impersonate',
  },
  {
    name: 'list secrets',
    obj: role([rule([''], ['secrets'], ['list'])]),
    want: ['clusterrole.secrets-read'],
  },
  {
    name: 'get one named secret',
    obj: role([rule([''], ['secrets'], ['get'], ['leader-tls'])]),
    want: [],
    negativeFor: 'clusterrole.secrets-read',
  },
  {
    name: 'create secrets only',
    obj: role([rule([''], ['secrets'], ['create', 'delete'])]),
    want: [],
    negativeFor: 'clusterrole.secrets-read',
  },
  {
    name: 'secrets in another API group',
    obj: role([rule(['example.com'], ['secrets'], ['get'])]),
    want: [],
    negativeFor: 'clusterrole.secrets-read',
  },
  {
    name: 'attach to pods',
    obj: role([rule([''], ['pods/attach'], ['create'])]),
    want: ['clusterrole.pods-exec-attach'],
  },
  {
    name: 'exec through */exec',
    obj: role([rule([''], ['*/exec'], ['create'])]),
    want: ['clusterrole.pods-exec-attach'],
  },
  {
    name: 'pod logs',
    obj: role([rule([''], ['pods', 'pods/log'], ['get', 'list'])]),
    want: [],
    negativeFor: 'clusterrole.pods-exec-attach',
  },
  {
    name: 'nodes/proxy get',
    obj: role([rule([''], ['nodes/proxy'], ['get'])]),
    want: ['clusterrole.nodes-proxy'],
  },
  {
    name: 'nodes/metrics and nodes/stats',
    obj: role([rule([''], ['nodes', 'nodes/metrics', 'nodes/stats'], ['get', 'list', 'watch'])]),
    want: [],
    negativeFor: 'clusterrole.nodes-proxy',
  },
  {
    name: 'nodes/proxy in a Role cannot be granted',
    obj: role([rule([''], ['nodes/proxy'], ['get'])], {}, 'Role'),
    want: [],
    negativeFor: 'clusterrole.nodes-proxy',
  },
  {
    name: 'create service account tokens',
    obj: role([rule([''], ['serviceaccounts/token'], ['create'])]),
    want: ['clusterrole.serviceaccount-token-create'],
  },
  {
    name: 'create the token of one named service account',
    obj: role([rule([''], ['serviceaccounts/token'], ['create'], ['cert-manager'])], {}, 'Role'),
    want: [],
    negativeFor: 'clusterrole.serviceaccount-token-create',
  },
  {
    name: 'patch validating webhooks',
    obj: role([
      rule(['admissionregistration.k8s.io'], ['validatingwebhookconfigurations'], ['get', 'patch']),
    ]),
    want: ['clusterrole.admission-webhook-write'],
  },
  {
    name: 'delete admission policies',
    obj: role([rule(['admissionregistration.k8s.io'], ['validatingadmissionpolicies'], ['delete'])]),
    want: ['clusterrole.admission-webhook-write'],
  },
  {
    name: 'read webhooks',
    obj: role([
      rule(['admissionregistration.k8s.io'], ['mutatingwebhookconfigurations'], ['get', 'list', 'watch']),
    ]),
    want: [],
    negativeFor: 'clusterrole.admission-webhook-write',
  },
  {
    name: 'update CSR approval',
    obj: role([rule(['certificates.k8s.io'], ['certificatesigningrequests/approval'], ['update'])]),
    want: ['clusterrole.csr-approval'],
  },
  {
    name: 'approve for the API server client signer',
    obj: role([
      rule(['certificates.k8s.io'], ['signers'], ['approve'], ['kubernetes.io/kube-apiserver-client']),
    ]),
    want: ['clusterrole.csr-approval'],
  },
  {
    name: "approve for a non-Kubernetes signer (cert-manager's own)",
    obj: role([
      rule(['certificates.k8s.io'], ['signers'], ['approve'], ['issuers.cert-manager.io/*']),
      rule(['cert-manager.io'], ['signers'], ['approve']),
      rule(
        ['certificates.k8s.io'],
        ['certificatesigningrequests', 'certificatesigningrequests/status'],
        ['update'],
      ),
    ]),
    want: [],
    negativeFor: 'clusterrole.csr-approval',
  },
  {
    name: 'create persistent volumes',
    obj: role([rule([''], ['persistentvolumes'], ['create'])]),
    want: ['clusterrole.persistentvolume-create'],
  },
  {
    name: 'create persistent volume claims',
    obj: role([rule([''], ['persistentvolumeclaims'], ['create'])]),
    want: [],
    negativeFor: 'clusterrole.persistentvolume-create',
  },
  {
    name: 'aggregation rule',
    obj: role([], {
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate': 'true' } }] },
    }),
    want: ['clusterrole.aggregation-rule'],
  },
  {
    name: 'aggregated into view (labels only)',
    obj: {
      ...role([rule(['example.com'], ['widgets'], ['get'])]),
      metadata: { name: 'r', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
    },
    want: [],
    negativeFor: 'clusterrole.aggregation-rule',
  },
  {
    name: 'create pods',
    obj: role([rule([''], ['pods'], ['create'])]),
    want: ['clusterrole.workload-create'],
  },
  {
    name: 'a CI deployer Role: deployments, jobs and services in its namespace',
    obj: role(
      [
        rule(['apps'], ['deployments'], ['get', 'list', 'watch', 'create', 'update', 'patch']),
        rule(['batch'], ['jobs', 'cronjobs'], ['get', 'create', 'delete']),
        rule([''], ['services', 'configmaps'], ['get', 'create', 'update', 'patch']),
      ],
      {},
      'Role',
    ),
    want: ['clusterrole.workload-create'],
  },
  {
    name: 'scale deployments, delete pods, read replicationcontrollers',
    obj: role([
      rule(['apps'], ['deployments/scale'], ['update', 'patch']),
      rule([''], ['pods'], ['get', 'list', 'delete']),
      rule([''], ['replicationcontrollers', 'podtemplates'], ['get', 'list']),
    ]),
    want: [],
    negativeFor: 'clusterrole.workload-create',
  },
  {
    name: 'patch pods/ephemeralcontainers in a Role',
    obj: role([rule([''], ['pods/ephemeralcontainers'], ['patch'])], {}, 'Role'),
    want: ['clusterrole.pods-ephemeral-containers'],
  },
  {
    name: 'read pods/ephemeralcontainers',
    obj: role([rule([''], ['pods/ephemeralcontainers', 'pods/status'], ['get'])]),
    want: [],
    negativeFor: 'clusterrole.pods-ephemeral-containers',
  },
  {
    name: 'delete events',
    obj: role([rule([''], ['events'], ['get', 'list', 'delete', 'deletecollection'])]),
    want: ['clusterrole.events-delete'],
  },
  {
    name: 'deletecollection on events.k8s.io events in a Role',
    obj: role([rule(['events.k8s.io'], ['events'], ['deletecollection'])], {}, 'Role'),
    want: ['clusterrole.events-delete'],
  },
  {
    name: 'record events (create and patch, like every controller)',
    obj: role([
      rule(['', 'events.k8s.io'], ['events'], ['create', 'patch', 'update', 'get', 'list', 'watch']),
    ]),
    want: [],
    negativeFor: 'clusterrole.events-delete',
  },
  {
    name: 'update CRDs',
    obj: role([rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], ['get', 'update'])]),
    want: ['clusterrole.crd-write'],
  },
  {
    name: 'read CRDs; CRD writes in a Role cannot be granted',
    obj: role([rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], ['get', 'list'])]),
    want: [],
    negativeFor: 'clusterrole.crd-write',
  },
  {
    name: 'CRD writes in a Role grant nothing',
    obj: role(
      [rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], ['create', 'delete'])],
      {},
      'Role',
    ),
    want: [],
    negativeFor: 'clusterrole.crd-write',
  },
  {
    name: 'delete NetworkPolicies in a Role',
    obj: role([rule(['networking.k8s.io'], ['networkpolicies'], ['delete'])], {}, 'Role'),
    want: ['clusterrole.networkpolicy-write'],
  },
  {
    name: 'write Calico global network policies',
    obj: role([rule(['crd.projectcalico.org'], ['globalnetworkpolicies'], ['create', 'update'])]),
    want: ['clusterrole.networkpolicy-write'],
  },
  {
    name: 'read NetworkPolicies, write Ingresses',
    obj: role([
      rule(['networking.k8s.io'], ['networkpolicies'], ['get', 'list', 'watch']),
      rule(['networking.k8s.io'], ['ingresses'], ['create', 'update']),
    ]),
    want: [],
    negativeFor: 'clusterrole.networkpolicy-write',
  },
  {
    name: 'create rolebindings in a Role',
    obj: role([rule([RBAC], ['rolebindings'], ['create'])], {}, 'Role'),
    want: ['clusterrole.rbac-write'],
  },
  {
    name: 'read roles and bindings; clusterrolebindings writes in a Role grant nothing',
    obj: role(
      [
        rule([RBAC], ['roles', 'rolebindings'], ['get', 'list', 'watch']),
        rule([RBAC], ['clusterrolebindings'], ['create']),
      ],
      {},
      'Role',
    ),
    want: [],
    negativeFor: 'clusterrole.rbac-write',
  },
];
