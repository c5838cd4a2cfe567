import type { KubeObject } from '../api/kube-object.js';
import { type LabelSelector, matchesSelector } from '../detections/selectors.js';
import { type PolicyRule, readRulesWithin } from './rules.js';

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

function readSubjects(value: unknown, bindingNamespace: string | undefined, max: number): RbacSubject[] {
  if (!Array.isArray(value)) return [];
  const out: RbacSubject[] = [];
  for (const raw of value) {
    if (out.length >= max) break;
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

function readBinding(kind: Binding['kind'], obj: KubeObject, maxSubjects: number): Binding | undefined {
  const ref = obj.roleRef as Partial<RoleRef> | undefined;
  if (!ref || typeof ref.name !== 'string' || !ROLE_KINDS.has(ref.kind as string)) return undefined;
  const namespace = kind === 'RoleBinding' ? obj.metadata.namespace : undefined;
  const b: Binding = {
    kind,
    name: obj.metadata.name ?? '',
    roleRef: { kind: ref.kind as RoleRef['kind'], name: ref.name },
    subjects: readSubjects(obj.subjects, namespace, maxSubjects),
  };
  if (namespace) b.namespace = namespace;
  return b;
}

/** An object as the index keeps it, with what it costs and whether part of it was left out. */
type Read =
  | { kind: 'Role'; value: PolicyRule[]; entries: number; partial: boolean }
  | { kind: 'ClusterRole'; value: StoredClusterRole; entries: number; partial: boolean }
  | {
      kind: 'RoleBinding' | 'ClusterRoleBinding';
      value: Binding | undefined;
      entries: number;
      partial: boolean;
    };

/**
 * Reduces an object to what the index keeps, within `max` entries: the object is one entry (so
 * many empty Roles fill the index too), a rule one plus one per list item, a subject one, a
 * ClusterRole's labels and aggregation selectors one each. What does not fit is left out and the object marked partial.
 */
function readObject(kind: RbacKind, obj: KubeObject, max: number): Read {
  if (kind === 'Role') {
    const r = readRulesWithin(obj.rules, max - 1);
    return { kind, value: r.rules, entries: 1 + r.entries, partial: r.partial };
  }
  if (kind === 'ClusterRole') {
    const allLabels = Object.entries(obj.metadata.labels ?? {});
    const labels = allLabels.slice(0, max);
    const agg = obj.aggregationRule as { clusterRoleSelectors?: unknown } | undefined;
    const selectors = Array.isArray(agg?.clusterRoleSelectors)
      ? agg.clusterRoleSelectors.filter((s): s is LabelSelector => !!s && typeof s === 'object').slice(0, max)
      : undefined;
    const own = 1 + labels.length + (selectors?.length ?? 0);
    const r = readRulesWithin(obj.rules, Math.max(0, max - own));
    const value: StoredClusterRole = { rules: r.rules, labels: Object.fromEntries(labels) };
    if (selectors) value.selectors = selectors;
    return { kind, value, entries: own + r.entries, partial: r.partial || labels.length < allLabels.length };
  }
  const b = readBinding(kind, obj, Math.max(0, max - 1));
  const given = Array.isArray(obj.subjects) ? obj.subjects.length : 0;
  return { kind, value: b, entries: b ? 1 + b.subjects.length : 0, partial: given > max - 1 };
}

/**
 * What the index may hold (absent: unbounded, as in `kubectl tripline who-can`, which runs with
 * the user's own memory). A tenant allowed to create Roles can fill one with 14,000 rules
 * (1.3 MB of JSON, 13 MB of heap once read): the operator's heap is capped (ADR 28).
 */
export interface RbacLimits {
  /** Entries held at most (about 190 bytes of heap each); objects beyond are left out. */
  maxEntries: number;
  /** Entries one object may hold; the rest of its rules or subjects are left out. */
  maxObjectEntries: number;
}

/** Keys of left-out objects remembered at most (then only that there were more). */
const REFUSED_KEYS = 10_000;

/** The object key of the bounds' bookkeeping: `Kind namespace/name`. */
const heldKey = (kind: RbacKind, namespace: string | undefined, name: string): string =>
  `${kind} ${nsKey(namespace, name)}`;

/** How full and how whole the index is, for metrics and notes. */
export interface RbacHealth {
  entries: number;
  /** Objects left out because the index was full (at least; see {@link REFUSED_KEYS}). */
  refused: number;
  /** Objects held with part of their rules or subjects left out. */
  partial: number;
}

const ruleKey = (r: PolicyRule): string => JSON.stringify(r);

const first = (keys: Set<string>): string => keys.values().next().value ?? '';

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
  readonly #limits: RbacLimits;
  /** Entries each held object costs, by {@link heldKey}. */
  readonly #held = new Map<string, number>();
  readonly #partial = new Set<string>();
  readonly #refused = new Set<string>();
  #refusedMore = false;
  #entries = 0;

  constructor(limits: Partial<RbacLimits> = {}) {
    this.#limits = {
      maxEntries: limits.maxEntries ?? Number.POSITIVE_INFINITY,
      maxObjectEntries: limits.maxObjectEntries ?? Number.POSITIVE_INFINITY,
    };
  }

  /**
   * Stores (or replaces) an object of one of the four kinds, within the limits: an object that
   * would take the index past `maxEntries` is left out (its older version with it: a stale grant is
   * no better than a missing one) and remembered as refused, so answers can say they may be short.
   */
  put(kind: RbacKind, obj: KubeObject): void {
    const name = obj.metadata.name;
    if (!name) return;
    this.#memo.clear();
    const ns = obj.metadata.namespace;
    const key = heldKey(kind, ns, name);
    const read = readObject(kind, obj, this.#limits.maxObjectEntries);
    if (read.entries === 0) {
      // A binding without a valid roleRef grants nothing and is not kept.
      this.remove(kind, ns, name);
      return;
    }
    const before = this.#held.get(key) ?? 0;
    if (this.#entries - before + read.entries > this.#limits.maxEntries) {
      this.#drop(kind, ns, name);
      if (this.#refused.size < REFUSED_KEYS) this.#refused.add(key);
      else this.#refusedMore = true;
      return;
    }
    this.#refused.delete(key);
    this.#store(read, ns, name);
    this.#entries += read.entries - before;
    this.#held.set(key, read.entries);
    if (read.partial) this.#partial.add(key);
    else this.#partial.delete(key);
  }

  /** Forgets an object (a watch DELETED event). */
  remove(kind: RbacKind, namespace: string | undefined, name: string): void {
    this.#memo.clear();
    this.#drop(kind, namespace, name);
    this.#refused.delete(heldKey(kind, namespace, name));
  }

  /** Entries held, and the objects left out or cut by the limits. */
  health(): RbacHealth {
    return { entries: this.#entries, refused: this.#refused.size, partial: this.#partial.size };
  }

  /**
   * Why an answer from this state may miss grants (objects left out or cut by the limits), for an
   * alert's notes; undefined while every object is held whole.
   */
  gaps(): string | undefined {
    const parts: string[] = [];
    if (this.#refused.size > 0)
      parts.push(
        `${this.#refused.size}${this.#refusedMore ? '+' : ''} objects left out (the index holds ${this.#limits.maxEntries} entries at most: --rbac-index-max-entries), e.g. ${first(this.#refused)}`,
      );
    if (this.#partial.size > 0)
      parts.push(
        `${this.#partial.size} objects cut to ${this.#limits.maxObjectEntries} rules and items each, e.g. ${first(this.#partial)}`,
      );
    return parts.length
      ? `rbac index incomplete: ${parts.join('; ')}; RBAC facts may miss grants`
      : undefined;
  }

  #store(read: Read, ns: string | undefined, name: string): void {
    if (read.kind === 'Role') this.#roles.set(nsKey(ns, name), read.value);
    else if (read.kind === 'ClusterRole') {
      this.#clusterRoles.set(name, read.value);
      this.#effective.clear();
    } else if (read.kind === 'ClusterRoleBinding') {
      if (read.value) this.#clusterRoleBindings.set(name, read.value);
      else this.#clusterRoleBindings.delete(name);
    } else {
      const inNs = this.#roleBindings.get(ns ?? '') ?? new Map<string, Binding>();
      if (read.value) inNs.set(name, read.value);
      else inNs.delete(name);
      if (inNs.size > 0) this.#roleBindings.set(ns ?? '', inNs);
      else this.#roleBindings.delete(ns ?? '');
    }
  }

  #drop(kind: RbacKind, namespace: string | undefined, name: string): void {
    const key = heldKey(kind, namespace, name);
    this.#entries -= this.#held.get(key) ?? 0;
    this.#held.delete(key);
    this.#partial.delete(key);
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

  /**
   * Keys (`namespace/name`) of the stored objects of a kind, and of those left out, to drop what a
   * relist no longer returns.
   */
  keys(kind: RbacKind): string[] {
    const prefix = `${kind} `;
    const refused = [...this.#refused].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    return [...this.#storedKeys(kind), ...refused];
  }

  #storedKeys(kind: RbacKind): string[] {
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

/**
 * The note when the index's limits left objects out or cut them (`RbacState.gaps`): the facts are
 * given, as far as they go, and said to be possibly short (fail open).
 */
export function gapNotes(prefix: string, state: Pick<RbacState, 'gaps'>): string[] {
  const gaps = state.gaps();
  return gaps ? [`${prefix}: ${gaps}`] : [];
}
