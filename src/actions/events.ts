/**
 * Action events (issue 20): requests that leave no object behind. The admission webhook sees
 * CONNECT on pods/exec, pods/attach and pods/portforward and CREATE on serviceaccounts/token; the
 * audit receiver sees reads of Secrets. Each becomes a small, bounded {@link ActionEvent}: who, on
 * what, and the options of the request (command, container, ports, audiences). Nothing else of the
 * request is kept: a TokenRequest's `status.token` (never set at admission, checked anyway) and a
 * Secret's data (the audit policy is Metadata level) never reach an event.
 */
import { type Identity, identityOf } from '../actors/records.js';
import type { ActionType } from '../api/constants.js';
import { compact } from '../subjects/read.js';

/** What an action was done to. */
export interface ActionTarget {
  kind: 'Pod' | 'ServiceAccount' | 'Secret';
  namespace: string;
  /** Empty for a list or watch of all Secrets of a namespace (or of the cluster). */
  name: string;
}

/** One action request, as the webhook or the audit receiver saw it. */
export interface ActionEvent {
  type: ActionType;
  /** The admission review uid or the auditID: the same request re-sent is counted once. */
  id: string;
  user: Identity;
  target: ActionTarget;
  /** `pods/exec`, `serviceaccounts/token`, `secrets` (get/list/watch as `verb`). */
  resource: string;
  verb?: string;
  container?: string;
  /** Exec: the command, its words joined by spaces (bounded). */
  command?: string;
  /** PortForward: the ports asked for. */
  ports?: number[];
  /** TokenRequest: spec.audiences and spec.expirationSeconds. */
  audiences?: string[];
  expirationSeconds?: number;
  /** Only from the audit log: the admission review has no address. */
  sourceIPs?: string[];
  userAgent?: string;
  /** When the event was seen (operator clock) or, for audit events, received by the API server; ms. */
  at: number;
}

/**
 * What the request asked for, as evidence and as `object.action` for CEL: `event`, `resource` and
 * the optional fields the request carries (verb, container, command, ports, audiences, expiry).
 */
export function requestDetails(e: ActionEvent): Record<string, unknown> {
  return compact({
    event: e.type,
    resource: e.resource,
    verb: e.verb,
    container: e.container,
    command: e.command,
    ports: e.ports,
    audiences: e.audiences,
    expirationSeconds: e.expirationSeconds,
  });
}

/** Bounds on what one event may hold. */
export const ACTION_MAX = {
  string: 253,
  command: 1024,
  commandWords: 64,
  ports: 16,
  audiences: 8,
  ips: 16,
  userAgent: 512,
} as const;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
const str = (v: unknown, max: number = ACTION_MAX.string): string | undefined =>
  typeof v === 'string' && v !== '' ? v.slice(0, max) : undefined;
const strs = (v: unknown, maxItems: number, maxLen: number = ACTION_MAX.string): string[] =>
  Array.isArray(v)
    ? v
        .filter((s): s is string => typeof s === 'string')
        .slice(0, maxItems)
        .map((s) => s.slice(0, maxLen))
    : [];

/** The command of a PodExecOptions, bounded: at most 64 words and 1024 characters. */
function commandOf(v: unknown): string | undefined {
  // The API server passes repeated `command=` query parameters as a list.
  const words = typeof v === 'string' ? [v] : strs(v, ACTION_MAX.commandWords, ACTION_MAX.command);
  if (words.length === 0) return undefined;
  const joined = words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w))).join(' ');
  return joined.length > ACTION_MAX.command ? `${joined.slice(0, ACTION_MAX.command - 1)}…` : joined;
}

function portsOf(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.filter((p): p is number => Number.isInteger(p) && p > 0 && p < 65536).slice(0, ACTION_MAX.ports);
}

/** Subresource → action, for CONNECT on Pods. */
const POD_CONNECT: Readonly<Record<string, ActionType>> = {
  exec: 'Exec',
  attach: 'Attach',
  portforward: 'PortForward',
};

/** What an AdmissionReview yields for actions: an event, or why it is not one (undefined: not an action). */
export type ActionParse = { kind: 'action'; event: ActionEvent } | { kind: 'ignored'; reason: string };

/**
 * Reads an admission.k8s.io/v1 AdmissionReview as an action: CONNECT on pods/exec|attach|portforward,
 * CREATE on serviceaccounts/token. Undefined for every other review (the attribution parser's).
 */
export function parseActionReview(review: unknown, now: number): ActionParse | undefined {
  const req = rec(rec(review)?.request);
  const res = rec(req?.resource);
  if (!req || !res || (res.group !== '' && res.group !== undefined)) return undefined;
  const operation = req.operation;
  const resource = res.resource;
  const sub = typeof req.subResource === 'string' ? req.subResource : '';
  const connect = operation === 'CONNECT' && resource === 'pods' ? POD_CONNECT[sub] : undefined;
  const token = operation === 'CREATE' && resource === 'serviceaccounts' && sub === 'token';
  if (!connect && !token) return undefined;
  if (req.dryRun === true) return { kind: 'ignored', reason: 'dry-run' };
  const user = identityOf(req.userInfo);
  const name = str(req.name);
  const namespace = str(req.namespace);
  const id = str(req.uid, 128);
  if (!user || !name || !namespace || !id) return { kind: 'ignored', reason: 'malformed' };
  const obj = rec(req.object);
  const base = { id, user, at: now };
  if (token) {
    const spec = rec(obj?.spec);
    const event: ActionEvent = {
      ...base,
      type: 'TokenRequest',
      target: { kind: 'ServiceAccount', namespace, name },
      resource: 'serviceaccounts/token',
    };
    const audiences = strs(spec?.audiences, ACTION_MAX.audiences);
    if (audiences.length > 0) event.audiences = audiences;
    if (Number.isInteger(spec?.expirationSeconds))
      event.expirationSeconds = spec?.expirationSeconds as number;
    // status.token is never read: it holds the minted token once the request completes.
    return { kind: 'action', event };
  }
  const type = connect as ActionType;
  const event: ActionEvent = {
    ...base,
    type,
    target: { kind: 'Pod', namespace, name },
    resource: `pods/${sub}`,
  };
  const container = str(obj?.container);
  if (container) event.container = container;
  if (type === 'Exec') {
    const command = commandOf(obj?.command);
    if (command) event.command = command;
  }
  if (type === 'PortForward') {
    const ports = portsOf(obj?.ports);
    if (ports.length > 0) event.ports = ports;
  }
  return { kind: 'action', event };
}

const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

/**
 * The Secret reads of an audit.k8s.io/v1 EventList: get, list and watch of core `secrets` that
 * succeeded (a watch at ResponseStarted, the others at ResponseComplete). Everything else is skipped.
 */
export function parseSecretReads(list: unknown): ActionEvent[] {
  const items = rec(list)?.items;
  if (!Array.isArray(items)) return [];
  const out: ActionEvent[] = [];
  for (const item of items) {
    const e = secretRead(rec(item));
    if (e) out.push(e);
  }
  return out;
}

function secretRead(ev: Rec | undefined): ActionEvent | undefined {
  const verb = ev?.verb;
  if (typeof verb !== 'string' || !READ_VERBS.has(verb)) return undefined;
  const stage = verb === 'watch' ? 'ResponseStarted' : 'ResponseComplete';
  if (ev?.stage !== stage) return undefined;
  const ref = rec(ev.objectRef);
  if (ref?.resource !== 'secrets' || (ref.apiGroup ?? '') !== '' || ref.subresource) return undefined;
  const code = Number(rec(ev.responseStatus)?.code ?? 0);
  if (code >= 300) return undefined;
  const authenticated = identityOf(ev.user);
  const id = str(ev.auditID, 128);
  const at = Date.parse(str(ev.requestReceivedTimestamp, 64) ?? '');
  if (!authenticated || !id || Number.isNaN(at)) return undefined;
  const event: ActionEvent = {
    type: 'SecretRead',
    id,
    // The user the request was authorized as (the impersonated one when impersonating).
    user: identityOf(ev.impersonatedUser) ?? authenticated,
    target: { kind: 'Secret', namespace: str(ref.namespace) ?? '', name: str(ref.name) ?? '' },
    resource: 'secrets',
    verb,
    at,
  };
  const ips = strs(ev.sourceIPs, ACTION_MAX.ips, 64);
  if (ips.length > 0) event.sourceIPs = ips;
  const ua = str(ev.userAgent, ACTION_MAX.userAgent);
  if (ua) event.userAgent = ua;
  return event;
}

/** `Pod/ns/name`: what an episode is about. */
export const targetKey = (t: ActionTarget): string => `${t.kind}/${t.namespace}/${t.name}`;
