import assert from 'node:assert/strict';
import { AllowList, cidrContains, hostRange, parseCidr, parseIp } from '../../../src/detections/address.js';

describe('traffic/address', () => {
  describe('parseIp', () => {
    const cases: Array<{ in: string; bytes?: number[] | 'v6'; why: string }> = [
      { in: '10.1.2.3', bytes: [10, 1, 2, 3], why: 'IPv4' },
      { in: ' 127.0.0.2 ', bytes: [127, 0, 0, 2], why: 'surrounding blanks' },
      { in: '::ffff:10.1.2.3', bytes: [10, 1, 2, 3], why: 'IPv4-mapped IPv6 folds to IPv4' },
      { in: '::ffff:a01:203', bytes: [10, 1, 2, 3], why: 'IPv4-mapped in hex' },
      { in: '2001:db8::1', bytes: 'v6', why: 'IPv6 with ::' },
      { in: '[2001:db8::1]', bytes: 'v6', why: 'brackets' },
      { in: 'fe80::1%eth0', bytes: 'v6', why: 'zone id' },
      { in: '::', bytes: 'v6', why: 'unspecified' },
      { in: '1:2:3:4:5:6:7:8', bytes: 'v6', why: 'full form' },
      { in: '256.1.1.1', why: 'octet above 255' },
      { in: '010.1.1.1', why: 'leading zero (ambiguous octal)' },
      { in: '1.2.3', why: 'three octets' },
      { in: '1::2::3', why: 'two ::' },
      { in: '1:2:3:4:5:6:7:8:9', why: 'nine groups' },
      { in: '12345::', why: 'group too long' },
      { in: '-', why: "nginx's empty value" },
      { in: '', why: 'empty' },
      { in: 'example.com', why: 'a name' },
    ];
    for (const c of cases) {
      it(`${JSON.stringify(c.in)}: ${c.why}`, () => {
        const got = parseIp(c.in);
        if (c.bytes === undefined) assert.equal(got, undefined);
        else if (c.bytes === 'v6') assert.equal(got?.length, 16);
        else assert.deepEqual([...(got ?? [])], c.bytes);
      });
    }
  });

  describe('parseCidr and cidrContains', () => {
    const cases: Array<{ range: string; addr: string; in: boolean }> = [
      { range: '10.0.0.0/8', addr: '10.255.1.2', in: true },
      { range: '10.0.0.0/8', addr: '11.0.0.1', in: false },
      { range: '10.0.0.0/8', addr: '::ffff:10.9.9.9', in: true },
      { range: '127.0.0.2/32', addr: '127.0.0.2', in: true },
      { range: '127.0.0.2/32', addr: '127.0.0.3', in: false },
      { range: '127.0.0.2', addr: '127.0.0.2', in: true },
      { range: '192.168.1.77/26', addr: '192.168.1.64', in: true },
      { range: '192.168.1.77/26', addr: '192.168.1.128', in: false },
      { range: '0.0.0.0/0', addr: '203.0.113.9', in: true },
      { range: '0.0.0.0/0', addr: '2001:db8::1', in: false },
      { range: '2001:db8::/32', addr: '2001:db8:ffff::1', in: true },
      { range: '2001:db8::/32', addr: '2001:db9::1', in: false },
      { range: '2001:db8::/33', addr: '2001:db8:8000::1', in: false },
      { range: '::/0', addr: '10.0.0.1', in: false },
      { range: '::ffff:0:0/96', addr: '10.0.0.1', in: true },
      { range: '::ffff:10.0.0.0/104', addr: '10.1.2.3', in: true },
      { range: '::ffff:10.0.0.0/104', addr: '11.1.2.3', in: false },
    ];
    for (const c of cases) {
      it(`${c.addr} ${c.in ? 'in' : 'not in'} ${c.range}`, () => {
        const r = parseCidr(c.range);
        const a = parseIp(c.addr);
        assert.ok(r && a);
        assert.equal(cidrContains(r, a), c.in);
      });
    }

    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/x', '10.0.0/8', 'nope', '10.0.0.0/']) {
      it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseCidr(bad), undefined));
    }

    it('normalises to the network address', () => {
      assert.equal(parseCidr('10.1.2.3/8')?.text, '10.1.2.3/8');
      assert.deepEqual([...(parseCidr('10.1.2.3/8')?.bytes ?? [])], [10, 0, 0, 0]);
    });
  });

  describe('AllowList', () => {
    const list = new AllowList(['127.0.0.2/32', '2001:db8::/32'].map((r) => parseCidr(r)!));
    const cases: Array<[string, string]> = [
      ['127.0.0.2', 'allowed'],
      ['127.0.0.3', 'disallowed'],
      ['2001:db8::5', 'allowed'],
      ['2001:db9::5', 'disallowed'],
      ['unix:', 'invalid'],
      ['127.0.0.2', 'allowed'], // memoised
    ];
    for (const [addr, verdict] of cases)
      it(`${addr} → ${verdict}`, () => assert.equal(list.check(addr), verdict));
  });

  it('hostRange: /32 for IPv4, /128 for IPv6', () => {
    assert.equal(hostRange('203.0.113.7'), '203.0.113.7/32');
    assert.equal(hostRange('2001:db8::1'), '2001:db8::1/128');
  });
});
