import assert from 'node:assert/strict';
import { LineSplitter } from '../../../src/traffic/lines.js';

function run(chunks: string[], max: number, end = true): { lines: string[]; oversized: number } {
  const out = { lines: [] as string[], oversized: 0 };
  const s = new LineSplitter(max, { line: (l) => out.lines.push(l), oversized: () => out.oversized++ });
  for (const c of chunks) s.push(Buffer.from(c));
  if (end) s.end();
  return out;
}

describe('traffic/lines LineSplitter', () => {
  const cases: Array<{
    name: string;
    chunks: string[];
    max?: number;
    end?: boolean;
    lines: string[];
    oversized?: number;
  }> = [
    { name: 'one chunk, several lines', chunks: ['a\nb\nc\n'], lines: ['a', 'b', 'c'] },
    {
      name: 'a line split across chunks',
      chunks: ['{"a":', '1}\n{"b"', ':2}\n'],
      lines: ['{"a":1}', '{"b":2}'],
    },
    { name: 'CRLF', chunks: ['a\r\nb\r\n'], lines: ['a', 'b'] },
    { name: 'blank lines skipped', chunks: ['\n\na\n  \n'], lines: ['a'] },
    { name: 'the last line without newline at end()', chunks: ['a\nb'], lines: ['a', 'b'] },
    { name: 'the last line kept without end()', chunks: ['a\nb'], end: false, lines: ['a'] },
    {
      name: 'an oversized line is dropped, the next kept',
      chunks: ['0123456789ABC\nok\n'],
      max: 10,
      lines: ['ok'],
      oversized: 1,
    },
    {
      name: 'an oversized line across chunks is dropped once',
      chunks: ['01234', '56789', 'ABCDE', 'F\nok\n'],
      max: 10,
      lines: ['ok'],
      oversized: 1,
    },
    { name: 'a line of exactly the bound is kept', chunks: ['0123456789\n'], max: 10, lines: ['0123456789'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = run(c.chunks, c.max ?? 1000, c.end ?? true);
      assert.deepEqual(got.lines, c.lines);
      assert.equal(got.oversized, c.oversized ?? 0);
    });
  }

  it('multi-byte UTF-8 split across chunks decodes whole', () => {
    const bytes = Buffer.from('{"h":"€"}\n');
    const lines: string[] = [];
    const s = new LineSplitter(100, { line: (l) => lines.push(l), oversized: () => {} });
    s.push(bytes.subarray(0, 7));
    s.push(bytes.subarray(7));
    assert.deepEqual(lines, ['{"h":"€"}']);
  });

  it('discard() drops a partial line', () => {
    const lines: string[] = [];
    const s = new LineSplitter(100, { line: (l) => lines.push(l), oversized: () => {} });
    s.push(Buffer.from('partial'));
    assert.equal(s.pending, 7);
    s.discard();
    s.push(Buffer.from('x\n'));
    assert.deepEqual(lines, ['x']);
  });
});
