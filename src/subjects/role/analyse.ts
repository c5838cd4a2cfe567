import { subjectRef } from '../generic.js';
import { few } from '../ingress/analyse.js';
import type { Json, Notes } from '../read.js';
import { asRecord, asString, compact, list, rec, records, strings, unique } from '../read.js';
import type { KindAnalysis } from '../types.js';

/** Label prefix that aggregates a ClusterRole into another (e.g. `...aggregate-to-admin: "true"`). */
const AGGREGATE_TO = 'rbac.authorization.k8s.io/aggregate-to-';

const RULE_LISTS = ['apiGroups', 'resources', 'resourceNames', 'verbs', 'nonResourceURLs'] as const;

function rules(obj: Json, notes: Notes): Json[] {
  return records(list(obj, 'rules', 'rules', notes), 'rules', notes).map(([rule, p]) => {
    const out: Json = {};
    for (const key of RULE_LISTS) {
      const values = strings(list(rule, key, `${p}.${key}`, notes), `${p}.${key}`, notes);
      if (values.length > 0) out[key] = values;
    }
    return out;
  });
}

/** The role's aggregationRule: label selectors of the roles whose rules it collects. */
function aggregationRule(obj: Json, notes: Notes): Json | undefined {
  const rule = rec(obj, 'aggregationRule', 'aggregationRule', notes);
  if (!rule) return undefined;
  const path = 'aggregationRule.clusterRoleSelectors';
  const selectors = records(list(rule, 'clusterRoleSelectors', path, notes), path, notes).map(([s]) =>
    compact({
      matchLabels: asRecord(s.matchLabels),
      matchExpressions: Array.isArray(s.matchExpressions) ? s.matchExpressions : undefined,
    }),
  );
  return { clusterRoleSelectors: selectors };
}

/** Roles this one is aggregated into, from its `aggregate-to-*: "true"` labels. */
function aggregatesTo(obj: Json): string[] {
  const labels = asRecord(asRecord(obj.metadata)?.labels) ?? {};
  return Object.entries(labels)
    .filter(([k, v]) => k.startsWith(AGGREGATE_TO) && v === 'true')
    .map(([k]) => k.slice(AGGREGATE_TO.length));
}

function roleSummary(
  obj: Json,
  ruleList: Json[],
  verbs: string[],
  resources: string[],
  into: string[],
  aggregated: boolean,
): string {
  const kind = typeof obj.kind === 'string' ? obj.kind : 'ClusterRole';
  const ns = kind === 'Role' ? asString(asRecord(obj.metadata)?.namespace) : undefined;
  const parts = [
    `${kind} ${subjectRef(obj)} grants ${ruleList.length} rule${ruleList.length === 1 ? '' : 's'}${ns ? ` in namespace ${ns}` : ''}`,
  ];
  if (verbs.length > 0) parts.push(`verbs ${few(verbs)}`);
  if (resources.length > 0) parts.push(`resources ${few(resources)}`);
  if (aggregated) parts.push('collects rules by aggregation');
  if (into.length > 0) parts.push(`aggregated into ${few(into)}`);
  return parts.join('; ');
}

/** ClusterRole (and Role): rules, aggregation rule, and the roles it is aggregated into. */
export function analyseClusterRole(obj: Json, notes: Notes): KindAnalysis {
  const ruleList = rules(obj, notes);
  const aggregation = aggregationRule(obj, notes);
  const into = aggregatesTo(obj);
  const verbs = unique(ruleList.flatMap((r) => (r.verbs as string[] | undefined) ?? []));
  const resources = unique(
    ruleList.flatMap((r) => [
      ...((r.resources as string[] | undefined) ?? []),
      ...((r.nonResourceURLs as string[] | undefined) ?? []),
    ]),
  );
  const evidence = compact({
    rules: ruleList,
    verbs,
    resources,
    aggregationRule: aggregation,
    aggregatesTo: into.length > 0 ? into : undefined,
  });
  return { evidence, summary: roleSummary(obj, ruleList, verbs, resources, into, aggregation !== undefined) };
}
