/**
 * Bounds on evidence: JSON made smaller by capping strings and lists, for the per-kind evidence
 * budget of an alert (docs/adr/0027-alert-cost.md) and for the trimming after the API server refused
 * an alert as too large (src/alerts/trim.ts).
 */
import { truncateUtf8 } from './read.js';

/** The longest string (bytes) and the most items of a list or entries of a map kept. */
export interface Caps {
  bytes: number;
  items: number;
}

/** What capping cut: strings shortened, lists or maps shortened. */
export interface Cuts {
  strings: number;
  lists: number;
}

/** `value` with every string cut to `caps.bytes` and every list or map to `caps.items`, counting the cuts. */
export function cap(value: unknown, caps: Caps, cuts: Cuts): unknown {
  if (typeof value === 'string') {
    const cut = truncateUtf8(value, caps.bytes);
    if (cut !== value) cuts.strings++;
    return cut;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    if (value.length > caps.items) cuts.lists++;
    return value.slice(0, caps.items).map((v) => cap(v, caps, cuts));
  }
  const entries = Object.entries(value);
  if (entries.length > caps.items) cuts.lists++;
  return Object.fromEntries(entries.slice(0, caps.items).map(([k, v]) => [k, cap(v, caps, cuts)]));
}

/** Tighter and tighter caps, tried in turn until the evidence fits its budget. */
const LADDER: readonly Caps[] = [
  { bytes: 256, items: 16 },
  { bytes: 128, items: 8 },
  { bytes: 64, items: 4 },
];

const bytesOf = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/**
 * Evidence within `maxBytes` of JSON: unchanged when it fits, else capped by the first caps of the
 * ladder that make it fit, else its top-level entries kept in order while they fit. The note says
 * what was cut, and that the subject itself holds the rest.
 */
export function boundEvidence(
  evidence: Record<string, unknown>,
  maxBytes: number,
  kind: string,
): { evidence: Record<string, unknown>; note?: string } {
  if (bytesOf(evidence) <= maxBytes) return { evidence };
  const head = `evidence bounded to ${maxBytes} bytes for a ${kind || 'subject'}`;
  for (const caps of LADDER) {
    const cuts: Cuts = { strings: 0, lists: 0 };
    const capped = cap(evidence, caps, cuts) as Record<string, unknown>;
    if (bytesOf(capped) <= maxBytes)
      return {
        evidence: capped,
        note: `${head}: ${cuts.strings} strings cut to ${caps.bytes} bytes, ${cuts.lists} lists or maps cut to ${caps.items} entries; the subject itself has the rest`,
      };
  }
  const last = LADDER[LADDER.length - 1] as Caps;
  const capped = cap(evidence, last, { strings: 0, lists: 0 }) as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  const left: string[] = [];
  for (const [k, v] of Object.entries(capped)) {
    if (bytesOf({ ...kept, [k]: v, omitted: [...left, k] }) <= maxBytes) kept[k] = v;
    else left.push(k);
  }
  return {
    evidence: { ...kept, omitted: left },
    note: `${head}: ${left.join(', ')} left out and the rest capped; the subject itself has them`,
  };
}
