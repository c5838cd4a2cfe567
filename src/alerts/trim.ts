import type { AuditAlert } from '../api/generated/audit-alert.js';
import { truncateUtf8 } from '../subjects/read.js';

/** How hard to trim: each level is tried when the API server refused the previous one as too large. */
export type TrimLevel = 1 | 2 | 3;

/** Per level: the longest string (bytes) and the most items of a list or entries of a map kept. */
const CAPS: Record<1 | 2, { bytes: number; items: number }> = {
  1: { bytes: 1024, items: 50 },
  2: { bytes: 256, items: 10 },
};
/** The CRD's `maxItems` on `spec.notes`. */
const MAX_NOTES = 64;

interface Cuts {
  strings: number;
  lists: number;
}

function cap(value: unknown, limits: { bytes: number; items: number }, cuts: Cuts): unknown {
  if (typeof value === 'string') {
    const cut = truncateUtf8(value, limits.bytes);
    if (cut !== value) cuts.strings++;
    return cut;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    if (value.length > limits.items) cuts.lists++;
    return value.slice(0, limits.items).map((v) => cap(v, limits, cuts));
  }
  const entries = Object.entries(value);
  if (entries.length > limits.items) cuts.lists++;
  return Object.fromEntries(entries.slice(0, limits.items).map(([k, v]) => [k, cap(v, limits, cuts)]));
}

function describe(level: TrimLevel, cuts: Cuts): string {
  const head = `evidence trimmed (level ${level}) because the API server refused the alert as too large`;
  if (level === 3) return `${head}: all evidence left out; read the subject itself`;
  const { bytes, items } = CAPS[level];
  return `${head}: ${cuts.strings} strings cut to ${bytes} bytes, ${cuts.lists} lists or maps cut to ${items} entries`;
}

function addNote(notes: string[] | undefined, note: string): string[] {
  const out = [...(notes ?? [])];
  if (out.length >= MAX_NOTES) out[MAX_NOTES - 1] = note;
  else out.push(note);
  return out;
}

/**
 * A copy of `alert` with smaller evidence, for when the API server refuses to store it (413, or
 * etcd's "request is too large"). Level 1 caps strings at 1 KiB and lists (and maps) at 50 entries;
 * level 2 at 256 bytes and 10; level 3 replaces evidence with `{ trimmed: true }`. A note says what
 * was cut. Pure: the input is not changed.
 */
export function trimEvidence(alert: AuditAlert, level: TrimLevel): AuditAlert {
  const out = structuredClone(alert);
  const cuts: Cuts = { strings: 0, lists: 0 };
  out.spec.evidence =
    level === 3
      ? { trimmed: true }
      : (cap(out.spec.evidence ?? {}, CAPS[level], cuts) as Record<string, unknown>);
  out.spec.notes = addNote(out.spec.notes, describe(level, cuts));
  return out;
}
