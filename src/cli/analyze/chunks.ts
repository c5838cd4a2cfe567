/** A placeholder no report value can equal (JSON escapes control characters in input strings). */
const MARKER = '\u0000tripline-items\u0000';

/** Items written per chunk. */
const ITEMS_PER_CHUNK = 256;

/**
 * `JSON.stringify(document, null, 2)` in chunks, byte for byte, with one array of it written item
 * by item: `place` puts the placeholder returned by the callback where the array goes, and `items`
 * are stringified only as they are written. A report of many thousands of findings is then never
 * one string, nor one array of converted findings.
 */
export function* jsonChunks<T>(
  build: (placeholder: unknown[]) => unknown,
  items: readonly T[],
  convert: (item: T) => unknown,
): Generator<string> {
  if (items.length === 0) {
    yield `${JSON.stringify(build([]), null, 2)}\n`;
    return;
  }
  const whole = JSON.stringify(build([MARKER]), null, 2);
  const quoted = JSON.stringify(MARKER);
  const at = whole.indexOf(quoted);
  const lineStart = whole.lastIndexOf('\n', at) + 1;
  const indent = whole.slice(lineStart, at);
  yield whole.slice(0, lineStart);
  for (let from = 0; from < items.length; from += ITEMS_PER_CHUNK) {
    const slice = items.slice(from, from + ITEMS_PER_CHUNK);
    const text = slice
      .map((item) => indent + JSON.stringify(convert(item), null, 2).replaceAll('\n', `\n${indent}`))
      .join(',\n');
    yield from + ITEMS_PER_CHUNK < items.length ? `${text},\n` : text;
  }
  yield `${whole.slice(at + quoted.length)}\n`;
}
