import { printable } from '../../subjects/read.js';

/**
 * A deep copy of `value` whose strings have control and bidi characters escaped (`\uXXXX`). Line
 * breaks survive only in step commands and details, which the detection's Git-owned templates write
 * and the `show` renderer indents; anywhere else a line break could forge a field of its own.
 */
export function terminalSafe<T>(value: T, keepNewlines = false): T {
  if (typeof value === 'string') {
    const safe = keepNewlines ? value.split('\n').map(printable).join('\n') : printable(value);
    return safe as T;
  }
  if (Array.isArray(value)) return value.map((v) => terminalSafe(v, keepNewlines)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[printable(k)] = terminalSafe(v, keepNewlines || k === 'investigation' || k === 'resolution');
  }
  return out as T;
}
