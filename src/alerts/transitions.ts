import { condition, setConditions } from '../api/conditions.js';
import { MAX_HISTORY } from '../api/constants.js';
import type {
  AlertHistoryEntry,
  AuditAlert,
  AuditAlertStatus,
  Condition,
} from '../api/generated/audit-alert.js';
import { toRfc3339 } from '../runtime/clock.js';

/** Condition types the operator keeps on an AuditAlert. */
export const ALERT_CONDITIONS = {
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  subjectPresent: 'SubjectPresent',
  remediated: 'Remediated',
} as const;

/**
 * Operator-owned status fields to write, or undefined when nothing changes. `resolvedAt: null`
 * removes the field (a merge patch).
 */
export type StatusPatch = Pick<AuditAlertStatus, 'history' | 'conditions' | 'observedGeneration'> & {
  resolvedAt?: string | null;
};

/**
 * Brings history and conditions in line with the triage fields people wrote: appends one history
 * entry when the state differs from the last recorded one, derives Acknowledged/Resolved, keeps
 * the other conditions, stamps observedGeneration, and stamps `resolvedAt` (the operator's clock)
 * when it first sees the alert Resolved, removing it on reopen. Pure; `extra` overrides conditions
 * by type (SubjectPresent, Remediated).
 */
export function reconcileStatus(
  alert: AuditAlert,
  now: Date,
  extra: Condition[] = [],
): StatusPatch | undefined {
  const st = alert.status ?? {};
  const state = st.state ?? 'Open';
  const generation = alert.metadata?.generation ?? 1;
  const history = [...(st.history ?? [])];
  // A new alert nobody touched needs no write: it reads as Open by the schema default. Skipping
  // it keeps a burst of new alerts from costing a second write each.
  if (!touched(alert) && extra.length === 0) return undefined;
  const last = history.at(-1)?.to ?? 'Open';
  if (state !== last) history.push(entry(last, state, st, now));
  while (history.length > MAX_HISTORY) history.shift();
  const wanted = [
    condition(ALERT_CONDITIONS.acknowledged, state === 'Acknowledged', 'Acknowledged', st.assignee ?? ''),
    condition(ALERT_CONDITIONS.resolved, state === 'Resolved', st.reason ?? 'Open', st.note ?? ''),
    ...extra,
  ];
  const conditions = setConditions(st.conditions ?? [], wanted, generation, now);
  const next: StatusPatch = { history, conditions, observedGeneration: generation };
  const resolvedAt = resolvedAtChange(state, st.resolvedAt, now);
  if (resolvedAt !== undefined) next.resolvedAt = resolvedAt;
  const same =
    resolvedAt === undefined &&
    history.length === (st.history ?? []).length &&
    st.observedGeneration === generation &&
    JSON.stringify(conditions) === JSON.stringify(st.conditions ?? []);
  return same ? undefined : next;
}

/** True once people or the operator wrote anything to the alert's status beyond the default. */
export function touched(alert: AuditAlert): boolean {
  const st = alert.status ?? {};
  return (
    (st.state ?? 'Open') !== 'Open' ||
    (st.history ?? []).length > 0 ||
    (st.conditions ?? []).length > 0 ||
    st.remediation !== undefined ||
    st.assignee !== undefined ||
    st.note !== undefined ||
    st.resolvedAt !== undefined
  );
}

function entry(from: string, to: string, st: AuditAlertStatus, now: Date): AlertHistoryEntry {
  const e: AlertHistoryEntry = { time: toRfc3339(now), from, to } as AlertHistoryEntry;
  if (to === 'Resolved' && st.reason) e.reason = st.reason;
  if (st.note) e.note = st.note;
  return e;
}

/**
 * What `resolvedAt` becomes: now when the alert is Resolved and has none, null (removed) when it
 * is no longer Resolved, undefined when it stays as it is. It is the operator's own clock, never a
 * time from the patch people wrote (their history entries or notes): retention keys on it.
 */
function resolvedAtChange(state: string, current: string | undefined, now: Date): string | null | undefined {
  if (state === 'Resolved') return current ? undefined : toRfc3339(now);
  return current ? null : undefined;
}

/**
 * When a Resolved alert was resolved, as the operator observed it (`status.resolvedAt`, written
 * only by the operator: manifests/policies). Undefined until the operator has stamped it, so a
 * resolved alert never expires on a time someone else wrote.
 */
export function resolvedAt(alert: AuditAlert): Date | undefined {
  if (alert.status?.state !== 'Resolved' || !alert.status.resolvedAt) return undefined;
  const at = new Date(alert.status.resolvedAt);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
