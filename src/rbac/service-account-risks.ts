import type { Severity } from '../api/constants.js';
import { type ResourceRequest, rulesAllow } from './rules.js';
import type { Binding } from './state.js';

/** Verbs on one resource (or subresource) that a risk looks for. */
export interface PermissionCheck {
  group: string;
  resource: string;
  subresource?: string;
  verbs: readonly string[];
}

/**
 * A risk of what a workload's service account may do. Severity depends on where the permission
 * holds: in the workload's namespace (a RoleBinding) or cluster-wide (a ClusterRoleBinding).
 */
export interface ServiceAccountRiskRule {
  /** Stable id, documented in the README. */
  id: string;
  /** What the service account can do, as the middle of a sentence: "read Secrets". */
  capability: string;
  severity: { namespace: Severity; cluster: Severity };
  reference: string;
  /** Permissions any one of which raises the risk. */
  checks?: readonly PermissionCheck[];
  /** ClusterRoles whose mere binding raises the risk. */
  clusterRoles?: readonly string[];
}

const GOOD_PRACTICES = 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/';
const WORKLOADS: ReadonlyArray<[string, string]> = [
  ['', 'pods'],
  ['', 'replicationcontrollers'],
  ['apps', 'deployments'],
  ['apps', 'replicasets'],
  ['apps', 'statefulsets'],
  ['apps', 'daemonsets'],
  ['batch', 'jobs'],
  ['batch', 'cronjobs'],
];

/**
 * The risks, as data. Exec needs `create` on pods/exec since Kubernetes 1.31 and `get` before (the
 * websocket upgrade), so both count. Creating a workload in a namespace lets it run as any service
 * account there, so it is an escalation path, not just a deployment right.
 */
export const SERVICE_ACCOUNT_RISKS: readonly ServiceAccountRiskRule[] = [
  {
    id: 'serviceaccount.secrets-read',
    capability: 'read Secrets',
    severity: { namespace: 'High', cluster: 'Critical' },
    reference: `CIS Kubernetes Benchmark 5.1.2; ${GOOD_PRACTICES}#listing-secrets`,
    checks: [{ group: '', resource: 'secrets', verbs: ['get', 'list', 'watch'] }],
  },
  {
    id: 'serviceaccount.pods-exec-attach',
    capability: 'exec or attach into Pods',
    severity: { namespace: 'High', cluster: 'Critical' },
    reference: GOOD_PRACTICES,
    checks: ['exec', 'attach'].map((subresource) => ({
      group: '',
      resource: 'pods',
      subresource,
      verbs: ['create', 'get'],
    })),
  },
  {
    id: 'serviceaccount.workloads-create',
    capability: 'create Pods or workloads',
    severity: { namespace: 'Medium', cluster: 'High' },
    reference: `CIS Kubernetes Benchmark 5.1.4; ${GOOD_PRACTICES}#workload-creation`,
    checks: WORKLOADS.map(([group, resource]) => ({ group, resource, verbs: ['create'] })),
  },
  {
    id: 'serviceaccount.escalate-bind',
    capability: 'bind or escalate Roles and ClusterRoles',
    severity: { namespace: 'High', cluster: 'Critical' },
    reference: `CIS Kubernetes Benchmark 5.1.8; ${GOOD_PRACTICES}#escalate-verb`,
    checks: ['roles', 'clusterroles'].map((resource) => ({
      group: 'rbac.authorization.k8s.io',
      resource,
      verbs: ['bind', 'escalate'],
    })),
  },
  {
    id: 'serviceaccount.impersonate',
    capability: 'impersonate users, groups or service accounts',
    severity: { namespace: 'Critical', cluster: 'Critical' },
    reference: `CIS Kubernetes Benchmark 5.1.8; ${GOOD_PRACTICES}#impersonate-verb`,
    checks: [
      ...['users', 'groups', 'serviceaccounts'].map((resource) => ({
        group: '',
        resource,
        verbs: ['impersonate'],
      })),
      { group: 'authentication.k8s.io', resource: 'uids', verbs: ['impersonate'] },
    ],
  },
  {
    id: 'serviceaccount.cluster-admin',
    capability: 'do anything as cluster-admin',
    severity: { namespace: 'High', cluster: 'Critical' },
    reference: `CIS Kubernetes Benchmark 5.1.1; ${GOOD_PRACTICES}#least-privilege`,
    clusterRoles: ['cluster-admin'],
  },
];

/** `list secrets`, `create pods/exec`, `create deployments.apps`. */
function permissionText(c: PermissionCheck, verb: string): string {
  const res = c.subresource ? `${c.resource}/${c.subresource}` : c.resource;
  return `${verb} ${res}${c.group ? `.${c.group}` : ''}`;
}

/**
 * What of a risk one binding grants: the permissions found (`list secrets`), or the binding itself
 * for role-based risks. Empty when the binding does not raise the risk.
 */
export function riskPermissions(
  rule: ServiceAccountRiskRule,
  binding: Binding,
  rules: Parameters<typeof rulesAllow>[0],
): string[] {
  const found: string[] = [];
  if (binding.roleRef.kind === 'ClusterRole' && rule.clusterRoles?.includes(binding.roleRef.name))
    found.push(`bound to ClusterRole ${binding.roleRef.name}`);
  for (const c of rule.checks ?? []) {
    for (const verb of c.verbs) {
      const req: ResourceRequest = { verb, group: c.group, resource: c.resource };
      if (c.subresource) req.subresource = c.subresource;
      if (rulesAllow(rules, req)) found.push(permissionText(c, verb));
    }
  }
  return found;
}
