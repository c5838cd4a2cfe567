import { actorFromManagedFields } from '../actor.js';
import { asRecord, asString, type Json } from '../read.js';
import { evaluate, type RuleFailure } from '../risks/types.js';
import { type PolicyRule, ROLE_RULES, type RoleView } from '../role/risks.js';

/** A subject of a binding as written (a ServiceAccount of a RoleBinding defaults to its namespace). */
export interface BindingSubject {
  kind: string;
  name: string;
  namespace?: string;
}

/** A role's rules as the RBAC index or a manifest gives them (lists may be absent). */
export interface LooseRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** What the binding rules read from a ClusterRoleBinding or RoleBinding. */
export interface BindingView {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  name: string;
  /** The RoleBinding's namespace; undefined for a ClusterRoleBinding. */
  namespace?: string;
  roleRef: { kind: string; name: string };
  subjects: BindingSubject[];
  /** The first writer's field manager; undefined without managedFields (a manifest file). */
  writer?: string;
  /**
   * The rules of the referenced role when known (RBAC index, or the roles of the same `tripline
   * analyze` input); undefined when not: then only the role's name can be judged.
   */
  roleRules?: LooseRule[];
}

/** Built-in ClusterRoles that are escalating by name, whatever the index knows. */
export const BUILTIN_POWERFUL = ['cluster-admin', 'admin', 'edit'] as const;

/**
 * ClusterRole/Role rule ids that make a role escalating when bound: full control, wildcards,
 * escalate/bind, impersonation, reading Secrets, exec, the kubelet API, tokens of other accounts.
 */
const ESCALATING_IDS = new Set([
  'clusterrole.cluster-admin-equivalent',
  'clusterrole.wildcard-verbs',
  'clusterrole.wildcard-resources',
  'clusterrole.escalate-bind',
  'clusterrole.impersonate',
  'clusterrole.secrets-read',
  'clusterrole.pods-exec-attach',
  'clusterrole.pods-ephemeral-containers',
  'clusterrole.nodes-proxy',
  'clusterrole.serviceaccount-token-create',
]);
const ESCALATING_RULES = ROLE_RULES.filter((r) => ESCALATING_IDS.has(r.id));

const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/** The rules of a role as read from a manifest: string lists only, other entries dropped. */
export function looseRules(value: unknown): LooseRule[] {
  if (!Array.isArray(value)) return [];
  return value.map((raw) => {
    const r = asRecord(raw) ?? {};
    const out: LooseRule = {};
    for (const key of RULE_KEYS) if (Array.isArray(r[key])) out[key] = strs(r[key]);
    return out;
  });
}

const RULE_KEYS = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const;

/** Reads a binding for the rules; odd shapes read as empty. */
export function readBindingView(obj: Json, roleRules?: LooseRule[]): BindingView {
  const meta = asRecord(obj.metadata);
  const kind = obj.kind === 'RoleBinding' ? 'RoleBinding' : 'ClusterRoleBinding';
  const namespace = kind === 'RoleBinding' ? asString(meta?.namespace) : undefined;
  const ref = asRecord(obj.roleRef);
  const subjects = (Array.isArray(obj.subjects) ? obj.subjects : []).flatMap((raw): BindingSubject[] => {
    const s = asRecord(raw);
    const name = asString(s?.name);
    if (!s || !name) return [];
    const ns = asString(s.namespace) || (s.kind === 'ServiceAccount' ? namespace : undefined);
    return [{ kind: asString(s.kind) ?? '', name, ...(ns ? { namespace: ns } : {}) }];
  });
  const view: BindingView = {
    kind,
    name: asString(meta?.name) ?? '',
    roleRef: { kind: asString(ref?.kind) ?? '', name: asString(ref?.name) ?? '' },
    subjects,
  };
  if (namespace) view.namespace = namespace;
  const writer = actorFromManagedFields(obj).fieldManager;
  if (writer) view.writer = writer;
  if (roleRules) view.roleRules = roleRules;
  return view;
}

/** A RoleView of what the binding grants: namespace-scoped for a RoleBinding, whatever the role. */
export function grantedRole(view: BindingView, rules: LooseRule[]): RoleView {
  return {
    clusterScoped: view.kind === 'ClusterRoleBinding',
    hasAggregationRule: false,
    rules: rules.map(
      (r, index): PolicyRule => ({
        index,
        apiGroups: strs(r.apiGroups),
        resources: strs(r.resources),
        verbs: strs(r.verbs),
        resourceNames: strs(r.resourceNames),
        nonResourceURLs: strs(r.nonResourceURLs),
      }),
    ),
  };
}

const isBuiltinPowerful = (view: BindingView): boolean =>
  view.roleRef.kind === 'ClusterRole' && (BUILTIN_POWERFUL as readonly string[]).includes(view.roleRef.name);

/** `ClusterRole cluster-admin`. */
export const roleText = (view: BindingView): string => `${view.roleRef.kind} ${view.roleRef.name}`;

/**
 * Why the referenced role is escalating: its built-in name, or (when its rules are known) the
 * escalating role rules it matches, as their titles. Empty when it is not, or cannot be told.
 */
export function escalation(view: BindingView): string[] {
  if (isBuiltinPowerful(view)) return [`${roleText(view)} (built-in)`];
  if (!view.roleRules) return [];
  const failed: RuleFailure[] = [];
  const found = evaluate(ESCALATING_RULES, grantedRole(view, view.roleRules), undefined, failed);
  // Inside a binding rule's check: a role rule that threw makes that binding rule fail, visibly.
  const first = failed[0];
  if (first) throw new Error(`role rule ${first.rule} failed`, { cause: first.cause });
  return found.map((r) => `${roleText(view)} (${r.message})`);
}

/** Whether the roleRef names a built-in escalating ClusterRole (judged without its rules). */
export const escalatingByName = isBuiltinPowerful;

/** `Group system:anonymous`, `ServiceAccount shop/default`. */
export const subjectText = (s: BindingSubject): string =>
  `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`;

/** Where the binding grants: `cluster-wide` or `in namespace shop`. */
export const scopeText = (view: BindingView): string =>
  view.kind === 'RoleBinding' ? `in namespace ${view.namespace ?? '?'}` : 'cluster-wide';
