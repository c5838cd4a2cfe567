import { condition } from '../api/conditions.js';
import type { AuditDetection, AuditDetectionStatus } from '../api/generated/audit-detection.js';
import { toRfc3339 } from '../runtime/clock.js';
import type { PendingMatches } from './counters.js';
import { type ExceptionSpec, isExpired } from './exceptions.js';
import type { Condition } from './status.js';

/** Condition type set on a detection while some of its exceptions have expired. */
export const EXPIRED_CONDITION = 'ExceptionsExpired';

/** Expired exceptions named in the condition's message at most; the rest are counted. */
const MAX_NAMED = 10;

/** One entry of `status.exceptions`. */
export type ExceptionStatus = NonNullable<AuditDetectionStatus['exceptions']>[number];

/** How an exception is named in messages: `spec.exceptions[2] "ci-bot"`. */
const label = (e: ExceptionSpec, i: number): string => `spec.exceptions[${i}]${e.name ? ` "${e.name}"` : ''}`;

/**
 * The counters written last for this entry: found by name when the entry has one (so reordering
 * named exceptions keeps their counts), else by index among the unnamed ones.
 */
function priorOf(prev: readonly ExceptionStatus[], e: ExceptionSpec, i: number): ExceptionStatus | undefined {
  return e.name ? prev.find((p) => p.name === e.name) : prev.find((p) => p.index === i && !p.name);
}

/**
 * `status.exceptions`: one entry per `spec.exceptions` entry with its match count (the persisted
 * count plus what was counted since), when it last matched, and whether it has expired at `nowMs`.
 */
export function exceptionStatuses(
  spec: readonly ExceptionSpec[] | undefined,
  prev: readonly ExceptionStatus[] | undefined,
  pending: ReadonlyMap<number, PendingMatches>,
  nowMs: number,
): ExceptionStatus[] {
  return (spec ?? []).map((e, i) => {
    const prior = priorOf(prev ?? [], e, i);
    const p = pending.get(i);
    const lastMatched = p && p.lastMs > 0 ? toRfc3339(p.lastMs) : prior?.lastMatched;
    return {
      index: i,
      ...(e.name ? { name: e.name } : {}),
      ...(e.owner ? { owner: e.owner } : {}),
      ...(e.expires ? { expires: e.expires } : {}),
      matches: (prior?.matches ?? 0) + (p?.matches ?? 0),
      ...(lastMatched ? { lastMatched } : {}),
      expired: isExpired(e, nowMs),
    };
  });
}

/** `status.exceptionSummary` for `kubectl get -o wide`: "3 (1 expired, 1 unused)"; undefined for none. */
export function exceptionSummary(list: readonly ExceptionStatus[]): string | undefined {
  if (list.length === 0) return undefined;
  const expired = list.filter((x) => x.expired).length;
  const unused = list.filter((x) => !x.expired && x.matches === 0).length;
  const parts = [...(expired ? [`${expired} expired`] : []), ...(unused ? [`${unused} unused`] : [])];
  return `${list.length}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/**
 * The ExceptionsExpired condition: True naming the expired exceptions (index, name, owner, when),
 * False once none is expired. Undefined when the detection should carry none: no exception has
 * an `expires` and it never carried the condition.
 */
export function expiredCondition(
  spec: readonly ExceptionSpec[] | undefined,
  nowMs: number,
  current: readonly Condition[],
): Condition | undefined {
  const list = spec ?? [];
  const expired = list.flatMap((e, i) => (isExpired(e, nowMs) ? [{ e, i }] : []));
  if (expired.length > 0) {
    const named = expired.slice(0, MAX_NAMED).map(({ e, i }) => {
      const owner = e.owner ? `owner ${e.owner}, ` : '';
      return `${label(e, i)} (${owner}expired ${e.expires})`;
    });
    const more = expired.length > MAX_NAMED ? `; and ${expired.length - MAX_NAMED} more` : '';
    const message = `Expired, no longer suppressing: ${named.join('; ')}${more}`;
    return condition(EXPIRED_CONDITION, true, 'Expired', message);
  }
  const relevant = list.some((e) => e.expires) || current.some((c) => c.type === EXPIRED_CONDITION);
  return relevant
    ? condition(EXPIRED_CONDITION, false, 'NoneExpired', 'No exception has expired')
    : undefined;
}

/** The exception fields of a status patch (null clears them when the spec has no exceptions). */
export interface ExceptionFields {
  exceptions: ExceptionStatus[] | null;
  exceptionSummary: string | null;
}

/** The exception fields `d`'s status should have now, or undefined when they are already so. */
export function exceptionFields(
  d: AuditDetection,
  pending: ReadonlyMap<number, PendingMatches>,
  nowMs: number,
): ExceptionFields | undefined {
  const list = exceptionStatuses(d.spec.exceptions, d.status?.exceptions, pending, nowMs);
  const summary = exceptionSummary(list) ?? null;
  const cur = d.status?.exceptions ?? [];
  if (JSON.stringify(cur) === JSON.stringify(list) && (d.status?.exceptionSummary ?? null) === summary)
    return undefined;
  return { exceptions: list.length > 0 ? list : null, exceptionSummary: summary };
}
