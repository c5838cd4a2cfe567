/**
 * RBAC rule matching with the API server's semantics (k8s.io/component-helpers/auth/rbac
 * `RuleAllows`): `*` in apiGroups, resources and verbs; `resource/subresource`, and a star before
 * `/subresource` for that subresource of every resource; resourceNames restricting a rule to named
 * objects; nonResourceURLs never granting resources.
 */

/** One PolicyRule, as kept by the index (only what matching needs). */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** A resource request to authorise, like the API server's authorizer attributes. */
export interface ResourceRequest {
  verb: string;
  /** API group, empty for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  /**
   * The object's name. Absent for collection requests (create, list, watch of the collection):
   * then a rule with resourceNames does not match, as the API server decides, because names
   * cannot restrict create.
   */
  name?: string;
}

const ALL = '*';

const verbMatches = (rule: PolicyRule, verb: string): boolean =>
  rule.verbs.some((v) => v === ALL || v === verb);

const groupMatches = (rule: PolicyRule, group: string): boolean =>
  (rule.apiGroups ?? []).some((g) => g === ALL || g === group);

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

const nameMatches = (rule: PolicyRule, name: string | undefined): boolean =>
  !rule.resourceNames?.length || (name !== undefined && rule.resourceNames.includes(name));

/** Whether `rule` allows the resource request. */
export function ruleAllows(rule: PolicyRule, req: ResourceRequest): boolean {
  return (
    verbMatches(rule, req.verb) &&
    groupMatches(rule, req.group) &&
    resourceMatches(rule, req.resource, req.subresource) &&
    nameMatches(rule, req.name)
  );
}

/** Whether any of `rules` allows the request. */
export const rulesAllow = (rules: readonly PolicyRule[], req: ResourceRequest): boolean =>
  rules.some((r) => ruleAllows(r, req));

/**
 * The subset of `verbs` some rule allows on the resource (collection level, no name); keeps
 * the order of `verbs`.
 */
export function allowedVerbs(
  rules: readonly PolicyRule[],
  verbs: readonly string[],
  target: Omit<ResourceRequest, 'verb'>,
): string[] {
  return verbs.filter((verb) => rulesAllow(rules, { ...target, verb }));
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;

/** Rules read within an entry budget (see {@link ruleEntries}). */
export interface ReadRules {
  rules: PolicyRule[];
  /** Entries the rules kept hold. */
  entries: number;
  /** True when rules were left out to stay within the budget. */
  partial: boolean;
}

/** What a rule costs the index: one entry for the rule and one per item of each of its lists. */
export const ruleEntries = (r: PolicyRule): number =>
  1 +
  r.verbs.length +
  (r.apiGroups?.length ?? 0) +
  (r.resources?.length ?? 0) +
  (r.resourceNames?.length ?? 0) +
  (r.nonResourceURLs?.length ?? 0);

/**
 * A lean copy of the rules of a Role or ClusterRole as read from the API (unknown shape, so
 * malformed entries are dropped rather than trusted); rules without verbs are left out. Rules are
 * kept in order while they fit in `maxEntries`; the first that does not ends the copy.
 */
export function readRulesWithin(value: unknown, maxEntries: number): ReadRules {
  const out: ReadRules = { rules: [], entries: 0, partial: false };
  if (!Array.isArray(value)) return out;
  for (const raw of value) {
    if (typeof raw !== 'object' || raw === null) continue;
    const r = raw as Record<string, unknown>;
    const verbs = strings(r.verbs);
    if (!verbs?.length) continue;
    const rule: PolicyRule = { verbs };
    for (const key of ['apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const) {
      const list = strings(r[key]);
      if (list?.length) rule[key] = list;
    }
    const cost = ruleEntries(rule);
    if (out.entries + cost > maxEntries) {
      out.partial = true;
      break;
    }
    out.rules.push(rule);
    out.entries += cost;
  }
  return out;
}

/** {@link readRulesWithin} without a budget. */
export const readRules = (value: unknown): PolicyRule[] =>
  readRulesWithin(value, Number.POSITIVE_INFINITY).rules;
