/**
 * `match.referencedBy`: an object counts only while another object names it, e.g. a Secret named
 * in an Ingress's `spec.tls[].secretName`.
 *
 * The referring objects are looked up when an alert is about to be raised, with a paginated LIST
 * of the referring resource in the subject's namespace, instead of an index kept from a watch of
 * that resource. A LIST per candidate event costs one request, holds one page at a time and is
 * always current (no race between an Ingress edit and a Secret edit, no second watch, nothing to
 * keep consistent across restarts), while an index would grow with the cluster and only pay off
 * for subject events far more frequent than alerts. Only the referring objects found (at most
 * {@link MAX_REFERRERS}) are kept, in the alert.
 */

import type { AuditDetectionSpec } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import type { KubeApi } from '../kube/api.js';
import { listPage, PageSizer } from '../kube/paging.js';
import {
  apiVersionOf,
  collectionPath,
  type Discovery,
  type GroupVersionResource,
  gvrKey,
  isMetadataOnly,
} from '../kube/resources.js';
import { analyseSubject } from '../subjects/index.js';
import { asRecord, type Json, truncateUtf8 } from '../subjects/read.js';

/** `match.referencedBy` of an AuditDetection. */
export type ReferenceSpec = NonNullable<NonNullable<AuditDetectionSpec['match']>['referencedBy']>;

/** One step of a reference path: a field, and whether it is a list whose every item is followed. */
interface Segment {
  field: string;
  each: boolean;
}

/** A compiled `match.referencedBy`. */
export interface ReferenceRule {
  resource: GroupVersionResource;
  /** The path as written, e.g. `spec.tls[].secretName`. */
  path: string;
  segments: readonly Segment[];
}

/** One object that names the subject. */
export interface Referrer {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  /** Where it names the subject, e.g. `spec.tls[0].secretName`. */
  field: string;
  /** The other fields of the item that names the subject (for an Ingress TLS entry: its `hosts`). */
  context?: Json;
  /** The referring object in one line, as its own alert would summarise it (hosts, backends, ...). */
  summary: string;
}

/** The referring objects found; `total` counts them all, `items` holds the first few. */
export interface Referrers {
  items: Referrer[];
  total: number;
}

/** Most referring objects kept for an alert; the rest are only counted. */
export const MAX_REFERRERS = 20;
/** Most context fields kept per reference, and the longest string or list kept in them. */
const MAX_CONTEXT = { fields: 16, bytes: 256, items: 20 } as const;
const PATH = /^([A-Za-z0-9_-]+(\[\])?\.)*[A-Za-z0-9_-]+$/;

/** The rule of a `match.referencedBy`, or the reasons it cannot be used. */
export function compileReference(spec: ReferenceSpec | undefined): {
  rule?: ReferenceRule;
  errors: string[];
} {
  if (!spec) return { errors: [] };
  const at = 'spec.match.referencedBy';
  const resource = { group: spec.group ?? '', version: spec.version, resource: spec.resource };
  const errors: string[] = [];
  if (!PATH.test(spec.path))
    errors.push(`${at}.path: "${spec.path}" is not a field path such as spec.tls[].secretName`);
  if (isMetadataOnly(resource))
    errors.push(
      `${at}: ${resource.resource} are read as metadata only and cannot be searched for references`,
    );
  if (errors.length > 0) return { errors };
  const segments = spec.path.split('.').map((s) => ({ field: s.replace('[]', ''), each: s.endsWith('[]') }));
  return { rule: { resource, path: spec.path, segments }, errors: [] };
}

/**
 * Where `obj` names `name` along the rule's path: each concrete field path (`spec.tls[1].secretName`)
 * with the other fields of the item holding it. Pure; odd shapes simply do not match.
 */
export function referencesIn(
  obj: unknown,
  segments: readonly Segment[],
  name: string,
): Array<{ field: string; context?: Json }> {
  const out: Array<{ field: string; context?: Json }> = [];
  const last = segments.length - 1;
  const walk = (value: unknown, i: number, path: string): void => {
    const seg = segments[i];
    const rec = asRecord(value);
    if (!seg || !rec) return;
    const next = rec[seg.field];
    const here = path ? `${path}.${seg.field}` : seg.field;
    // The path ends in a plain field (the CRD pattern), whose holder gives the context.
    if (i === last) {
      if (next === name) out.push({ field: here, ...contextOf(rec, seg.field) });
    } else if (!seg.each) walk(next, i + 1, here);
    else if (Array.isArray(next)) for (const [n, item] of next.entries()) walk(item, i + 1, `${here}[${n}]`);
  };
  walk(obj, 0, '');
  return out;
}

/** The holder's other plain fields (strings, numbers, booleans, lists of them), capped. */
function contextOf(holder: Json, except: string): { context?: Json } {
  const context: Json = {};
  for (const [k, v] of Object.entries(holder)) {
    if (k === except || Object.keys(context).length >= MAX_CONTEXT.fields) continue;
    if (typeof v === 'string') context[k] = truncateUtf8(v, MAX_CONTEXT.bytes);
    else if (typeof v === 'number' || typeof v === 'boolean') context[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      context[k] = v.slice(0, MAX_CONTEXT.items).map((x) => truncateUtf8(x, MAX_CONTEXT.bytes));
  }
  return Object.keys(context).length > 0 ? { context } : {};
}

interface ListPage {
  metadata: { continue?: string };
  items: KubeObject[] | null;
}

/**
 * Finds the objects that name a subject. Concurrent lookups of the same subject share one LIST, so
 * a burst of events for one Secret costs one request.
 */
export class ReferenceLookup {
  readonly #client: KubeApi;
  readonly #discovery: Discovery;
  readonly #pageSize: number;
  readonly #pageBytes: number | undefined;
  readonly #inFlight = new Map<string, Promise<Referrers>>();

  constructor(client: KubeApi, discovery: Discovery, opts: { pageSize: number; pageBytes?: number }) {
    this.#client = client;
    this.#discovery = discovery;
    this.#pageSize = opts.pageSize;
    this.#pageBytes = opts.pageBytes;
  }

  /** The objects of the rule's resource that name `subject` along its path (same namespace). */
  async find(rule: ReferenceRule, subject: KubeObject): Promise<Referrers> {
    const name = subject.metadata?.name ?? '';
    const namespace = subject.metadata?.namespace ?? '';
    const key = `${gvrKey(rule.resource)}|${rule.path}|${namespace}|${name}`;
    let p = this.#inFlight.get(key);
    if (!p) {
      p = this.#find(rule, name, namespace).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, p);
    }
    return await p;
  }

  async #find(rule: ReferenceRule, name: string, namespace: string): Promise<Referrers> {
    const info = await this.#discovery.resolve(rule.resource);
    const r = rule.resource;
    // Both namespaced (Ingress → Secret): only the subject's namespace can refer to it.
    const path =
      info.namespaced && namespace
        ? `${r.group ? `/apis/${r.group}` : '/api'}/${r.version}/namespaces/${encodeURIComponent(namespace)}/${r.resource}`
        : collectionPath(r);
    const found: Referrers = { items: [], total: 0 };
    let token: string | undefined;
    const sizer = new PageSizer(this.#pageSize, this.#pageBytes);
    do {
      const page = await listPage<ListPage>(this.#client, path, token, sizer);
      for (const item of page.items ?? []) {
        for (const ref of referencesIn(item, rule.segments, name)) {
          found.total++;
          if (found.items.length < MAX_REFERRERS)
            found.items.push(referrer(item, ref, apiVersionOf(rule.resource), info.kind));
        }
      }
      token = page.metadata?.continue || undefined;
    } while (token);
    return found;
  }
}

function referrer(
  obj: KubeObject,
  ref: { field: string; context?: Json },
  apiVersion: string,
  kind: string,
): Referrer {
  const m = obj.metadata ?? {};
  // Lists leave apiVersion and kind out of their items; the analyser needs them.
  const summary = analyseSubject({ ...obj, apiVersion, kind }).summary;
  const out: Referrer = { apiVersion, kind, name: String(m.name ?? ''), field: ref.field, summary };
  if (m.namespace) out.namespace = m.namespace;
  if (m.uid) out.uid = m.uid;
  if (ref.context) out.context = ref.context;
  return out;
}
