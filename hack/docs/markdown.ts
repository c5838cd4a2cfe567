/** Small Markdown helpers for the generated blocks. */

/** A table cell: pipes escaped, line breaks flattened. */
export const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** A Markdown table from a header and rows of cells (escaped here). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** `https://…` URLs in free text as links (`<url>` autolinks). */
export const linkUrls = (text: string): string => text.replace(/https?:\/\/[^\s;,)]+/g, (u) => `<${u}>`);
