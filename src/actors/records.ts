import { REMEDIATION_REQUEST } from '../api/constants.js';
/**
 * What Tripline keeps of a request the API server reported: identity and coordinates only. The
 * parsers here read an AdmissionReview or an audit EventList and return small records; the object
 * in the request (which may be a Secret) is never kept, logged or copied.
 */

/** An authenticated user as the API server saw it (`userInfo` / audit `user`). */
export interface Identity {
  username: string;
  uid?: string;
  groups: string[];
}

/** Where a request landed: API group (empty for core), plural resource, namespace ('' if cluster-scoped). */
export interface Coordinates {
  group: string;
  resource: string;
  namespace: string;
}

/** Admission operations the webhook records. */
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

/** A write of a watched object, from the admission webhook. */
export interface AdmissionRecord {
  operation: Operation;
  coordinates: Coordinates;
  name: string;
  /** The object's uid: set by the API server before validating admission, also on CREATE. */
  objectUid: string;
  /** metadata.generation after the write (already incremented on UPDATE). */
  generation?: number;
  user: Identity;
  /** When the webhook saw it (operator clock, ms). */
  at: number;
}

/** A person (or controller) moving an AuditAlert to another state, from the admission webhook. */
export interface StatusChange {
  alert: string;
  from: string;
  to: string;
  user: Identity;
  at: number;
}

/** A completed write request, from the audit webhook (audit.k8s.io/v1 Event at ResponseComplete). */
export interface AuditRecord {
  auditID: string;
  verb: string;
  coordinates: Coordinates;
  /** Empty for a create with generateName (the audit event at level Metadata has no name then). */
  name: string;
  /** The user the request was authorized as (the impersonated one when impersonating). */
  user: Identity;
  /** The authenticated user who impersonated {@link AuditRecord.user}, if any. */
  impersonator?: Identity;
  sourceIPs: string[];
  userAgent?: string;
  code: number;
  /** requestReceivedTimestamp and stageTimestamp (API server clock, ms). */
  received: number;
  completed: number;
}

/** What an AdmissionReview request yields: something to record, or nothing (with why, for metrics). */
export type AdmissionParse =
  | { kind: 'object'; record: AdmissionRecord }
  | { kind: 'status'; change: StatusChange }
  | { kind: 'ignored'; reason: string };

const OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE']);
/** Audit verbs that change objects; reads are never kept. */
const WRITE_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete']);
/** Bounds on what one record may hold, so a hostile or huge request cannot grow memory. */
const MAX = { string: 512, groups: 64, ips: 16, userAgent: 1024 } as const;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
const str = (v: unknown, max: number = MAX.string): string | undefined =>
  typeof v === 'string' ? v.slice(0, max) : undefined;
const strs = (v: unknown, max: number): string[] =>
  Array.isArray(v)
    ? v
        .filter((s): s is string => typeof s === 'string')
        .slice(0, max)
        .map((s) => s.slice(0, MAX.string))
    : [];

/** The identity in a `userInfo`-shaped value; undefined without a username. */
export function identityOf(v: unknown): Identity | undefined {
  const u = rec(v);
  const username = str(u?.username);
  if (!u || !username) return undefined;
  const id: Identity = { username, groups: strs(u.groups, MAX.groups) };
  const uid = str(u.uid);
  if (uid) id.uid = uid;
  return id;
}

/** The uid of the AdmissionReview request, which the response must echo. */
export function reviewUid(review: unknown): string | undefined {
  return str(rec(rec(review)?.request)?.uid, 128);
}

/** Reads an admission.k8s.io/v1 AdmissionReview; `now` is the receive time in ms. */
export function parseAdmissionReview(review: unknown, now: number): AdmissionParse {
  const req = rec(rec(review)?.request);
  if (!req) return { kind: 'ignored', reason: 'malformed' };
  if (req.dryRun === true) return { kind: 'ignored', reason: 'dry-run' };
  const operation = str(req.operation);
  const user = identityOf(req.userInfo);
  const res = rec(req.resource);
  if (!operation || !OPERATIONS.has(operation) || !user || !res)
    return { kind: 'ignored', reason: 'malformed' };
  const coordinates: Coordinates = {
    group: str(res.group) ?? '',
    resource: str(res.resource) ?? '',
    namespace: str(req.namespace) ?? '',
  };
  const subResource = str(req.subResource) ?? '';
  if (coordinates.group === 'tripline.dev' && coordinates.resource === 'auditalerts') {
    return subResource === 'status'
      ? statusChange(req, user, now)
      : { kind: 'ignored', reason: 'alert-spec' };
  }
  if (subResource) return { kind: 'ignored', reason: 'subresource' };
  // DELETE carries the object only as oldObject; CREATE and UPDATE as object (uid already set).
  const meta = rec(rec(operation === 'DELETE' ? req.oldObject : req.object)?.metadata);
  const objectUid = str(meta?.uid, 128);
  if (!objectUid) return { kind: 'ignored', reason: 'no-uid' };
  const record: AdmissionRecord = {
    operation: operation as Operation,
    coordinates,
    name: str(meta?.name) ?? str(req.name) ?? '',
    objectUid,
    user,
    at: now,
  };
  if (typeof meta?.generation === 'number') record.generation = meta.generation;
  return { kind: 'object', record };
}

function statusChange(req: Rec, user: Identity, now: number): AdmissionParse {
  if (req.operation !== 'UPDATE') return { kind: 'ignored', reason: 'alert-status-operation' };
  const stateOf = (o: unknown): string => str(rec(rec(o)?.status)?.state, 32) ?? 'Open';
  const alert = str(req.name) ?? str(rec(rec(req.object)?.metadata)?.name) ?? '';
  const from = stateOf(req.oldObject);
  const to = stateOf(req.object);
  if (from !== to) return { kind: 'status', change: { alert, from, to, user, at: now } };
  // A remediation request is kept as a change to `remediation:<action>`, so the operator can name
  // the user who asked for it (status.remediation.requestedBy) rather than the client's tool.
  const actionOf = (o: unknown): string => str(rec(rec(rec(o)?.status)?.remediation)?.action, 64) ?? '';
  const requested = actionOf(req.object);
  if (requested && requested !== actionOf(req.oldObject))
    return {
      kind: 'status',
      change: { alert, from: '', to: `${REMEDIATION_REQUEST}${requested}`, user, at: now },
    };
  // Neither a state change nor a new request: the operator's own condition writes are not kept.
  return { kind: 'ignored', reason: 'no-state-change' };
}

/** Parses an audit.k8s.io/v1 EventList: completed, non-dry-run writes only; everything else is skipped. */
export function parseAuditEvents(list: unknown): { records: AuditRecord[]; skipped: number } {
  const items = rec(list)?.items;
  if (!Array.isArray(items)) return { records: [], skipped: 0 };
  const records: AuditRecord[] = [];
  for (const item of items) {
    const r = auditRecord(rec(item));
    if (r) records.push(r);
  }
  return { records, skipped: items.length - records.length };
}

function auditRecord(ev: Rec | undefined): AuditRecord | undefined {
  if (ev?.stage !== 'ResponseComplete') return undefined;
  const verb = str(ev.verb, 32);
  const ref = rec(ev.objectRef);
  const authenticated = identityOf(ev.user);
  if (!verb || !WRITE_VERBS.has(verb) || !ref || !authenticated) return undefined;
  // A dry-run write changes nothing; its audit event still says 201.
  if (/[?&]dryRun=/.test(str(ev.requestURI, 4096) ?? '')) return undefined;
  const impersonated = identityOf(ev.impersonatedUser);
  const received = Date.parse(str(ev.requestReceivedTimestamp, 64) ?? '');
  const completed = Date.parse(str(ev.stageTimestamp, 64) ?? '');
  if (Number.isNaN(received) || Number.isNaN(completed)) return undefined;
  const subresource = str(ref.subresource) ?? '';
  const record: AuditRecord = {
    auditID: str(ev.auditID, 128) ?? '',
    verb,
    coordinates: {
      group: str(ref.apiGroup) ?? '',
      resource: subresource ? `${str(ref.resource) ?? ''}/${subresource}` : (str(ref.resource) ?? ''),
      namespace: str(ref.namespace) ?? '',
    },
    name: str(ref.name) ?? '',
    user: impersonated ?? authenticated,
    sourceIPs: strs(ev.sourceIPs, MAX.ips),
    code: Number(rec(ev.responseStatus)?.code ?? 0),
    received,
    completed,
  };
  if (impersonated) record.impersonator = authenticated;
  const userAgent = str(ev.userAgent, MAX.userAgent);
  if (userAgent) record.userAgent = userAgent;
  return record;
}

/** `group/resource/namespace`, the key both stores and correlation use. */
export const coordinatesKey = (c: Coordinates): string => `${c.group}/${c.resource}/${c.namespace}`;
