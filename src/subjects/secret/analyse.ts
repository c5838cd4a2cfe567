import { subjectRef } from '../generic.js';
import { asRecord, asString, compact, type Json, type Notes, unique } from '../read.js';
import type { KindAnalysis } from '../types.js';
import { type FieldWrite, writeName, writesTo } from '../writes.js';

/** Most data key names listed. */
const MAX_KEYS = 32;

/** The newest of the writes (by time; writes without one rank first). */
function newest(writes: FieldWrite[]): FieldWrite | undefined {
  return writes.reduce<FieldWrite | undefined>(
    (best, w) => (!best || (w.time ?? '') >= (best.time ?? '') ? w : best),
    undefined,
  );
}

/**
 * Secret: its type and data key names and who wrote its data when, never a value. The operator
 * reads Secrets as metadata only, so keys and writers come from managedFields (`f:data` entries);
 * a whole Secret (e.g. from a file given to `tripline analyze`) also yields its type and the key
 * names of `data`.
 */
export function analyseSecret(obj: Json, _notes: Notes): KindAnalysis {
  const writes = writesTo(obj, ['data', 'stringData']);
  const fromWrites = writes.flatMap((w) =>
    w.fields.filter((f) => f.includes('.')).map((f) => f.slice(f.indexOf('.') + 1)),
  );
  const keys = unique([...fromWrites, ...Object.keys(asRecord(obj.data) ?? {})])
    .sort()
    .slice(0, MAX_KEYS);
  const type = asString(obj.type);
  const last = newest(writes);
  const evidence = compact({
    type,
    dataKeys: keys.length > 0 ? keys : undefined,
    dataWrites: writes.length > 0 ? writes.map(({ fields: _f, ...w }) => w) : undefined,
  });
  const parts = [
    ...(type ? [type] : []),
    ...(keys.length > 0
      ? [`keys ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ` +${keys.length - 4} more` : ''}`]
      : []),
    ...(last ? [`data last written by ${writeName(last)}${last.time ? ` at ${last.time}` : ''}`] : []),
  ];
  const detail = parts.length > 0 ? ` (${parts.join('; ')})` : '';
  return { evidence, summary: `Secret ${subjectRef(obj)}${detail}` };
}
