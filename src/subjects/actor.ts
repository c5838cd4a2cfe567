import type { AlertActor } from '../api/generated/audit-alert.js';
import { asRecord, asString, isTimestamp } from './read.js';

/** Where an actor fact came from when it was read from the object's managedFields. */
export const MANAGED_FIELDS_SOURCE = 'managedFields';

interface Entry {
  manager: string;
  operation: string | undefined;
  time: string | undefined;
  subresource: string | undefined;
  index: number;
}

function entries(obj: unknown): Entry[] {
  const list = asRecord(asRecord(obj)?.metadata)?.managedFields;
  if (!Array.isArray(list)) return [];
  const out: Entry[] = [];
  list.forEach((item, index) => {
    const e = asRecord(item);
    const manager = asString(e?.manager);
    if (!e || !manager) return;
    out.push({
      manager,
      operation: asString(e.operation),
      time: asString(e.time),
      subresource: asString(e.subresource),
      index,
    });
  });
  return out;
}

/** Earliest first; entries without a time after those with one; list order breaks ties. */
function byTime(a: Entry, b: Entry): number {
  const ta = a.time === undefined ? Number.POSITIVE_INFINITY : Date.parse(a.time);
  const tb = b.time === undefined ? Number.POSITIVE_INFINITY : Date.parse(b.time);
  const d =
    (Number.isNaN(ta) ? Number.POSITIVE_INFINITY : ta) - (Number.isNaN(tb) ? Number.POSITIVE_INFINITY : tb);
  return Number.isNaN(d) || d === 0 ? a.index - b.index : d;
}

/**
 * Who created the object, as far as managedFields tell: the manager of the earliest entry (the
 * creator). Entries for a subresource (a controller writing `status`) only count when there is no
 * other. An object without managedFields yields `{ source: [] }`: nothing is known.
 */
export function actorFromManagedFields(obj: unknown): AlertActor {
  const all = entries(obj);
  const main = all.filter((e) => !e.subresource);
  const first = (main.length > 0 ? main : all).sort(byTime)[0];
  if (!first) return { source: [] };
  const actor: AlertActor = { fieldManager: first.manager, source: [MANAGED_FIELDS_SOURCE] };
  if (first.operation) actor.operation = first.operation;
  // A time the API server would not accept as date-time is left out rather than fail the write.
  if (first.time && isTimestamp(first.time)) actor.time = first.time;
  return actor;
}
