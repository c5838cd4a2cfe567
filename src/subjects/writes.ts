/**
 * Who wrote what, read from managedFields: the only trace of a write to fields the operator never
 * reads (a Secret's `data`, read as metadata only), and the best available hint of who made the
 * latest change to an object.
 */

import { asRecord, asString } from './read.js';

/** A managedFields entry of the main resource (not a subresource such as `status`). */
export interface Write {
  manager: string;
  operation?: string;
  /** RFC 3339, one-second resolution; updated whenever the manager changes a field it owns. */
  time?: string;
}

/** A write that owns some of the fields asked about, with the owned paths (names only, never values). */
export interface FieldWrite extends Write {
  /** Owned paths under the fields asked about, e.g. `data.tls.crt`; the field itself when it owns no keys. */
  fields: string[];
}

/** Most owned paths listed per write (a Secret with hundreds of keys needs no more to be recognised). */
const MAX_FIELDS = 32;

interface Entry extends Write {
  fieldsV1: Record<string, unknown>;
}

/** The main-resource entries of `obj`'s managedFields, in list order; malformed entries skipped. */
function mainEntries(obj: unknown): Entry[] {
  const list = asRecord(asRecord(obj)?.metadata)?.managedFields;
  if (!Array.isArray(list)) return [];
  const out: Entry[] = [];
  for (const item of list) {
    const e = asRecord(item);
    const manager = asString(e?.manager);
    if (!e || !manager || asString(e.subresource)) continue;
    const entry: Entry = { manager, fieldsV1: asRecord(e.fieldsV1) ?? {} };
    const operation = asString(e.operation);
    const time = asString(e.time);
    if (operation) entry.operation = operation;
    if (time) entry.time = time;
    out.push(entry);
  }
  return out;
}

/** Keys of a fieldsV1 set under `f:NAME`, as `NAME.key` paths (`.` is the set's own marker). */
function ownedPaths(set: Record<string, unknown>, name: string): string[] {
  const keys = Object.keys(set)
    .filter((k) => k.startsWith('f:'))
    .map((k) => `${name}.${k.slice(2)}`);
  return keys.length > 0 ? keys : [name];
}

/**
 * The writes of the main resource that own any of the top-level `fields` (e.g. `data`), sorted by
 * manager and operation so equal states compare equal. Names and times only, never values.
 */
export function writesTo(obj: unknown, fields: readonly string[]): FieldWrite[] {
  const out: FieldWrite[] = [];
  for (const e of mainEntries(obj)) {
    const owned = fields.flatMap((f) => {
      const set = asRecord(e.fieldsV1[`f:${f}`]);
      return set ? ownedPaths(set, f) : [];
    });
    if (owned.length === 0) continue;
    const { fieldsV1: _f, ...write } = e;
    out.push({ ...write, fields: [...new Set(owned)].sort().slice(0, MAX_FIELDS) });
  }
  return out.sort((a, b) => writeName(a).localeCompare(writeName(b)));
}

/** `manager (Operation)`: how a write is named in diffs and summaries. */
export const writeName = (w: Write): string => (w.operation ? `${w.manager} (${w.operation})` : w.manager);

/**
 * The most recent write to the main resource: who most likely made the latest change. Entries
 * without a time rank last; subresource writes (a controller's status) never count.
 */
export function lastWrite(obj: unknown): Write | undefined {
  let best: Entry | undefined;
  for (const e of mainEntries(obj)) {
    if (e.time === undefined || Number.isNaN(Date.parse(e.time))) continue;
    if (!best || Date.parse(e.time) >= Date.parse(best.time as string)) best = e;
  }
  if (!best) return undefined;
  const { fieldsV1: _f, ...write } = best;
  return write;
}
