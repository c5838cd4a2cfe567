import assert from 'node:assert/strict';
import { decodeBody, type RecordSink } from '../../../src/traffic/http-input.js';

function sink() {
  const got = { lines: [] as string[], values: [] as unknown[], oversized: 0 };
  const s: RecordSink = {
    line: (t) => {
      got.lines.push(t);
      return t.startsWith('{');
    },
    value: (v) => {
      got.values.push(v);
      return typeof v === 'object';
    },
    oversized: () => got.oversized++,
  };
  return { s, got };
}

describe('traffic/http-input decodeBody', () => {
  it('NDJSON (Fluent Bit format json_lines): one record per line, junk counted', () => {
    const { s, got } = sink();
    const r = decodeBody(Buffer.from('{"a":1}\n{"b":2}\r\nnot json\n\n{"c":3}'), 100, s);
    assert.deepEqual(r, { accepted: 3, rejected: 1 });
    assert.deepEqual(got.lines, ['{"a":1}', '{"b":2}', 'not json', '{"c":3}']);
  });

  it('a JSON array (Fluent Bit format json): one record per element', () => {
    const { s, got } = sink();
    const r = decodeBody(Buffer.from(' \n[{"a":1},{"b":2},3]'), 100, s);
    assert.deepEqual(r, { accepted: 2, rejected: 1 });
    assert.equal(got.values.length, 3);
  });

  it('a broken JSON array is refused whole', () => {
    const { s } = sink();
    assert.equal(decodeBody(Buffer.from('[{"a":1},'), 100, s), undefined);
  });

  it('bounds line length', () => {
    const { s, got } = sink();
    const r = decodeBody(Buffer.from(`{"x":"${'a'.repeat(200)}"}\n{"ok":1}\n`), 64, s);
    assert.deepEqual(r, { accepted: 1, rejected: 1 });
    assert.equal(got.oversized, 1);
  });

  it('an empty body accepts nothing', () => {
    const { s } = sink();
    assert.deepEqual(decodeBody(Buffer.alloc(0), 100, s), { accepted: 0, rejected: 0 });
  });
});
