/**
 * What changed in an object between two observations, without a cache of whole objects: a compact
 * snapshot of the fields an update alert cares about (everything but status and server-managed
 * metadata), a digest of it, and a readable before/after diff of two snapshots.
 */

import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/kube-object.js';
import { truncateUtf8 } from './read.js';

/** The kubectl annotation that repeats the whole spec; left out of snapshots and digests. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Largest snapshot (JSON characters) kept for a diff; larger objects keep only their digest. */
const MAX_STATE_CHARS = 4096;
/** At most this many changed fields are listed in a diff. */
const MAX_DIFF_ENTRIES = 50;
/** Each value in a diff is cut to this many bytes. */
const MAX_DIFF_VALUE = 256;

/** What one observation of an object leaves behind for the next one. */
export interface Snapshot {
  generation?: number;
  /** sha256 (hex prefix) of the relevant state. */
  digest: string;
  /** The relevant state itself, when it is small enough to keep. */
  state?: Record<string, unknown>;
  /** Length of `state` as JSON (what a {@link SnapshotMemory} counts against its budget). */
  stateChars?: number;
}

/** One changed field: its path and the value before and after (absent when the field was not there). */
export interface FieldChange {
  path: string;
  before?: string;
  after?: string;
}

/**
 * The part of an object whose change is an update worth an alert: everything but `status` and
 * server-managed metadata (resourceVersion, managedFields, generation, timestamps, finalizers).
 */
export function relevantState(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...rest } = obj as Record<string, unknown>;
  const m = (metadata ?? {}) as Record<string, unknown>;
  const meta: Record<string, unknown> = {};
  if (m.labels) meta.labels = m.labels;
  const annotations = { ...((m.annotations ?? {}) as Record<string, unknown>) };
  delete annotations[LAST_APPLIED];
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  if (m.ownerReferences) meta.ownerReferences = m.ownerReferences;
  return Object.keys(meta).length > 0 ? { metadata: meta, ...rest } : rest;
}

/** JSON with object keys sorted, so equal states always serialise the same. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The snapshot of one observation of `obj`: of the part `project` selects (by default everything but
 * status and server-written metadata; a detection's `spec.changes` may narrow it).
 */
export function snapshotOf(
  obj: KubeObject,
  project: (obj: KubeObject) => Record<string, unknown> = relevantState,
): Snapshot {
  const state = project(obj);
  const json = stableJson(state);
  const snap: Snapshot = { digest: createHash('sha256').update(json).digest('hex').slice(0, 16) };
  const generation = obj.metadata?.generation;
  if (typeof generation === 'number') snap.generation = generation;
  if (json.length <= MAX_STATE_CHARS) {
    snap.state = JSON.parse(json) as Record<string, unknown>;
    snap.stateChars = json.length;
  }
  return snap;
}

/**
 * The key of the change from `prev` to `cur`, or undefined when nothing relevant changed (the
 * digests are equal: a status-only, managedFields-only or re-applied unchanged update, or a change
 * of fields the snapshot leaves out). A spec change bumps `metadata.generation`
 * (`generation:N`); other changes (labels, annotations, kinds without a generation) are keyed on
 * the digest of the new state. Both depend only on the new version, so the same change observed
 * twice has the same key. Without a previous observation, an object whose generation shows it was
 * changed (or that has none) counts as changed.
 */
export function changeKeyOf(prev: Snapshot | undefined, cur: Snapshot): string | undefined {
  const g = cur.generation;
  if (!prev) {
    if (g === undefined) return `digest:${cur.digest}`;
    return g > 1 ? `generation:${g}` : undefined;
  }
  if (prev.digest === cur.digest) return undefined;
  if (g !== undefined && prev.generation !== undefined && g > prev.generation) return `generation:${g}`;
  return g === undefined ? `digest:${cur.digest}` : `generation:${g}/digest:${cur.digest}`;
}

/** The object as it was at `prev`, for CEL's `oldObject`; undefined when its state was not kept. */
export function previousObject(prev: Snapshot | undefined, cur: KubeObject): KubeObject | undefined {
  if (!prev?.state) return undefined;
  const m = cur.metadata ?? {};
  const oldMeta = (prev.state.metadata ?? {}) as Record<string, unknown>;
  return {
    ...prev.state,
    apiVersion: cur.apiVersion,
    kind: cur.kind,
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, generation: prev.generation, ...oldMeta },
  } as KubeObject;
}

/** Fields that differ between two states, as `path: before → after`, at most 50 of them. */
export function diffStates(before: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: FieldChange[] = [];
  for (const path of paths) {
    const x = a.get(path);
    const y = b.get(path);
    if (x === y) continue;
    const change: FieldChange = { path };
    if (x !== undefined) change.before = truncateUtf8(x, MAX_DIFF_VALUE);
    if (y !== undefined) change.after = truncateUtf8(y, MAX_DIFF_VALUE);
    out.push(change);
  }
  if (out.length <= MAX_DIFF_ENTRIES) return out;
  const kept = out.slice(0, MAX_DIFF_ENTRIES - 1);
  kept.push({ path: `(${out.length - kept.length} more changed fields left out)` });
  return kept;
}

/** Leaf values by path (`spec.rules[0].host`); an empty object or array is a leaf. */
function flatten(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value) && value.length > 0) {
    for (const [i, v] of value.entries()) flatten(v, `${path}[${i}]`, out);
  } else if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k);
      flatten(v, path ? `${path}.${key}` : key, out);
    }
  } else if (path !== '') {
    out.set(path, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/**
 * A bounded map from object uid to its last snapshot; beyond the bound the least recently
 * observed entry is forgotten (its next update then reads as "previous version not observed").
 * The states kept are bounded too, in JSON characters: beyond `maxStateChars` the least recently
 * observed entries keep only their digest (their next update still raises, without a diff), so
 * tenants with many objects full of annotations cannot make the memory large.
 */
export class SnapshotMemory {
  readonly #max: number;
  readonly #maxStateChars: number;
  readonly #map = new Map<string, Snapshot>();
  /** Uids whose snapshot still has its state, least recently observed first. */
  readonly #withState = new Set<string>();
  #stateChars = 0;

  constructor(max: number, maxStateChars = Number.POSITIVE_INFINITY) {
    this.#max = max;
    this.#maxStateChars = maxStateChars;
  }

  /** Number of remembered objects. */
  get size(): number {
    return this.#map.size;
  }

  /** JSON characters of the states kept. */
  get stateChars(): number {
    return this.#stateChars;
  }

  /** The last snapshot of `uid`, if remembered. */
  get(uid: string): Snapshot | undefined {
    return this.#map.get(uid);
  }

  /** Remembers `snap` as the newest of `uid`. */
  set(uid: string, snap: Snapshot): void {
    this.delete(uid);
    this.#map.set(uid, snap);
    if (snap.state) {
      this.#withState.add(uid);
      this.#stateChars += snap.stateChars ?? 0;
    }
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
    while (this.#stateChars > this.#maxStateChars) {
      const oldest = this.#withState.values().next().value;
      if (oldest === undefined || oldest === uid) break;
      this.#dropState(oldest);
    }
  }

  /** Forgets `uid`. */
  delete(uid: string): void {
    this.#release(uid);
    this.#map.delete(uid);
  }

  /** Forgets everything. */
  clear(): void {
    this.#map.clear();
    this.#withState.clear();
    this.#stateChars = 0;
  }

  /** Takes `uid`'s state off the budget; returns its snapshot when it had a state. */
  #release(uid: string): Snapshot | undefined {
    if (!this.#withState.delete(uid)) return undefined;
    const snap = this.#map.get(uid);
    this.#stateChars -= snap?.stateChars ?? 0;
    return snap;
  }

  /** Keeps only the digest (and generation) of `uid`'s snapshot. */
  #dropState(uid: string): void {
    const snap = this.#release(uid);
    if (!snap) return;
    // A copy without the state: a snapshot handed out earlier (a diff in progress) keeps its own.
    const { state: _state, stateChars: _chars, ...rest } = snap;
    this.#map.set(uid, rest);
  }
}
