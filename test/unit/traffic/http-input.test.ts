import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../../../src/observability/logger.js';
import {
  decodeBody,
  type HttpInput,
  type RecordSink,
  startHttpInput,
} from '../../../src/traffic/http-input.js';

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

describe('traffic/http-input startHttpInput (on loopback)', () => {
  const TOKEN = 'unit-token';
  const MAX = 64 * 1024;
  let input: HttpInput;
  const lines: string[] = [];
  before(async () => {
    input = await startHttpInput(
      {
        bind: '127.0.0.1:0',
        token: TOKEN,
        maxBodyBytes: MAX,
        maxLineBytes: 1024,
        maxConnections: 8,
        deadlines: { preemptAfterMs: 300, idleMs: 3000 },
        active: () => true,
      },
      { line: (t) => lines.push(t) > 0, value: () => true, oversized: () => {} },
      silentLogger(),
    );
  });
  after(() => input.close());

  /** Sends headers and `body`, then (unless `end`) keeps the request open; resolves with the status. */
  const send = (body: Buffer, headers: Record<string, string | number>, end = true) => {
    const req = http.request({
      host: '127.0.0.1',
      port: input.port,
      path: '/ingest',
      method: 'POST',
      headers,
      agent: false,
    });
    const status = new Promise<number>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(-1));
    });
    if (end) req.end(body);
    else req.write(body);
    return { req, status };
  };
  const auth = { authorization: `Bearer ${TOKEN}` };
  const line = `${JSON.stringify({ status: 200 })}\n`;

  const cases: Array<{ name: string; body: Buffer; headers: Record<string, string | number>; want: number }> =
    [
      { name: 'no token: 401', body: Buffer.from(line), headers: {}, want: 401 },
      {
        name: 'wrong token: 401',
        body: Buffer.from(line),
        headers: { authorization: 'Bearer nope' },
        want: 401,
      },
      { name: 'plain body: 200', body: Buffer.from(line), headers: auth, want: 200 },
      {
        name: 'gzip within the limit: 200',
        body: gzipSync(line.repeat(100)),
        headers: { ...auth, 'content-encoding': 'gzip' },
        want: 200,
      },
      {
        name: 'a gzip bomb (4 kB that inflates past the limit): 413, counted in decompressed bytes',
        body: gzipSync(Buffer.alloc(4 << 20)),
        headers: { ...auth, 'content-encoding': 'gzip' },
        want: 413,
      },
      {
        name: 'declared length above the limit: 413',
        body: Buffer.alloc(0),
        headers: { ...auth, 'content-length': MAX + 1 },
        want: 413,
      },
    ];
  for (const c of cases)
    it(c.name, async () => {
      assert.equal(await send(c.body, c.headers).status, c.want);
    });

  it('stalled uploads holding the budget are pre-empted: the shipper gets in, and nothing stays held', async () => {
    // Each stalled upload inflates to just under the limit and never ends: 6 of them exceed the budget (4 bodies).
    const bomb = gzipSync(Buffer.alloc(MAX - 16, 0x20));
    const stalled = Array.from({ length: 6 }, () =>
      send(bomb, { ...auth, 'content-encoding': 'gzip', 'content-length': bomb.length + 100 }, false),
    );
    const early = await Promise.race([
      stalled[5]?.status,
      new Promise((r) => setTimeout(() => r('pending'), 200)),
    ]);
    assert.ok(early === 503 || early === 'pending', String(early));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(
      await send(Buffer.from(line.repeat(200)), auth).status,
      200,
      'the shipper is not kept out by stalled uploads',
    );
    assert.ok(input.preempted >= 1);
    for (const s of stalled) s.req.destroy();
  });

  it('an idle upload that declares a large body holds no budget', async () => {
    const idle = Array.from({ length: 6 }, () =>
      send(Buffer.alloc(0), { ...auth, 'content-length': MAX }, false),
    );
    assert.equal(await send(Buffer.from(line.repeat(200)), auth).status, 200);
    for (const s of idle) s.req.destroy();
  });

  it('holds at most maxConnections sockets: the next one is closed at once', async () => {
    const idle = Array.from({ length: 8 }, () => net.connect(input.port, '127.0.0.1'));
    await Promise.all(idle.map((sock) => new Promise((r) => sock.once('connect', r))));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await send(Buffer.from(line), auth).status, -1, 'refused beyond the cap');
    for (const sock of idle) sock.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await send(Buffer.from(line), auth).status, 200);
  });
});
