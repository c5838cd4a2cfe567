import type { Severity } from '../api/constants.js';
import type { AlertRisk } from '../api/generated/audit-alert.js';
import { truncateUtf8 } from '../subjects/read.js';
import { describeBinding, describeSubject } from './describe.js';
import type { PolicyRule } from './rules.js';
import {
  riskPermissions,
  SERVICE_ACCOUNT_RISKS,
  type ServiceAccountRiskRule,
} from './service-account-risks.js';
import type { Binding, RbacState, RbacSubject } from './state.js';

/** A service account by namespace and name. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** Whether the workload's containers get the service account's token, and why. */
export interface TokenMount {
  /** The effective `automountServiceAccountToken`. */
  automount: boolean;
  /** Where that value came from. */
  from: 'pod spec' | 'service account' | 'default';
  /** A projected serviceAccountToken volume mounts a token even without automount. */
  projectedToken: boolean;
}

/** One binding that applies to the service account. */
export interface ServiceAccountGrant {
  binding: Binding;
  /** The subject that matched: the service account itself, its user name, or a group it is in. */
  matchedAs: RbacSubject;
  rules: PolicyRule[];
  scope: 'namespace' | 'cluster';
}

/**
 * ClusterRoles that every authenticated identity (or every service account) holds on a fresh
 * cluster (Kubernetes 1.37 bootstrap policy): self-reviews, discovery, version, the OIDC issuer
 * documents and ClusterTrustBundles. Left out so that a workload on the `default` service account
 * shows no permissions and raises no risk. Their content is reconciled by the API server at start.
 */
export const DEFAULT_CLUSTER_ROLES: ReadonlySet<string> = new Set([
  'system:basic-user',
  'system:discovery',
  'system:public-info-viewer',
  'system:service-account-issuer-discovery',
  'system:cluster-trust-bundle-discovery',
]);

/** Longest list of bindings kept in evidence. */
const MAX_BINDINGS_IN_EVIDENCE = 32;
/** Bindings named in one risk message. */
const MAX_BINDINGS_IN_MESSAGE = 3;
/** maxLength of `risks[].message` in the AuditAlert CRD. */
const MAX_MESSAGE_BYTES = 2048;

/** The identities RBAC sees for a service account: itself, its user name, and its groups. */
function identities(sa: ServiceAccountRef): RbacSubject[] {
  return [
    { kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace },
    { kind: 'User', name: `system:serviceaccount:${sa.namespace}:${sa.name}` },
    { kind: 'Group', name: 'system:serviceaccounts' },
    { kind: 'Group', name: `system:serviceaccounts:${sa.namespace}` },
    { kind: 'Group', name: 'system:authenticated' },
  ];
}

const sameSubject = (a: RbacSubject, b: RbacSubject): boolean =>
  a.kind === b.kind && a.name === b.name && (a.kind !== 'ServiceAccount' || a.namespace === b.namespace);

/**
 * Every binding that grants the service account something beyond the defaults: RoleBindings in its
 * namespace (namespace scope) and ClusterRoleBindings (cluster scope), matched on the account
 * itself, `system:serviceaccount:NS:NAME`, `system:serviceaccounts`, `system:serviceaccounts:NS`
 * and `system:authenticated`.
 */
export function serviceAccountGrants(state: RbacState, sa: ServiceAccountRef): ServiceAccountGrant[] {
  const ids = identities(sa);
  const out: ServiceAccountGrant[] = [];
  const scoped: Array<[Binding, ServiceAccountGrant['scope']]> = [
    ...state.roleBindings(sa.namespace).map((b): [Binding, 'namespace'] => [b, 'namespace']),
    ...state.clusterRoleBindings().map((b): [Binding, 'cluster'] => [b, 'cluster']),
  ];
  for (const [binding, scope] of scoped) {
    if (binding.roleRef.kind === 'ClusterRole' && DEFAULT_CLUSTER_ROLES.has(binding.roleRef.name)) continue;
    const matchedAs = ids.find((id) => binding.subjects.some((s) => sameSubject(s, id)));
    if (!matchedAs) continue;
    out.push({ binding, matchedAs, rules: state.rulesOf(binding), scope });
  }
  return out.sort((a, b) => describeBinding(a.binding).localeCompare(describeBinding(b.binding)));
}

/** `RoleBinding shop/x → Role y`, plus how it matched when not by the account itself. */
function viaText(g: ServiceAccountGrant): string {
  const via = describeBinding(g.binding);
  return g.matchedAs.kind === 'ServiceAccount' ? via : `${via} (as ${describeSubject(g.matchedAs)})`;
}

const whereText = (g: ServiceAccountGrant, ns: string): string =>
  g.scope === 'cluster' ? 'cluster-wide' : `in namespace ${ns}`;

interface RiskFinding {
  rule: ServiceAccountRiskRule;
  hits: Array<{ grant: ServiceAccountGrant; permissions: string[] }>;
}

/** The permissions of a finding, each once, in the order found. */
const permissionsOf = (f: RiskFinding): string[] => [...new Set(f.hits.flatMap((h) => h.permissions))];

function findRisks(grants: readonly ServiceAccountGrant[]): RiskFinding[] {
  const out: RiskFinding[] = [];
  for (const rule of SERVICE_ACCOUNT_RISKS) {
    const hits = grants
      .map((grant) => ({ grant, permissions: riskPermissions(rule, grant.binding, grant.rules) }))
      .filter((h) => h.permissions.length > 0)
      // Cluster-wide grants first: they decide the severity and matter most to the reader.
      .sort((a, b) => (a.grant.scope === b.grant.scope ? 0 : a.grant.scope === 'cluster' ? -1 : 1));
    if (hits.length > 0) out.push({ rule, hits });
  }
  return out;
}

/** Without a mounted token the permissions are not the workload's to use; the risk stays, as Low. */
const UNMOUNTED_SEVERITY: Severity = 'Low';

function toRisk(f: RiskFinding, sa: ServiceAccountRef, token: TokenMount): AlertRisk {
  const cluster = f.hits.some((h) => h.grant.scope === 'cluster');
  const mounted = token.automount || token.projectedToken;
  const severity = mounted ? f.rule.severity[cluster ? 'cluster' : 'namespace'] : UNMOUNTED_SEVERITY;
  const shown = f.hits
    .slice(0, MAX_BINDINGS_IN_MESSAGE)
    .map((h) => `${whereText(h.grant, sa.namespace)} via ${viaText(h.grant)}`);
  const more = f.hits.length - shown.length;
  const tail = more > 0 ? `; and ${more} more binding${more === 1 ? '' : 's'}` : '';
  const unmounted = mounted ? '' : ' (its token is not mounted in this workload)';
  return {
    id: f.rule.id,
    severity,
    message: truncateUtf8(
      `Service account ${sa.namespace}/${sa.name} can ${f.rule.capability} ` +
        `(${permissionsOf(f).join(', ')}) ${shown.join('; ')}${tail}${unmounted}`,
      MAX_MESSAGE_BYTES,
    ),
    reference: f.rule.reference,
  };
}

/** What goes into `evidence.serviceAccount`. */
export interface ServiceAccountEvidence {
  name: string;
  namespace: string;
  automountToken: boolean;
  automountFrom: TokenMount['from'];
  projectedToken?: boolean;
  bindings: Array<{ via: string; scope: ServiceAccountGrant['scope']; as?: string; rules: number }>;
  bindingsTotal?: number;
  notable: string[];
  [key: string]: unknown;
}

/** The evidence and the risks of what a workload's service account may do. */
export interface ServiceAccountAnalysis {
  evidence: ServiceAccountEvidence;
  risks: AlertRisk[];
}

/**
 * The effective RBAC permissions of a workload's service account in its namespace, summarised as
 * evidence (bindings that apply, and what notable they allow), and raised as risks with stable
 * ids, each naming the bindings that grant it.
 */
export function analyseServiceAccount(
  state: RbacState,
  sa: ServiceAccountRef,
  token: TokenMount,
): ServiceAccountAnalysis {
  const grants = serviceAccountGrants(state, sa);
  const findings = findRisks(grants);
  const risks = findings.map((f) => toRisk(f, sa, token));
  const evidence: ServiceAccountEvidence = {
    name: sa.name,
    namespace: sa.namespace,
    automountToken: token.automount,
    automountFrom: token.from,
    bindings: grants.slice(0, MAX_BINDINGS_IN_EVIDENCE).map((g) => ({
      via: describeBinding(g.binding),
      scope: g.scope,
      ...(g.matchedAs.kind === 'ServiceAccount' ? {} : { as: describeSubject(g.matchedAs) }),
      rules: g.rules.length,
    })),
    notable: findings.map(
      (f) =>
        `${f.rule.capability}: ${permissionsOf(f).join(', ')} ` +
        `(${[...new Set(f.hits.map((h) => whereText(h.grant, sa.namespace)))].join(', ')})`,
    ),
  };
  if (token.projectedToken) evidence.projectedToken = true;
  if (grants.length > MAX_BINDINGS_IN_EVIDENCE) evidence.bindingsTotal = grants.length;
  return { evidence, risks };
}

/**
 * Whether the token is mounted: the pod spec's `automountServiceAccountToken` wins, then the
 * ServiceAccount's own field, then the API server's default (true).
 */
export function tokenMount(
  podAutomount: boolean | undefined,
  accountAutomount: boolean | undefined,
  projectedToken: boolean,
): TokenMount {
  if (podAutomount !== undefined) return { automount: podAutomount, from: 'pod spec', projectedToken };
  if (accountAutomount !== undefined)
    return { automount: accountAutomount, from: 'service account', projectedToken };
  return { automount: true, from: 'default', projectedToken };
}
