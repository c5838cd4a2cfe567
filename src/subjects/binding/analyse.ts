import { subjectRef } from '../generic.js';
import { asRecord, asString, compact, type Json, list, type Notes, records } from '../read.js';
import type { KindAnalysis } from '../types.js';

/** Most subjects kept in evidence; the rest are counted (a binding may list thousands). */
export const MAX_EVIDENCE_SUBJECTS = 32;
/** Subjects named in the summary line. */
const SUMMARY_SUBJECTS = 3;

/** `Group system:anonymous`, `ServiceAccount shop/default`. */
const subjectLine = (s: Json): string =>
  `${asString(s.kind) ?? '?'} ${asString(s.namespace) ? `${s.namespace}/` : ''}${asString(s.name) ?? '?'}`;

/** The subjects as written (kind, name, namespace, apiGroup), unreadable entries noted. */
function subjects(obj: Json, notes: Notes): Json[] {
  return records(list(obj, 'subjects', 'subjects', notes), 'subjects', notes).map(([s]) =>
    compact({
      kind: asString(s.kind),
      name: asString(s.name),
      namespace: asString(s.namespace),
      apiGroup: asString(s.apiGroup),
    }),
  );
}

/**
 * ClusterRoleBinding and RoleBinding: the roleRef, the subjects (at most
 * {@link MAX_EVIDENCE_SUBJECTS}, with the count) and where the grant holds. What the subjects gain
 * (the role's rules) is added by the RBAC index's binding enricher.
 */
export function analyseBinding(obj: Json, notes: Notes): KindAnalysis {
  const kind = obj.kind === 'RoleBinding' ? 'RoleBinding' : 'ClusterRoleBinding';
  const ns = kind === 'RoleBinding' ? asString(asRecord(obj.metadata)?.namespace) : undefined;
  const ref = asRecord(obj.roleRef);
  if (!ref) notes.add('roleRef is missing or not an object');
  const roleRef = compact({
    kind: asString(ref?.kind),
    name: asString(ref?.name),
    apiGroup: asString(ref?.apiGroup),
  });
  const all = subjects(obj, notes);
  const scope = ns ? `in namespace ${ns}` : 'cluster-wide';
  const shown = all.slice(0, SUMMARY_SUBJECTS).map(subjectLine).join(', ');
  const more = all.length > SUMMARY_SUBJECTS ? ` and ${all.length - SUMMARY_SUBJECTS} more` : '';
  const role = `${asString(ref?.kind) ?? 'role'} ${asString(ref?.name) ?? '?'}`;
  return {
    evidence: compact({
      roleRef,
      scope,
      subjects: all.slice(0, MAX_EVIDENCE_SUBJECTS),
      subjectCount: all.length,
      subjectsOmitted: all.length > MAX_EVIDENCE_SUBJECTS ? all.length - MAX_EVIDENCE_SUBJECTS : undefined,
    }),
    summary: `${kind} ${subjectRef(obj)} grants ${role} ${scope} to ${shown || 'no subject'}${more}`,
  };
}
