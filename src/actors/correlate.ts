import type { AlertActor } from '../api/generated/audit-alert.js';
import type { AdmissionRecord, AuditRecord, Coordinates, Operation } from './records.js';
import type { AttributionStore } from './store.js';

/** `actor.source` values this module contributes (managedFields comes from the subject itself). */
export const ACTOR_SOURCES = { admission: 'admission', audit: 'audit' } as const;
/** One of {@link ACTOR_SOURCES}. */
export type ActorSource = (typeof ACTOR_SOURCES)[keyof typeof ACTOR_SOURCES];

/** The request an alert is about: the subject's coordinates and the event that raised it. */
export interface AttributionQuery {
  event: string;
  coordinates: Coordinates;
  name: string;
  uid: string;
  /** metadata.generation of the subject as the alert saw it. */
  generation?: number;
  /** creationTimestamp of the subject (API server clock, one-second resolution), ms. */
  createdAt?: number;
  /** When the alert was built (operator clock), ms. */
  detectedAt: number;
}

/** What the stores say about the request: actor facts and the sources they came from. */
export interface Attribution {
  actor: Partial<AlertActor>;
  sources: ActorSource[];
}

const OPERATION: Readonly<Record<string, Operation>> = {
  Created: 'CREATE',
  Updated: 'UPDATE',
  Deleted: 'DELETE',
};
const AUDIT_VERBS: Readonly<Record<Operation, readonly string[]>> = {
  CREATE: ['create'],
  UPDATE: ['update', 'patch'],
  DELETE: ['delete'],
};
/** Tolerance between clocks (API server vs operator) and for creationTimestamp's whole seconds. */
const SKEW_MS = 1000;
/** How far back an update or delete may be looked for when only the detection time bounds it. */
const UPDATE_WINDOW_MS = 60_000;

/**
 * The actor of the request behind an alert, from the admission and audit records (pure over the
 * store). Admission is exact: it is keyed by the object uid, which the API server sets before
 * validating admission, and for a create the FIRST record wins (a late, forged review for a known
 * uid cannot override the real one). Audit events at level Metadata carry no uid, so they are
 * matched by coordinates, verb, success and time, and — when admission named the user — by user.
 * A match that is ambiguous is left out rather than guessed.
 */
export function correlate(store: AttributionStore, q: AttributionQuery): Attribution {
  const op = OPERATION[q.event];
  if (!op) return { actor: {}, sources: [] };
  const admission = pickAdmission(store.admission(q.uid), op, q);
  const audit = pickAudit(store, q, op, admission);
  const actor: Partial<AlertActor> = {};
  const sources: ActorSource[] = [];
  const who = admission?.user ?? audit?.user;
  if (who) {
    actor.username = who.username;
    if (who.uid) actor.uid = who.uid;
    if (who.groups.length > 0) actor.groups = who.groups;
  }
  if (admission) sources.push(ACTOR_SOURCES.admission);
  if (audit) {
    if (audit.userAgent) actor.userAgent = audit.userAgent;
    if (audit.sourceIPs.length > 0) actor.sourceIPs = audit.sourceIPs;
    if (audit.impersonator) actor.impersonatedBy = audit.impersonator.username;
    sources.push(ACTOR_SOURCES.audit);
  }
  return { actor, sources };
}

function pickAdmission(
  records: AdmissionRecord[],
  op: Operation,
  q: AttributionQuery,
): AdmissionRecord | undefined {
  const same = records.filter((r) => r.operation === op);
  if (op === 'CREATE') return same[0];
  const byGeneration = same.filter((r) => q.generation !== undefined && r.generation === q.generation);
  return (byGeneration.length > 0 ? byGeneration : same).at(-1);
}

function pickAudit(
  store: AttributionStore,
  q: AttributionQuery,
  op: Operation,
  admission: AdmissionRecord | undefined,
): AuditRecord | undefined {
  const verbs = AUDIT_VERBS[op];
  const fits = (r: AuditRecord): boolean =>
    verbs.includes(r.verb) &&
    r.code >= 200 &&
    r.code < 300 &&
    inWindow(r, op, q) &&
    (!admission || r.user.username === admission.user.username);
  const named = store.audit(q.coordinates, q.name).filter(fits);
  if (named.length > 0) return latest(named, op);
  // A create with generateName has no name in a Metadata-level audit event: only the user (known
  // from admission) and the time tie it to the object, and only when exactly one request fits.
  if (op !== 'CREATE' || !admission) return undefined;
  const unnamed = store.audit(q.coordinates, '').filter(fits);
  return unnamed.length === 1 ? unnamed[0] : undefined;
}

function inWindow(r: AuditRecord, op: Operation, q: AttributionQuery): boolean {
  if (op === 'CREATE' && q.createdAt !== undefined) {
    // creationTimestamp is the create time floored to the second, between receive and completion.
    return r.received < q.createdAt + 1000 + SKEW_MS && r.completed >= q.createdAt - SKEW_MS;
  }
  return r.completed <= q.detectedAt + SKEW_MS && r.completed >= q.detectedAt - UPDATE_WINDOW_MS;
}

function latest(records: AuditRecord[], op: Operation): AuditRecord | undefined {
  const key = (r: AuditRecord): number => (op === 'CREATE' ? r.received : r.completed);
  return records.reduce<AuditRecord | undefined>(
    (best, r) => (!best || key(r) >= key(best) ? r : best),
    undefined,
  );
}

/**
 * The facts of `found` that `current` lacks, merged into a copy of `current`, or undefined when
 * nothing is new. Facts already recorded are never changed (the CRD refuses that), sources are
 * only appended.
 */
export function completion(current: AlertActor, found: Attribution): AlertActor | undefined {
  // Facts about another user's request (e.g. once the admission record expired) never complete this one.
  if (current.username && found.actor.username && current.username !== found.actor.username) return undefined;
  const next: AlertActor = { ...current };
  let added = false;
  for (const [k, v] of Object.entries(found.actor) as Array<[keyof AlertActor, unknown]>) {
    if (v === undefined || next[k] !== undefined) continue;
    (next as Record<string, unknown>)[k] = v;
    added = true;
  }
  const source = [...(current.source ?? [])];
  for (const s of found.sources) {
    if (source.includes(s)) continue;
    source.push(s);
    added = true;
  }
  next.source = source;
  return added ? next : undefined;
}
