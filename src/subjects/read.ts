/**
 * Defensive readers for objects of unknown shape. Analysers read everything through these, so odd
 * input (a removed API version, a field of the wrong type, a missing spec) yields `undefined` plus a
 * note, never an exception.
 */

/** A JSON object. */
export type Json = Record<string, unknown>;

/** Most notes one analysis records; more would only bury the first, most useful ones. */
const MAX_NOTES = 32;
/** Most items read from any one list; the rest is counted in a note. */
export const MAX_ITEMS = 100;

/** What could not be read while analysing one object, in the order it was found. */
export class Notes {
  /** The notes so far. */
  readonly list: string[] = [];
  #dropped = 0;

  /** Records one note. */
  add(message: string): void {
    if (this.list.length < MAX_NOTES) this.list.push(message);
    else this.#dropped++;
  }

  /** The notes, with a final line counting those left out. */
  all(): string[] {
    return this.#dropped === 0 ? [...this.list] : [...this.list, `${this.#dropped} more notes left out`];
  }
}

/** `v` when it is a plain object. */
export const asRecord = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
/** `v` when it is a string. */
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** `v` when it is a finite number. */
export const asNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
/** `v` when it is a boolean. */
export const asBoolean = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** What `v` is, with its article, for notes: "a list", "an object", "a number", "null". */
function described(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * Reads `from[key]` with `as`. Absent (or null) reads as `undefined` silently; present with another
 * type reads as `undefined` and is noted under `path`.
 */
export function read<T>(
  from: Json | undefined,
  key: string,
  path: string,
  as: (v: unknown) => T | undefined,
  notes: Notes,
): T | undefined {
  const v = from?.[key];
  if (v === undefined || v === null) return undefined;
  const out = as(v);
  if (out === undefined) notes.add(`${path} is ${described(v)}, not the expected type; not read`);
  return out;
}

/** `from[key]` as a string (see {@link read}). */
export const str = (from: Json | undefined, key: string, path: string, notes: Notes) =>
  read(from, key, path, asString, notes);
/** `from[key]` as a number (see {@link read}). */
export const num = (from: Json | undefined, key: string, path: string, notes: Notes) =>
  read(from, key, path, asNumber, notes);
/** `from[key]` as a boolean (see {@link read}). */
export const bool = (from: Json | undefined, key: string, path: string, notes: Notes) =>
  read(from, key, path, asBoolean, notes);
/** `from[key]` as an object (see {@link read}). */
export const rec = (from: Json | undefined, key: string, path: string, notes: Notes) =>
  read(from, key, path, asRecord, notes);

/**
 * `from[key]` as a list of at most {@link MAX_ITEMS} items (see {@link read}); a longer list is cut
 * with a note. Always returns an array, empty when absent or unreadable.
 */
export function list(from: Json | undefined, key: string, path: string, notes: Notes): unknown[] {
  const items = read(from, key, path, (v) => (Array.isArray(v) ? (v as unknown[]) : undefined), notes);
  if (!items) return [];
  if (items.length <= MAX_ITEMS) return items;
  notes.add(`${path} has ${items.length} items; only the first ${MAX_ITEMS} were read`);
  return items.slice(0, MAX_ITEMS);
}

/** The objects in a list, each with its path; other items are noted and skipped. */
export function records(items: unknown[], path: string, notes: Notes): Array<[Json, string]> {
  const out: Array<[Json, string]> = [];
  items.forEach((item, i) => {
    const r = asRecord(item);
    if (r) out.push([r, `${path}[${i}]`]);
    else notes.add(`${path}[${i}] is ${described(item)}, not an object; skipped`);
  });
  return out;
}

/** The strings in a list; other items are noted and skipped. */
export function strings(items: unknown[], path: string, notes: Notes): string[] {
  const out: string[] = [];
  items.forEach((item, i) => {
    if (typeof item === 'string') out.push(item);
    else notes.add(`${path}[${i}] is ${described(item)}, not a string; skipped`);
  });
  return out;
}

/** A copy of `obj` without the keys whose value is `undefined`, so evidence stays compact. */
export function compact<T extends Json>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** The distinct values of `values`, in first-seen order. */
export const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];

/** `value` cut to at most `maxBytes` bytes of UTF-8, never inside a character. */
export function truncateUtf8(value: string, maxBytes: number): string {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxBytes) return value;
  let cut = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8');
}

/** C0/C1 controls, line/paragraph separators and bidi overrides: never shown raw to a responder. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `value` with control and bidi characters written as `\uXXXX`, so it cannot forge terminal output. */
export function printable(value: string): string {
  return value.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether `value` is an RFC 3339 timestamp, as a `format: date-time` field requires. */
export const isTimestamp = (value: string): boolean =>
  RFC3339.test(value) && !Number.isNaN(Date.parse(value));
