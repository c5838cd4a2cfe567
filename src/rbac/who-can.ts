import { describeBinding } from './describe.js';
import { allowedVerbs } from './rules.js';
import type { Binding, RbacState, RbacSubject } from './state.js';

/** "Who may do these verbs on this resource there?" — collection level, as for a create. */
export interface WhoCanQuestion {
  verbs: readonly string[];
  /** API group, empty for the core group. */
  group: string;
  resource: string;
  /** The namespace, or absent for a cluster-scoped resource (then only ClusterRoleBindings count). */
  namespace?: string;
}

/** One subject allowed by one binding. */
export interface Grant {
  subject: RbacSubject;
  binding: Binding;
  /** The asked verbs this binding grants, in the order asked. */
  verbs: string[];
}

/** The answer: the first `limit` grants in a stable order, and how many there are in all. */
export interface WhoCanAnswer {
  grants: Grant[];
  total: number;
}

/**
 * Members of this group are superusers: the API server authorises them before RBAC is consulted,
 * so listing the binding that names them would suggest RBAC is what lets them in.
 */
export const SUPERUSER_GROUP = 'system:masters';

const KIND_RANK: Record<RbacSubject['kind'], number> = { User: 0, Group: 1, ServiceAccount: 2 };

/** Built-in identities (`system:` users and groups, kube-system service accounts). */
const isSystem = (s: RbacSubject): boolean =>
  s.name.startsWith('system:') || (s.kind === 'ServiceAccount' && s.namespace === 'kube-system');

/**
 * Sort key, most useful to a responder first: grants in the namespace before cluster-wide ones
 * (most specific); then people and teams (users, groups), whom one would ask first; then service
 * accounts; then the cluster's built-in identities (`system:` names, kube-system accounts), kept
 * because a stolen controller token is a real path, but rarely the answer; then by kind and name.
 */
function rank(g: Grant): [number, number, number, string, string, string] {
  const category = isSystem(g.subject) ? 2 : g.subject.kind === 'ServiceAccount' ? 1 : 0;
  return [
    g.binding.kind === 'RoleBinding' ? 0 : 1,
    category,
    KIND_RANK[g.subject.kind],
    g.subject.name,
    g.subject.namespace ?? '',
    describeBinding(g.binding),
  ];
}

/** Orders `[rank, grant]` pairs by rank. */
function byRank(a: ReturnType<typeof rank>, b: ReturnType<typeof rank>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** The grants of one set of bindings, sorted, without {@link SUPERUSER_GROUP}. */
function grantsOf(state: RbacState, bindings: readonly Binding[], q: WhoCanQuestion): Grant[] {
  const out: Array<[ReturnType<typeof rank>, Grant]> = [];
  for (const binding of bindings) {
    const verbs = allowedVerbs(state.rulesOf(binding), q.verbs, { group: q.group, resource: q.resource });
    if (verbs.length === 0) continue;
    const seen = new Set<string>();
    for (const subject of binding.subjects) {
      if (subject.kind === 'Group' && subject.name === SUPERUSER_GROUP) continue;
      // A binding may list a subject twice; one entry says it all.
      const key = `${subject.kind}/${subject.namespace ?? ''}/${subject.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const grant = { subject, binding, verbs };
      out.push([rank(grant), grant]);
    }
  }
  out.sort((a, b) => byRank(a[0], b[0]));
  return out.map(([, g]) => g);
}

/**
 * Every (subject, binding) pair whose role allows one of the asked verbs on the resource in the
 * namespace (or cluster-wide), ordered by {@link rank} and capped at `limit`. The cluster-wide
 * part is the same for every namespace, so it is computed once per question until RBAC changes
 * (a burst of new Pods asks the same question thousands of times).
 */
export function whoCan(state: RbacState, q: WhoCanQuestion, limit: number): WhoCanAnswer {
  const local = q.namespace ? grantsOf(state, state.roleBindings(q.namespace), q) : [];
  const key = `who-can|${q.verbs.join(',')}|${q.group}|${q.resource}`;
  const cluster = state.memo(key, () => grantsOf(state, state.clusterRoleBindings(), q));
  // Namespace grants rank before cluster-wide ones, so the two sorted parts concatenate in order.
  const grants = [...local, ...cluster];
  return { grants: grants.slice(0, Math.max(0, limit)), total: grants.length };
}
