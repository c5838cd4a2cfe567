/**
 * One access-log line in the ingress-nginx JSON format (`log-format-upstream` with
 * `log-format-escape-json`), parsed into the few facts the windows need.
 *
 * Tolerant by design: operators write their own log formats, so each fact is looked up under the
 * names people use for it (`remote_addr`/`client_ip`, `host`/`vhost`, ...), numbers may arrive as
 * strings (`"200"`, `"0.003"`), nginx writes `-` for an empty variable, and a record shipped by
 * Fluent Bit without a JSON parser carries the line as a string under `log` or `message`.
 * Request paths and query strings are deliberately not read: they can carry tokens, and nothing
 * read here may end up in an alert unless it is safe to show.
 */
import { MAX_FORWARDED_CHARS } from './forwarded.js';

/** The facts of one request that the windows use. */
export interface AccessRecord {
  /** Request time in ms since the epoch; undefined when the line has no usable time. */
  timeMs: number | undefined;
  /** The connecting address (`remote_addr`). */
  remoteAddr: string;
  /** `X-Forwarded-For` as logged (its right end, at most MAX_FORWARDED_CHARS), when present. */
  forwardedFor: string | undefined;
  /** Window key: `ingress/<namespace>/<name>`, or `host/<host>` when the Ingress is not logged. */
  key: string;
  namespace: string | undefined;
  ingress: string | undefined;
  host: string | undefined;
  service: string | undefined;
  /** HTTP status answered to the client (100–599). */
  status: number;
}

/** Why a line was not usable. */
export type MalformedReason = 'json' | 'status' | 'source' | 'target';

/** The outcome of parsing one line or record. */
export type ParseResult = { ok: true; record: AccessRecord } | { ok: false; reason: MalformedReason };

type Json = Record<string, unknown>;

/** The names each fact is found under, first match wins (ingress-nginx's own names first). */
export const FIELD_ALIASES = {
  time: ['time', 'time_iso8601', 'timestamp', '@timestamp', 'time_local', 'msec'],
  remoteAddr: ['remote_addr', 'client_ip', 'remote_address', 'realip_remote_addr'],
  forwardedFor: ['x_forwarded_for', 'http_x_forwarded_for', 'x-forwarded-for', 'proxy_add_x_forwarded_for'],
  host: ['host', 'vhost', 'http_host', 'server_name'],
  status: ['status', 'status_code'],
  namespace: ['namespace', 'ingress_namespace', 'kubernetes_namespace'],
  ingress: ['ingress_name', 'ingress'],
  service: ['service_name', 'service'],
} as const;

/** Fields that may hold the original line when a shipper wrapped it (Fluent Bit without a parser). */
const WRAPPERS = ['log', 'message'] as const;

/** Longest namespace (a DNS label), name or host (a DNS subdomain), and address as logged. */
const MAX = { namespace: 63, name: 253, address: 64 } as const;

/** nginx's spelling of "no value". */
const EMPTY = '-';

/** A string value of the first alias present, with nginx's `-` and blanks read as absent. */
function text(obj: Json, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = obj[n];
    if (v === undefined || v === null) continue;
    const s = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : undefined;
    if (s === undefined || s === '' || s === EMPTY) continue;
    return s;
  }
  return undefined;
}

/** The status code: a number or a numeric string in 100–599; `"-"` or junk is undefined. */
function statusOf(obj: Json): number | undefined {
  const s = text(obj, FIELD_ALIASES.status);
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** The right end of the header: where the proxies you run appended (see forwarded.ts). */
function forwardedList(list: string | undefined): string | undefined {
  if (list === undefined) return undefined;
  return list.length > MAX_FORWARDED_CHARS + 1 ? list.slice(-(MAX_FORWARDED_CHARS + 1)) : list;
}

/** `Shop.Example.com:443` → `shop.example.com` (hosts compare case-insensitively, without the port). */
function normaliseHost(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  let h = host.toLowerCase();
  if (!h.startsWith('[')) {
    const colon = h.indexOf(':');
    // One colon is host:port; more are an IPv6 literal without brackets, left as is.
    if (colon >= 0 && colon === h.lastIndexOf(':')) h = h.slice(0, colon);
  }
  return h === '' ? undefined : h;
}

/**
 * Time of the request: ISO 8601 (`$time_iso8601`), or epoch seconds (`$msec`, as a number or a
 * numeric string). The last string parsed is remembered: consecutive lines mostly share a second.
 */
export class TimeParser {
  #lastText = '';
  #lastMs: number | undefined;

  /** Milliseconds since the epoch, or undefined when the value is not a time. */
  parse(obj: Json): number | undefined {
    for (const n of FIELD_ALIASES.time) {
      const v = obj[n];
      if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.round(v * 1000) : undefined;
      if (typeof v !== 'string' || v === '' || v === EMPTY) continue;
      if (v === this.#lastText) return this.#lastMs;
      const ms = /^\d+(\.\d+)?$/.test(v) ? Math.round(Number(v) * 1000) : Date.parse(v);
      this.#lastText = v;
      this.#lastMs = Number.isFinite(ms) ? ms : undefined;
      return this.#lastMs;
    }
    return undefined;
  }
}

/** Parses one decoded JSON value (an element of a JSON array body, or a parsed line). */
export function parseRecord(value: unknown, times: TimeParser): ParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, reason: 'json' };
  let obj = value as Json;
  if (obj.status === undefined) {
    const inner = unwrap(obj);
    if (inner) obj = inner;
  }
  const status = statusOf(obj);
  if (status === undefined) return { ok: false, reason: 'status' };
  const remoteAddr = text(obj, FIELD_ALIASES.remoteAddr);
  if (remoteAddr === undefined) return { ok: false, reason: 'source' };
  const namespace = text(obj, FIELD_ALIASES.namespace);
  const ingress = text(obj, FIELD_ALIASES.ingress);
  const host = normaliseHost(text(obj, FIELD_ALIASES.host));
  // Names longer than Kubernetes and DNS allow are not names; a client picks the Host header, and a
  // window key must not grow with it.
  if (
    (namespace?.length ?? 0) > MAX.namespace ||
    (ingress?.length ?? 0) > MAX.name ||
    (host?.length ?? 0) > MAX.name
  )
    return { ok: false, reason: 'target' };
  if (remoteAddr.length > MAX.address) return { ok: false, reason: 'source' };
  let key: string;
  if (namespace !== undefined && ingress !== undefined) key = `ingress/${namespace}/${ingress}`;
  else if (host !== undefined) key = `host/${host}`;
  else return { ok: false, reason: 'target' };
  return {
    ok: true,
    record: {
      timeMs: times.parse(obj),
      remoteAddr,
      forwardedFor: forwardedList(text(obj, FIELD_ALIASES.forwardedFor)),
      key,
      namespace,
      ingress,
      host,
      service: text(obj, FIELD_ALIASES.service),
      status,
    },
  };
}

/** The line a shipper wrapped in `log`/`message`, decoded; undefined when there is none. */
function unwrap(obj: Json): Json | undefined {
  for (const w of WRAPPERS) {
    const v = obj[w];
    if (typeof v !== 'string' || !v.trimStart().startsWith('{')) continue;
    try {
      const inner: unknown = JSON.parse(v);
      if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) return inner as Json;
    } catch {
      return undefined; // not JSON after all: the caller reports the record as malformed
    }
  }
  return undefined;
}

/** Parses one line of text (NDJSON or a JSON access-log file). */
export function parseLine(line: string, times: TimeParser): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'json' }; // counted by the caller as malformed; never fatal
  }
  return parseRecord(value, times);
}
