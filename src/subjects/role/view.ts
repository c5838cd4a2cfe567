/**
 * How the RBAC rules read a ClusterRole or Role and match its rules the way the API server's
 * authorizer does (`*` in verbs, resources and apiGroups, `*` + `/subresource`).
 */
import { type Json, list, Notes, records, strings } from '../read.js';

/** One entry of `rules`, every list read as strings (absent = empty). */
export interface PolicyRule {
  /** Position in `rules`, for messages (`rules[2]`). */
  index: number;
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** What the RBAC rules read from a ClusterRole or Role. */
export interface RoleView {
  /** A Role cannot grant cluster-scoped resources; rules about those skip it. */
  clusterScoped: boolean;
  rules: PolicyRule[];
  hasAggregationRule: boolean;
}

/** The wildcard of verbs, resources and apiGroups. */
export const WILDCARD = '*';
/** The verbs that read objects. */
export const READ = ['get', 'list', 'watch'] as const;
/** The verbs that change or remove objects. */
export const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;
const LIST_KEYS = ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs'] as const;

/** Reads a ClusterRole or Role for the rules below; odd shapes read as empty lists. */
export function readRole(obj: Json): RoleView {
  const notes = new Notes();
  const rules = records(list(obj, 'rules', 'rules', notes), 'rules', notes).map(([r, p], index) => {
    const out = { index } as PolicyRule;
    for (const key of LIST_KEYS) out[key] = strings(list(r, key, `${p}.${key}`, notes), `${p}.${key}`, notes);
    return out;
  });
  return {
    clusterScoped: obj.kind !== 'Role',
    rules,
    hasAggregationRule:
      obj.kind !== 'Role' && obj.aggregationRule !== undefined && obj.aggregationRule !== null,
  };
}

/** Whether the rule covers `resource` (`pods` or `pods/exec`), as the RBAC authorizer matches it. */
function coversResource(rule: PolicyRule, resource: string): boolean {
  const slash = resource.indexOf('/');
  const sub = slash < 0 ? undefined : resource.slice(slash + 1);
  return rule.resources.some(
    (r) => r === WILDCARD || r === resource || (sub !== undefined && r === `*/${sub}`),
  );
}

/** The verbs of `wanted` the rule grants on `group`/`resource` (`*` when it grants every verb). */
export function grantedVerbs(
  rule: PolicyRule,
  group: string,
  resource: string,
  wanted: readonly string[],
): string[] {
  if (!rule.apiGroups.includes(WILDCARD) && !rule.apiGroups.includes(group)) return [];
  if (!coversResource(rule, resource)) return [];
  if (rule.verbs.includes(WILDCARD)) return [WILDCARD];
  return wanted.filter((v) => rule.verbs.includes(v));
}

/** A permission a rule looks for: verbs on resources of one API group. */
export interface Permission {
  group: string;
  resources: readonly string[];
  verbs: readonly string[];
  /** Only for ClusterRoles: the resource is cluster-scoped, so a Role cannot grant it. */
  clusterOnly?: boolean;
  /** Skip rules restricted by `resourceNames` (they grant a few named objects only). */
  anyName?: boolean;
  /** Whether a rule's `resourceNames` still make it dangerous (default: any names do). */
  names?: (resourceNames: string[]) => boolean;
}

/** Lists every rule that grants `p`, as `rules[i]: verbs on resource`. */
export function granting(p: Permission): (role: RoleView) => string[] {
  return (role) => {
    if (p.clusterOnly && !role.clusterScoped) return [];
    const out: string[] = [];
    for (const rule of role.rules) {
      if (p.anyName && rule.resourceNames.length > 0) continue;
      if (p.names && rule.resourceNames.length > 0 && !p.names(rule.resourceNames)) continue;
      for (const resource of p.resources) {
        const verbs = grantedVerbs(rule, p.group, resource, p.verbs);
        if (verbs.length === 0) continue;
        const names =
          rule.resourceNames.length > 0 ? ` (resourceNames ${rule.resourceNames.join(', ')})` : '';
        out.push(`rules[${rule.index}]: ${verbs.join(', ')} on ${resource}${names}`);
      }
    }
    return out;
  };
}
