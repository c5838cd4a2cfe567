import assert from 'node:assert/strict';
import { type Cidr, parseCidr } from '../../../src/detections/address.js';
import { forwardedClient, MAX_FORWARDED_CHARS } from '../../../src/traffic/forwarded.js';

const cidrs = (...r: string[]): Cidr[] => r.map((x) => parseCidr(x) as Cidr);
const long = `${'203.0.113.1, '.repeat(200)}198.51.100.7`;

describe('traffic/forwarded forwardedClient', () => {
  const cases: Array<{
    name: string;
    header: string | undefined;
    peer: string;
    trusted: Cidr[];
    want: string;
    fellBack?: boolean;
  }> = [
    { name: 'no header: the peer', header: undefined, peer: '10.0.0.9', trusted: [], want: '10.0.0.9' },
    { name: 'blank header: the peer', header: '  ', peer: '10.0.0.9', trusted: [], want: '10.0.0.9' },
    {
      name: 'one entry: the client the LB saw',
      header: '198.51.100.7',
      peer: '10.0.0.9',
      trusted: [],
      want: '198.51.100.7',
    },
    {
      name: 'a spoofed first entry is ignored: the rightmost wins',
      header: '10.1.2.3, 198.51.100.7',
      peer: '10.0.0.9',
      trusted: [],
      want: '198.51.100.7',
    },
    {
      name: '$proxy_add_x_forwarded_for (ends with the peer): the entry before it',
      header: '10.1.2.3, 198.51.100.7, 10.0.0.9',
      peer: '10.0.0.9',
      trusted: [],
      want: '198.51.100.7',
    },
    {
      name: 'trusted proxy hops are skipped',
      header: '10.1.2.3, 198.51.100.7, 192.168.1.1',
      peer: '10.0.0.9',
      trusted: cidrs('10.0.0.0/24', '192.168.0.0/16'),
      want: '198.51.100.7',
    },
    {
      name: 'a peer that is not a trusted proxy wrote nothing we believe: the peer',
      header: '10.1.2.3',
      peer: '198.51.100.66',
      trusted: cidrs('10.0.0.0/24'),
      want: '198.51.100.66',
    },
    {
      name: 'every entry trusted: the leftmost (where the chain starts)',
      header: '192.168.1.2, 192.168.1.1',
      peer: '10.0.0.9',
      trusted: cidrs('10.0.0.0/24', '192.168.0.0/16'),
      want: '192.168.1.2',
    },
    {
      name: 'not an address at the client position: the peer, counted',
      header: '198.51.100.7, evil<script>',
      peer: '10.0.0.9',
      trusted: [],
      want: '10.0.0.9',
      fellBack: true,
    },
    {
      name: 'an 8 kB "address": the peer, counted',
      header: `fe80::1%${'x'.repeat(8000)}`,
      peer: '10.0.0.9',
      trusted: [],
      want: '10.0.0.9',
      fellBack: true,
    },
    {
      name: 'an overlong header is read from its right end',
      header: long,
      peer: '10.0.0.9',
      trusted: [],
      want: '198.51.100.7',
    },
    {
      name: 'an overlong chain of trusted hops: the peer, counted (the start was cut off)',
      header: `${'192.168.1.1, '.repeat(200)}192.168.1.2`,
      peer: '10.0.0.9',
      trusted: cidrs('10.0.0.0/24', '192.168.0.0/16'),
      want: '10.0.0.9',
      fellBack: true,
    },
    { name: 'IPv6 entries', header: '2001:db8::7', peer: '10.0.0.9', trusted: [], want: '2001:db8::7' },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.deepEqual(forwardedClient(c.header, c.peer, c.trusted), {
        address: c.want,
        fellBack: c.fellBack ?? false,
      });
    });

  it('reads at most MAX_FORWARDED_CHARS', () => {
    assert.ok(long.length > MAX_FORWARDED_CHARS);
  });
});
