import type { Condition } from './generated/audit-alert.js';
import { toRfc3339 } from './time.js';

/** A condition without times (filled in by {@link setConditions}). */
export function condition(type: string, on: boolean, reason: string, message: string): Condition {
  return { type, status: on ? 'True' : 'False', reason: reason || 'None', message } as Condition;
}

/**
 * Sets conditions by type in the metav1.Condition convention both kinds follow: other types are
 * kept, `observedGeneration` is stamped, and `lastTransitionTime` only moves when the status
 * changes. An unchanged condition of the same generation is returned as it was. Sorted by type.
 */
export function setConditions(
  cur: Condition[],
  wanted: Condition[],
  generation: number,
  now: Date,
): Condition[] {
  const out = cur.filter((c) => !wanted.some((w) => w.type === c.type));
  for (const w of wanted) {
    const old = cur.find((c) => c.type === w.type);
    const unchanged = old?.status === w.status && old.reason === w.reason && old.message === w.message;
    if (unchanged && old.observedGeneration === generation) {
      out.push(old);
      continue;
    }
    const lastTransitionTime = old?.status === w.status ? old.lastTransitionTime : toRfc3339(now);
    out.push({ ...w, observedGeneration: generation, lastTransitionTime });
  }
  return out.sort((a, b) => a.type.localeCompare(b.type));
}
