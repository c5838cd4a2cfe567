import type { Enricher, Enrichment } from '../alerts/enrich.js';
import { BINDING_RULES } from '../subjects/binding/risks.js';
import { readBindingView } from '../subjects/binding/view.js';
import { asRecord, asString, type Json, truncateUtf8 } from '../subjects/read.js';
import { evaluate, type RuleFailure, ruleFailureNote } from '../subjects/risks/types.js';
import type { RbacView } from './rbac-index.js';
import type { PolicyRule } from './rules.js';
import { gapNotes } from './state.js';

/** Rules of the role listed in `evidence.gainedPermissions`; the rest are counted. */
export const MAX_GAINED_RULES = 32;
/** Entries kept per list of a rule (verbs, resources, ...), and bytes per entry. */
const MAX_LIST = 16;
const MAX_ENTRY_BYTES = 256;
/** Bytes of listed rules (as JSON) in one alert; rules past it are counted, not listed. */
export const MAX_GAINED_BYTES = 16 * 1024;

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const BINDING_RESOURCES = new Set(['clusterrolebindings', 'rolebindings']);

/** What the binding enricher needs. */
export interface BindingEnricherDeps {
  index: RbacView;
  /** How long after the index's start an alert waits for its first sync. */
  syncWaitMs: number;
  /** The note when the index has not synced. */
  notSyncedNote: string;
}

const bounded = (list: string[] | undefined): string[] | undefined =>
  list === undefined
    ? undefined
    : [
        ...list.slice(0, MAX_LIST).map((s) => truncateUtf8(s, MAX_ENTRY_BYTES)),
        ...(list.length > MAX_LIST ? [`+${list.length - MAX_LIST} more`] : []),
      ];

/** One rule as evidence, every list bounded. */
function ruleEvidence(r: PolicyRule): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const key of ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const) {
    const list = bounded(r[key]);
    if (list?.length) out[key] = list;
  }
  return out;
}

/** The first rules as evidence, within {@link MAX_GAINED_RULES} and {@link MAX_GAINED_BYTES}. */
function listed(rules: PolicyRule[]): { rules: Record<string, string[]>[]; rulesOmitted?: number } {
  const out: Record<string, string[]>[] = [];
  let bytes = 0;
  for (const r of rules.slice(0, MAX_GAINED_RULES)) {
    const e = ruleEvidence(r);
    bytes += Buffer.byteLength(JSON.stringify(e));
    if (bytes > MAX_GAINED_BYTES) break;
    out.push(e);
  }
  return out.length < rules.length ? { rules: out, rulesOmitted: rules.length - out.length } : { rules: out };
}

/** The role's rules as the RBAC index holds them (aggregation resolved), or undefined if it does not exist. */
function roleRulesOf(index: RbacView, obj: Json): PolicyRule[] | undefined {
  const ref = asRecord(obj.roleRef);
  const name = asString(ref?.name) ?? '';
  if (ref?.kind === 'ClusterRole') return index.state.clusterRoleRules(name);
  const ns = asString(asRecord(obj.metadata)?.namespace);
  return ref?.kind === 'Role' && ns ? index.state.roleRules(ns, name) : undefined;
}

/**
 * What a new binding hands out, from the RBAC index: `evidence.gainedPermissions` (the referenced
 * role's effective rules, at most {@link MAX_GAINED_RULES} and {@link MAX_GAINED_BYTES}, and where
 * they hold) and the binding
 * risks that need the role's rules to be seen (a custom role that reads Secrets bound to
 * system:anonymous), leaving out ids the subject analysis already raised by the role's name.
 */
export function bindingEnricher(deps: BindingEnricherDeps): Enricher {
  return {
    name: 'binding',
    async enrich(input): Promise<Enrichment | undefined> {
      const { group, resource } = input.resource;
      if (group !== RBAC_GROUP || !BINDING_RESOURCES.has(resource)) return undefined;
      if (input.alert.spec.event === 'Deleted') return undefined;
      if (!(await deps.index.whenSynced(deps.syncWaitMs)))
        return { notes: [`binding: ${deps.notSyncedNote}`] };
      const obj = input.subject as unknown as Json;
      const view = readBindingView(obj);
      const role = truncateUtf8(`${view.roleRef.kind} ${view.roleRef.name}`, MAX_ENTRY_BYTES);
      const scope = view.kind === 'RoleBinding' ? `in namespace ${view.namespace ?? '?'}` : 'cluster-wide';
      const rules = roleRulesOf(deps.index, obj);
      if (!rules)
        return {
          evidence: { gainedPermissions: { role, scope, roleExists: false, ruleCount: 0, rules: [] } },
          notes: [`binding: ${role} does not exist (yet); the binding grants nothing until it does`],
        };
      const raised = new Set((input.alert.spec.risks ?? []).map((r) => r.id));
      const failed: RuleFailure[] = [];
      const risks = evaluate(BINDING_RULES, { ...view, roleRules: rules }, undefined, failed).filter(
        (r) => !raised.has(r.id),
      );
      return {
        evidence: {
          gainedPermissions: {
            role,
            scope,
            roleExists: true,
            ruleCount: rules.length,
            ...listed(rules),
          },
        },
        risks,
        notes: [...failed.map(ruleFailureNote), ...gapNotes('binding', deps.index.state)],
        ruleFailures: failed,
      };
    },
  };
}
