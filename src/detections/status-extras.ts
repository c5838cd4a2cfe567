import { setConditions } from '../api/conditions.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { BudgetOverruns } from './budget-status.js';
import type { PendingMatches } from './counters.js';
import { exceptionFields, expiredCondition } from './exception-status.js';
import type { Condition } from './status.js';

/**
 * What a detection's status needs beyond Ready/Stalled, written with every status write and
 * flush: the EvaluationBudgetExceeded and ExceptionsExpired conditions brought up to date (from
 * `base`, the conditions about to be written) and the per-exception counters with their summary.
 * `pending` are suppressions not yet written. Returns only the fields that change (often none).
 */
export function statusExtras(
  d: AuditDetection,
  base: Condition[],
  pending: ReadonlyMap<number, PendingMatches>,
  overruns: BudgetOverruns,
  now: Date,
): Record<string, unknown> {
  const name = d.metadata?.name as string;
  const generation = d.metadata?.generation ?? 0;
  let conditions = overruns.updated(name, generation, base, now) ?? base;
  const expired = expiredCondition(d.spec.exceptions, now.getTime(), conditions);
  if (expired) conditions = setConditions(conditions, [expired], generation, now);
  const out: Record<string, unknown> = { ...exceptionFields(d, pending, now.getTime()) };
  if (JSON.stringify(conditions) !== JSON.stringify(base)) out.conditions = conditions;
  return out;
}
