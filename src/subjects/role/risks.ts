import { cis, doc, rbacGoodPractice } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';
import { ROLE_PATH_RULES } from './path-risks.js';
import { granting, type PolicyRule, READ, type RoleView, WILDCARD, WRITE } from './view.js';

export { grantedVerbs, type PolicyRule, type RoleView, readRole } from './view.js';

const RBAC = 'rbac.authorization.k8s.io';

/** Whether the rule is `*` on `*` in `*`: everything, like cluster-admin. */
const isFullWildcard = (r: PolicyRule): boolean =>
  [r.apiGroups, r.resources, r.verbs].every((l) => l.includes(WILDCARD));

/** Rules (not full wildcards, which have their own id) that use `*` in `key`. */
const wildcardIn =
  (key: 'verbs' | 'resources' | 'apiGroups') =>
  (role: RoleView): string[] =>
    role.rules
      .filter((r) => r.resources.length > 0 && r[key].includes(WILDCARD) && !isFullWildcard(r))
      .map((r) => `rules[${r.index}]: ${key} * (${describe(r)})`);

const describe = (r: PolicyRule): string =>
  `verbs ${r.verbs.join(', ') || '-'} on ${r.resources.join(', ') || '-'} in groups ${r.apiGroups.map((g) => g || '""').join(', ') || '-'}`;

const WILDCARD_REF = cis('5.1.3', 'Minimize wildcard use in Roles and ClusterRoles');

/** Signers of the Kubernetes API server itself: certificates for any user, or for kubelets. */
const kubernetesSigner = (names: string[]): boolean =>
  names.some((n) => n === '*' || n.startsWith('kubernetes.io/'));

/** Risk rules of ClusterRoles and Roles. */
export const ROLE_RULES: readonly RiskRule<RoleView>[] = [
  {
    id: 'clusterrole.cluster-admin-equivalent',
    severity: 'Critical',
    title: 'Grants every verb on every resource in every API group (cluster-admin equivalent)',
    description:
      'A rule with `*` verbs, resources and apiGroups gives full control of the cluster (or of the namespace, for a Role).',
    reference: cis('5.1.1', 'Ensure that the cluster-admin role is only used where required'),
    check: (role) => role.rules.filter(isFullWildcard).map((r) => `rules[${r.index}]`),
  },
  {
    id: 'clusterrole.wildcard-verbs',
    severity: 'Medium',
    title: 'Uses a wildcard verb',
    description:
      'verbs: ["*"] grants every verb that exists now or is added later, including escalate, bind and impersonate where they apply.',
    reference: WILDCARD_REF,
    check: wildcardIn('verbs'),
  },
  {
    id: 'clusterrole.wildcard-resources',
    severity: 'High',
    title: 'Uses a wildcard resource',
    description:
      'resources: ["*"] covers every resource of the groups, Secrets and subresources such as pods/exec included, and future ones.',
    reference: WILDCARD_REF,
    check: wildcardIn('resources'),
  },
  {
    id: 'clusterrole.wildcard-api-groups',
    severity: 'Low',
    title: 'Uses a wildcard API group',
    description:
      'apiGroups: ["*"] matches the named resources in every API group, including custom resources installed later.',
    reference: WILDCARD_REF,
    check: wildcardIn('apiGroups'),
  },
  {
    id: 'clusterrole.escalate-bind',
    severity: 'High',
    title: 'Can escalate or bind roles (privilege escalation)',
    description:
      'escalate lets a subject write roles with permissions it does not hold; bind lets it bind roles it does not hold. Either leads to cluster-admin.',
    reference: cis('5.1.8', 'Limit use of the Bind, Impersonate and Escalate permissions'),
    check: granting({ group: RBAC, resources: ['roles', 'clusterroles'], verbs: ['escalate', 'bind'] }),
  },
  {
    id: 'clusterrole.impersonate',
    severity: 'High',
    title: 'Can impersonate users, groups or service accounts',
    description:
      'impersonate lets a subject act as any user, group (system:masters included) or service account it names.',
    reference: cis('5.1.8', 'Limit use of the Bind, Impersonate and Escalate permissions'),
    check: (role) => [
      ...granting({ group: '', resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] })(
        role,
      ),
      ...granting({
        group: 'authentication.k8s.io',
        resources: ['uids', 'userextras/*'],
        verbs: ['impersonate'],
      })(role),
    ],
  },
  {
    id: 'clusterrole.secrets-read',
    severity: 'High',
    title: 'Can read Secrets',
    description:
      'get, list or watch on secrets (not limited by resourceNames) reads every credential and service account token of the scope.',
    reference: cis('5.1.2', 'Minimize access to secrets'),
    check: granting({ group: '', resources: ['secrets'], verbs: READ, anyName: true }),
  },
  {
    id: 'clusterrole.pods-exec-attach',
    severity: 'High',
    title: 'Can exec into or attach to Pods',
    description:
      'pods/exec and pods/attach run commands in running containers, with their service account tokens, mounted Secrets and host access.',
    reference: rbacGoodPractice('exec', 'pods/exec'),
    check: granting({ group: '', resources: ['pods/exec', 'pods/attach'], verbs: ['create', 'get'] }),
  },
  {
    id: 'clusterrole.nodes-proxy',
    severity: 'High',
    title: 'Can use the nodes/proxy subresource (kubelet API)',
    description:
      'Any verb on nodes/proxy reaches the kubelet API directly, which runs commands in every Pod of the node and bypasses audit logging and admission.',
    reference: cis('5.1.10', 'Minimize access to the proxy sub-resource of nodes'),
    check: granting({ group: '', resources: ['nodes/proxy'], verbs: [...READ, ...WRITE], clusterOnly: true }),
  },
  {
    id: 'clusterrole.serviceaccount-token-create',
    severity: 'High',
    title: 'Can create service account tokens',
    description:
      'create on serviceaccounts/token (not limited by resourceNames) issues tokens for any service account of the scope, and with them its permissions.',
    reference: cis('5.1.13', 'Minimize access to the service account token creation'),
    check: granting({ group: '', resources: ['serviceaccounts/token'], verbs: ['create'], anyName: true }),
  },
  {
    id: 'clusterrole.admission-webhook-write',
    severity: 'High',
    title: 'Can change admission webhooks or policies',
    description:
      'Writing (mutating|validating) webhook configurations or admission policies lets a subject read or rewrite every object sent to the API server, or switch off the policies that guard it.',
    reference: cis('5.1.12', 'Minimize access to webhook configuration objects'),
    check: granting({
      group: 'admissionregistration.k8s.io',
      resources: [
        'mutatingwebhookconfigurations',
        'validatingwebhookconfigurations',
        'validatingadmissionpolicies',
        'validatingadmissionpolicybindings',
        'mutatingadmissionpolicies',
        'mutatingadmissionpolicybindings',
      ],
      verbs: WRITE,
      clusterOnly: true,
    }),
  },
  {
    id: 'clusterrole.csr-approval',
    severity: 'High',
    title: 'Can approve certificate signing requests',
    description:
      'Approving CSRs for the Kubernetes signers issues client certificates for any user or group (system:masters included) or for kubelets.',
    reference: cis(
      '5.1.11',
      'Minimize access to the approval sub-resource of certificatesigningrequests objects',
    ),
    check: (role) => [
      ...granting({
        group: 'certificates.k8s.io',
        resources: ['certificatesigningrequests/approval'],
        verbs: ['update', 'patch'],
        clusterOnly: true,
      })(role),
      ...granting({
        group: 'certificates.k8s.io',
        resources: ['signers'],
        verbs: ['approve'],
        clusterOnly: true,
        names: kubernetesSigner,
      })(role),
    ],
  },
  {
    id: 'clusterrole.persistentvolume-create',
    severity: 'Medium',
    title: 'Can create PersistentVolumes',
    description:
      'A PersistentVolume can point at a hostPath; creating one and binding it mounts any directory of a node into a Pod.',
    reference: cis('5.1.9', 'Minimize access to create persistent volumes'),
    check: granting({ group: '', resources: ['persistentvolumes'], verbs: ['create'], clusterOnly: true }),
  },
  {
    id: 'clusterrole.aggregation-rule',
    severity: 'Low',
    title: 'Collects its rules by aggregation',
    description:
      'An aggregationRule gives this ClusterRole the rules of every ClusterRole whose labels match, now and later: its permissions are not visible in its own rules.',
    reference: doc(
      'Kubernetes RBAC: Aggregated ClusterRoles',
      'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles',
    ),
    check: (role) => (role.hasAggregationRule ? ['aggregationRule.clusterRoleSelectors'] : []),
  },
  ...ROLE_PATH_RULES,
];
