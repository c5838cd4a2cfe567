import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  CERT_LIFETIME,
  type CertBundle,
  createBundle,
  renew,
  renewalNeeded,
} from '../../../src/actors/certs.js';

const NOW = new Date('2026-11-23T12:00:00Z');
const HOSTS = ['tripline-webhook.tripline-system.svc', '127.0.0.1'];
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000);

describe('generated webhook certificates', () => {
  let bundle: CertBundle;
  before(async () => {
    bundle = await createBundle(HOSTS, NOW);
  });

  // Checked with Node's own X.509 implementation, not the library that made them.
  it('issues a serving certificate for every host, signed by a CA that only signs', () => {
    const ca = new X509Certificate(bundle.ca.cert);
    const serving = new X509Certificate(bundle.serving.cert);
    assert.equal(ca.ca, true);
    assert.equal(serving.ca, false);
    assert.ok(serving.verify(ca.publicKey), 'serving certificate not signed by the CA');
    assert.equal(
      serving.checkHost('tripline-webhook.tripline-system.svc'),
      'tripline-webhook.tripline-system.svc',
    );
    assert.equal(serving.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(serving.checkHost('evil.example.com'), undefined);
    assert.ok(serving.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'not for server authentication');
    assert.equal(new Date(serving.validTo).getTime() > days(CERT_LIFETIME.servingDays - 1).getTime(), true);
  });

  it('keeps a bundle that is valid for long enough and names the same hosts', async () => {
    assert.equal(await renewalNeeded(bundle, HOSTS, NOW), 'none');
    assert.equal(await renewalNeeded(bundle, [...HOSTS].reverse(), days(100)), 'none');
  });

  const cases: {
    name: string;
    hosts?: string[];
    at?: Date;
    mutate?(b: CertBundle): CertBundle;
    want: string;
  }[] = [
    {
      name: 'the serving certificate near its end',
      at: days(CERT_LIFETIME.servingDays - 29),
      want: 'serving',
    },
    { name: 'another host asked for', hosts: [...HOSTS, '10.0.0.9'], want: 'serving' },
    { name: 'a host fewer', hosts: [HOSTS[0] as string], want: 'serving' },
    { name: 'the CA near its end', at: days(CERT_LIFETIME.caDays - 300), want: 'ca' },
    { name: 'unreadable material', mutate: (b) => ({ ...b, ca: { ...b.ca, cert: 'garbage' } }), want: 'ca' },
    { name: 'an unreadable CA key', mutate: (b) => ({ ...b, ca: { ...b.ca, key: 'garbage' } }), want: 'ca' },
  ];
  for (const c of cases) {
    it(`renews for ${c.name}`, async () => {
      const b = c.mutate ? c.mutate(bundle) : bundle;
      assert.equal(await renewalNeeded(b, c.hosts ?? HOSTS, c.at ?? NOW), c.want);
    });
  }

  it('renews for a serving certificate another CA signed', async () => {
    const other = await createBundle(HOSTS, NOW);
    assert.equal(await renewalNeeded({ ca: bundle.ca, serving: other.serving }, HOSTS, NOW), 'serving');
  });

  it('re-issues the serving certificate from the same CA, so trust stays', async () => {
    const later = days(CERT_LIFETIME.servingDays - 10);
    const renewed = await renew(bundle, 'serving', HOSTS, later);
    assert.equal(renewed.ca.cert, bundle.ca.cert);
    assert.notEqual(renewed.serving.cert, bundle.serving.cert);
    assert.ok(
      new X509Certificate(renewed.serving.cert).verify(new X509Certificate(bundle.ca.cert).publicKey),
    );
    assert.equal(await renewalNeeded(renewed, HOSTS, later), 'none');
  });

  it('replaces the CA when asked', async () => {
    const renewed = await renew(bundle, 'ca', HOSTS, NOW);
    assert.notEqual(renewed.ca.cert, bundle.ca.cert);
  });
});
