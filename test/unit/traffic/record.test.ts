import assert from 'node:assert/strict';
import { type AccessRecord, parseLine, parseRecord, TimeParser } from '../../../src/traffic/record.js';

/** A line as ingress-nginx writes it with the README's log-format-upstream. */
const NGINX = {
  time: '2026-11-23T16:52:01+00:00',
  remote_addr: '203.0.113.7',
  x_forwarded_for: '-',
  request_id: 'a1b2',
  host: 'shop.example.com',
  method: 'GET',
  path: '/cart',
  status: 200,
  bytes_sent: 512,
  request_time: 0.003,
  upstream_addr: '10.0.0.12:8080',
  upstream_status: '200',
  namespace: 'shop',
  ingress_name: 'web',
  service_name: 'web-svc',
};

describe('traffic/record parseLine', () => {
  const ok: Array<{ name: string; line: unknown; expect: Partial<AccessRecord> }> = [
    {
      name: 'the ingress-nginx JSON format',
      line: NGINX,
      expect: {
        timeMs: Date.parse('2026-11-23T16:52:01Z'),
        remoteAddr: '203.0.113.7',
        forwardedFor: undefined,
        key: 'ingress/shop/web',
        namespace: 'shop',
        ingress: 'web',
        host: 'shop.example.com',
        service: 'web-svc',
        status: 200,
      },
    },
    {
      name: 'numbers as strings',
      line: { ...NGINX, status: '503', bytes_sent: '0', request_time: '0.003' },
      expect: { status: 503 },
    },
    {
      name: 'x_forwarded_for: kept as logged (forwarded.ts picks the client from its right end)',
      line: { ...NGINX, x_forwarded_for: '198.51.100.1, 10.0.0.1' },
      expect: { forwardedFor: '198.51.100.1, 10.0.0.1' },
    },
    {
      name: 'x_forwarded_for: only its right end is kept',
      line: { ...NGINX, x_forwarded_for: `${'9.9.9.9, '.repeat(1000)}10.0.0.1` },
      expect: { forwardedFor: `${'9.9.9.9, '.repeat(1000)}10.0.0.1`.slice(-1025) },
    },
    {
      name: 'no Ingress named: keyed by host, port and case dropped',
      line: { ...NGINX, namespace: '-', ingress_name: '', host: 'Shop.Example.com:8443' },
      expect: { key: 'host/shop.example.com', namespace: undefined, ingress: undefined },
    },
    {
      name: 'vhost and client_ip aliases',
      line: { time: NGINX.time, client_ip: '10.0.0.1', vhost: 'a.example', status: 404 },
      expect: { key: 'host/a.example', remoteAddr: '10.0.0.1', status: 404 },
    },
    {
      name: '$msec as a number',
      line: { ...NGINX, time: undefined, msec: 1795193521.123 },
      expect: { timeMs: 1795193521123 },
    },
    {
      name: '$msec as a string',
      line: { ...NGINX, time: '1795193521.5' },
      expect: { timeMs: 1795193521500 },
    },
    {
      name: 'no time: left to the receiver',
      line: { ...NGINX, time: '-' },
      expect: { timeMs: undefined },
    },
    {
      name: 'an unparseable time: left to the receiver',
      line: { ...NGINX, time: 'yesterday' },
      expect: { timeMs: undefined, status: 200 },
    },
    {
      name: 'Fluent Bit without a parser: the line under log',
      line: { date: 1795193521.1, log: JSON.stringify(NGINX), stream: 'stdout' },
      expect: { key: 'ingress/shop/web', status: 200 },
    },
    {
      name: 'the line under message',
      line: { message: JSON.stringify({ ...NGINX, status: 500 }) },
      expect: { status: 500 },
    },
  ];
  for (const c of ok) {
    it(c.name, () => {
      const r = parseLine(JSON.stringify(c.line), new TimeParser());
      assert.ok(r.ok, JSON.stringify(r));
      for (const [k, v] of Object.entries(c.expect))
        assert.deepEqual(r.record[k as keyof AccessRecord], v, k);
    });
  }

  const bad: Array<{ name: string; line: string; reason: string }> = [
    { name: 'not JSON', line: '127.0.0.1 - - [23/Nov/2026] "GET /"', reason: 'json' },
    { name: 'truncated JSON', line: JSON.stringify(NGINX).slice(0, 40), reason: 'json' },
    { name: 'a JSON array', line: '[1,2]', reason: 'json' },
    { name: 'a JSON string', line: '"hello"', reason: 'json' },
    { name: 'null', line: 'null', reason: 'json' },
    { name: 'no status', line: JSON.stringify({ ...NGINX, status: undefined }), reason: 'status' },
    { name: 'status "-"', line: JSON.stringify({ ...NGINX, status: '-' }), reason: 'status' },
    { name: 'status out of range', line: JSON.stringify({ ...NGINX, status: 999 }), reason: 'status' },
    { name: 'status not a number', line: JSON.stringify({ ...NGINX, status: 'OK' }), reason: 'status' },
    { name: 'no source address', line: JSON.stringify({ ...NGINX, remote_addr: '-' }), reason: 'source' },
    {
      name: 'neither Ingress nor host',
      line: JSON.stringify({ ...NGINX, namespace: undefined, ingress_name: undefined, host: '-' }),
      reason: 'target',
    },
    { name: 'a wrapper holding junk', line: JSON.stringify({ log: '{not json' }), reason: 'status' },
    {
      name: 'a Host longer than a DNS name (client-chosen)',
      line: JSON.stringify({ ...NGINX, namespace: '', ingress_name: '', host: 'a'.repeat(254) }),
      reason: 'target',
    },
    {
      name: 'a namespace longer than a DNS label',
      line: JSON.stringify({ ...NGINX, namespace: 'n'.repeat(64) }),
      reason: 'target',
    },
    {
      name: 'an address longer than any address',
      line: JSON.stringify({ ...NGINX, remote_addr: '1'.repeat(65) }),
      reason: 'source',
    },
  ];
  for (const c of bad) {
    it(`malformed: ${c.name}`, () => {
      const r = parseLine(c.line, new TimeParser());
      assert.deepEqual(r, { ok: false, reason: c.reason });
    });
  }

  it('parseRecord takes decoded values (JSON array bodies)', () => {
    const r = parseRecord(NGINX, new TimeParser());
    assert.ok(r.ok);
    assert.equal(r.record.key, 'ingress/shop/web');
    assert.deepEqual(parseRecord(42, new TimeParser()), { ok: false, reason: 'json' });
  });

  it('TimeParser remembers the last string but parses each new one', () => {
    const t = new TimeParser();
    assert.equal(t.parse({ time: '2026-11-23T16:52:01Z' }), Date.parse('2026-11-23T16:52:01Z'));
    assert.equal(t.parse({ time: '2026-11-23T16:52:01Z' }), Date.parse('2026-11-23T16:52:01Z'));
    assert.equal(t.parse({ time: '2026-11-23T16:52:02Z' }), Date.parse('2026-11-23T16:52:02Z'));
    assert.equal(t.parse({ time: 'junk' }), undefined);
  });
});
