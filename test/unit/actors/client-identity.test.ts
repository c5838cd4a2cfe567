import assert from 'node:assert/strict';
import {
  certificateNames,
  identityAllowed,
  type PeerIdentity,
  parseClientNames,
} from '../../../src/actors/client-identity.js';

describe('client identity pinning', () => {
  const apiserver: PeerIdentity = { subject: { CN: 'kube-apiserver' } };
  const cases: { name: string; peer: PeerIdentity | undefined; allowed: string[]; want: boolean }[] = [
    { name: 'the pinned CN', peer: apiserver, allowed: ['kube-apiserver'], want: true },
    { name: 'one of several pinned names', peer: apiserver, allowed: ['a', 'kube-apiserver'], want: true },
    {
      name: 'a kubelet signed by the same CA',
      peer: { subject: { CN: 'system:node:worker-1' } },
      allowed: ['kube-apiserver'],
      want: false,
    },
    {
      name: 'a CN differing in case',
      peer: { subject: { CN: 'Kube-Apiserver' } },
      allowed: ['kube-apiserver'],
      want: false,
    },
    {
      name: 'a CN that only starts with the name',
      peer: { subject: { CN: 'kube-apiserver-x' } },
      allowed: ['kube-apiserver'],
      want: false,
    },
    { name: 'anyone when nothing is pinned', peer: apiserver, allowed: [], want: false },
    { name: 'no certificate', peer: undefined, allowed: ['kube-apiserver'], want: false },
    { name: 'an empty certificate', peer: {}, allowed: ['kube-apiserver'], want: false },
    {
      name: 'a DNS SAN',
      peer: { subject: { CN: 'x' }, subjectaltname: 'IP Address:10.0.0.1, DNS:apiserver.example' },
      allowed: ['apiserver.example'],
      want: true,
    },
    {
      name: 'a URI SAN',
      peer: { subjectaltname: 'URI:spiffe://cluster/apiserver' },
      allowed: ['spiffe://cluster/apiserver'],
      want: true,
    },
    {
      name: 'an IP SAN (addresses are not identities)',
      peer: { subjectaltname: 'IP Address:10.0.0.1' },
      allowed: ['10.0.0.1'],
      want: false,
    },
    {
      name: 'one of several CNs',
      peer: { subject: { CN: ['a', 'kube-apiserver'] } },
      allowed: ['kube-apiserver'],
      want: true,
    },
  ];
  for (const c of cases) {
    it(`${c.want ? 'admits' : 'refuses'} ${c.name}`, () => {
      assert.equal(identityAllowed(c.peer, c.allowed), c.want);
    });
  }

  it('lists the CNs, then the DNS and URI SANs', () => {
    assert.deepEqual(
      certificateNames({ subject: { CN: 'a' }, subjectaltname: 'DNS:b, IP Address:1.2.3.4, URI:c:d' }),
      ['a', 'b', 'c:d'],
    );
  });

  const flags: { value: string; want: string[] }[] = [
    { value: '', want: [] },
    { value: 'kube-apiserver', want: ['kube-apiserver'] },
    { value: ' a , ,b ', want: ['a', 'b'] },
  ];
  for (const f of flags) {
    it(`reads the flag value ${JSON.stringify(f.value)}`, () =>
      assert.deepEqual(parseClientNames(f.value), f.want));
  }
});
