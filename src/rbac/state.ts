import type { KubeObject } from '../api/kube-object.js';
import { type LabelSelector, matchesSelector } from '../detections/selectors.js';
import { type PolicyRule, readRules } from './rules.js';

/** The four RBAC kinds the index keeps. */
export type RbacKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

/** A binding's roleRef. A Role is always looked up in the binding's own namespace. */
export interface RoleRef {
  kind: 'Role' | 'ClusterRole';
  name: string;
}

/** A binding subject. ServiceAccount subjects always carry their namespace (defaulted on read). */
export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

/** A RoleBinding (with `namespace`) or a ClusterRoleBinding, reduced to what grants permissions. */
export interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace?: string;
  roleRef: RoleRef;
  subjects: RbacSubject[];
}

/** A ClusterRole reduced to its rules, labels (aggregation targets) and aggregation selectors. */
interface StoredClusterRole {
  rules: PolicyRule[];
  labels: Record<string, string>;
  selectors?: LabelSelector[];
}

/** Objects held per kind. */
export type RbacCounts = Record<RbacKind, number>;

const SUBJECT_KINDS = new Set(['User', 'Group', 'ServiceAccount']);
const ROLE_KINDS = new Set(['Role', 'ClusterRole']);

const nsKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

function readSubjects(value: unknown, bindingNamespace: string | undefined): RbacSubject[] {
  if (!Array.isArray(value)) return [];
  const out: RbacSubject[] = [];
  for (const raw of value) {
    const s = raw as Partial<RbacSubject> | null;
    if (!s || typeof s.name !== 'string' || !SUBJECT_KINDS.has(s.kind as string)) continue;
    const subject: RbacSubject = { kind: s.kind as RbacSubject['kind'], name: s.name };
    // The authorizer defaults a RoleBinding's ServiceAccount subject to the binding's namespace.
    const ns = typeof s.namespace === 'string' && s.namespace ? s.namespace : bindingNamespace;
    if (subject.kind === 'ServiceAccount' && ns) subject.namespace = ns;
    out.push(subject);
  }
  return out;
}

function readBinding(kind: Binding['kind'], obj: KubeObject): Binding | undefined {
  const ref = obj.roleRef as Partial<RoleRef> | undefined;
  if (!ref || typeof ref.name !== 'string' || !ROLE_KINDS.has(ref.kind as string)) return undefined;
  const namespace = kind === 'RoleBinding' ? obj.metadata.namespace : undefined;
  const b: Binding = {
    kind,
    name: obj.metadata.name ?? '',
    roleRef: { kind: ref.kind as RoleRef['kind'], name: ref.name },
    subjects: readSubjects(obj.subjects, namespace),
  };
  if (namespace) b.namespace = namespace;
  return b;
}

function readClusterRole(obj: KubeObject): StoredClusterRole {
  const stored: StoredClusterRole = { rules: readRules(obj.rules), labels: { ...obj.metadata.labels } };
  const agg = obj.aggregationRule as { clusterRoleSelectors?: unknown } | undefined;
  if (Array.isArray(agg?.clusterRoleSelectors))
    stored.selectors = agg.clusterRoleSelectors.filter(
      (s): s is LabelSelector => !!s && typeof s === 'object',
    );
  return stored;
}

const ruleKey = (r: PolicyRule): string => JSON.stringify(r);

/** Bound of the memo; distinct questions are few (resources × events), so it is rarely reached. */
const MEMO_ENTRIES = 256;

/**
 * The RBAC objects of a cluster, reduced to rules, subjects and roleRefs (never whole objects),
 * with ClusterRole aggregation resolved here as well as by the API server's controller: an
 * aggregated ClusterRole's rules are its own (what the controller wrote) plus those of every
 * ClusterRole its selectors match, transitively. Pure: fed by the index's watches or by tests.
 */
export class RbacState {
  readonly #roles = new Map<string, PolicyRule[]>();
  readonly #clusterRoles = new Map<string, StoredClusterRole>();
  readonly #roleBindings = new Map<string, Map<string, Binding>>();
  readonly #clusterRoleBindings = new Map<string, Binding>();
  /** Effective ClusterRole rules; cleared on every ClusterRole change (aggregation crosses roles). */
  readonly #effective = new Map<string, PolicyRule[]>();
  /** Answers derived from the whole state (see {@link memo}); cleared on every change. */
  readonly #memo = new Map<string, unknown>();

  /** Stores (or replaces) an object of one of the four kinds. */
  put(kind: RbacKind, obj: KubeObject): void {
    const name = obj.metadata.name;
    if (!name) return;
    this.#memo.clear();
    const ns = obj.metadata.namespace;
    if (kind === 'Role') this.#roles.set(nsKey(ns, name), readRules(obj.rules));
    else if (kind === 'ClusterRole') {
      this.#clusterRoles.set(name, readClusterRole(obj));
      this.#effective.clear();
    } else if (kind === 'ClusterRoleBinding') {
      const b = readBinding(kind, obj);
      if (b) this.#clusterRoleBindings.set(name, b);
      else this.#clusterRoleBindings.delete(name);
    } else {
      const b = readBinding(kind, obj);
      const inNs = this.#roleBindings.get(ns ?? '') ?? new Map<string, Binding>();
      if (b) inNs.set(name, b);
      else inNs.delete(name);
      if (inNs.size > 0) this.#roleBindings.set(ns ?? '', inNs);
      else this.#roleBindings.delete(ns ?? '');
    }
  }

  /** Forgets an object (a watch DELETED event). */
  remove(kind: RbacKind, namespace: string | undefined, name: string): void {
    this.#memo.clear();
    if (kind === 'Role') this.#roles.delete(nsKey(namespace, name));
    else if (kind === 'ClusterRole') {
      this.#clusterRoles.delete(name);
      this.#effective.clear();
    } else if (kind === 'ClusterRoleBinding') this.#clusterRoleBindings.delete(name);
    else {
      const inNs = this.#roleBindings.get(namespace ?? '');
      inNs?.delete(name);
      if (inNs?.size === 0) this.#roleBindings.delete(namespace ?? '');
    }
  }

  /**
   * `compute()`, remembered under `key` until the next change of any RBAC object. For answers
   * many alerts share (the cluster-wide who-can of one resource); at most {@link MEMO_ENTRIES}.
   */
  memo<T>(key: string, compute: () => T): T {
    if (this.#memo.has(key)) return this.#memo.get(key) as T;
    const value = compute();
    if (this.#memo.size >= MEMO_ENTRIES) this.#memo.clear();
    this.#memo.set(key, value);
    return value;
  }

  /** Keys (`namespace/name`) of the stored objects of a kind, to drop what a relist no longer returns. */
  keys(kind: RbacKind): string[] {
    if (kind === 'Role') return [...this.#roles.keys()];
    if (kind === 'ClusterRole') return [...this.#clusterRoles.keys()].map((n) => nsKey(undefined, n));
    if (kind === 'ClusterRoleBinding')
      return [...this.#clusterRoleBindings.keys()].map((n) => nsKey(undefined, n));
    return [...this.#roleBindings].flatMap(([ns, m]) => [...m.keys()].map((n) => nsKey(ns, n)));
  }

  /** How many objects of each kind are held (for metrics). */
  counts(): RbacCounts {
    let roleBindings = 0;
    for (const m of this.#roleBindings.values()) roleBindings += m.size;
    return {
      Role: this.#roles.size,
      ClusterRole: this.#clusterRoles.size,
      RoleBinding: roleBindings,
      ClusterRoleBinding: this.#clusterRoleBindings.size,
    };
  }

  /** RoleBindings of one namespace. */
  roleBindings(namespace: string): Binding[] {
    return [...(this.#roleBindings.get(namespace)?.values() ?? [])];
  }

  /** Every ClusterRoleBinding. */
  clusterRoleBindings(): Binding[] {
    return [...this.#clusterRoleBindings.values()];
  }

  /** The rules a binding grants (a missing role grants nothing, as in the API server). */
  rulesOf(binding: Binding): PolicyRule[] {
    if (binding.roleRef.kind === 'ClusterRole') return this.clusterRoleRules(binding.roleRef.name) ?? [];
    return this.#roles.get(nsKey(binding.namespace, binding.roleRef.name)) ?? [];
  }

  /** A Role's rules; undefined when it does not exist. */
  roleRules(namespace: string, name: string): PolicyRule[] | undefined {
    return this.#roles.get(nsKey(namespace, name));
  }

  /** A ClusterRole's effective rules, aggregation included; undefined when it does not exist. */
  clusterRoleRules(name: string): PolicyRule[] | undefined {
    const cached = this.#effective.get(name);
    if (cached) return cached;
    if (!this.#clusterRoles.has(name)) return undefined;
    const seen = new Set<string>();
    const rules = new Map<string, PolicyRule>();
    this.#collect(name, seen, rules);
    const out = [...rules.values()];
    this.#effective.set(name, out);
    return out;
  }

  /**
   * Adds the rules of `name` and of every ClusterRole its selectors match, visiting each role once
   * (aggregation may form cycles; the controller skips the role itself).
   */
  #collect(name: string, seen: Set<string>, into: Map<string, PolicyRule>): void {
    const role = this.#clusterRoles.get(name);
    if (!role || seen.has(name)) return;
    seen.add(name);
    for (const r of role.rules) into.set(ruleKey(r), r);
    if (!role.selectors?.length) return;
    for (const [other, o] of this.#clusterRoles) {
      if (other === name || seen.has(other)) continue;
      if (role.selectors.some((sel) => matchesSelector(sel, o.labels))) this.#collect(other, seen, into);
    }
  }
}
