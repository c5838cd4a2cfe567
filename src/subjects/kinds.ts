import { BINDING } from './binding/index.js';
import { CONFIGMAP } from './configmap/index.js';
import { INGRESS } from './ingress/index.js';
import type { SubjectKind } from './kind.js';
import { NAMESPACE } from './namespace/index.js';
import { ROLE } from './role/index.js';
import { SECRET } from './secret/index.js';
import { WORKLOAD } from './workload/index.js';

/**
 * Every kind Tripline knows in depth, one row per folder under `src/subjects/`. The subject
 * analysers, the risk analysers, the rule tables (docs, SARIF) and `tripline analyze` all read
 * this table; adding a kind is one folder and one row (docs/detections.md shows a worked example).
 */
export const SUBJECT_KINDS: readonly SubjectKind[] = [
  INGRESS,
  WORKLOAD,
  ROLE,
  BINDING,
  NAMESPACE,
  SECRET,
  CONFIGMAP,
];

/** The rows by `group/Kind`; a key in two rows is a wiring mistake and fails at load. */
export function byGroupKind<T>(
  pick: (k: SubjectKind) => T | undefined,
  rows: readonly SubjectKind[] = SUBJECT_KINDS,
): ReadonlyMap<string, T> {
  const out = new Map<string, T>();
  for (const row of rows) {
    const value = pick(row);
    if (value === undefined) continue;
    for (const key of row.kinds) {
      if (out.has(key)) throw new Error(`subject kind ${key} is wired twice (row ${row.id})`);
      out.set(key, value);
    }
  }
  return out;
}
