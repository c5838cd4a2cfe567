import assert from 'node:assert/strict';
import { alertName } from '../../../src/alerts/name.js';

const UID = '3b1d2c4e-0000-4000-8000-000000000001';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('alertName', () => {
  const cases: { name: string; args: [string, string, string?]; want: string | RegExp }[] = [
    // Pinned values: a change here renames every alert and breaks exactly-once across upgrades.
    { name: 'detection and uid', args: ['ingress-created', UID], want: 'ingress-created-a72a426b28' },
    {
      name: 'with a change key',
      args: ['ingress-created', UID, 'gen-2'],
      want: 'ingress-created-bb440a1ce0',
    },
    {
      name: 'an empty change key is a key',
      args: ['ingress-created', UID, ''],
      want: 'ingress-created-82c9a66054',
    },
    {
      name: 'upper case and odd characters are made DNS-safe',
      args: ['My_Detection!', UID],
      want: /^my-detection-[0-9a-f]{10}$/,
    },
    { name: 'dots survive, empty labels do not', args: ['a..b.-c-', UID], want: /^a\.b\.c-[0-9a-f]{10}$/ },
    { name: 'nothing usable falls back to "alert"', args: ['___', UID], want: /^alert-[0-9a-f]{10}$/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = alertName(...c.args);
      if (typeof c.want === 'string') assert.equal(got, c.want);
      else assert.match(got, c.want);
      assert.match(got, DNS_SUBDOMAIN);
    });
  }

  const long = [
    { name: '300 letters', detection: 'a'.repeat(300) },
    { name: 'cut lands on a dash', detection: `${'a'.repeat(241)}-${'b'.repeat(50)}` },
    { name: 'cut lands on a dot', detection: `${'a'.repeat(241)}.${'b'.repeat(50)}` },
  ];
  for (const c of long) {
    it(`keeps long names valid: ${c.name}`, () => {
      const got = alertName(c.detection, UID);
      assert.ok(got.length <= 253, `length ${got.length}`);
      assert.match(got, DNS_SUBDOMAIN);
    });
  }

  it('hashes the full detection name, so two long names cut alike still differ', () => {
    const a = alertName(`${'a'.repeat(260)}x`, UID);
    const b = alertName(`${'a'.repeat(260)}y`, UID);
    assert.notEqual(a, b);
  });

  it('differs by uid and by change key', () => {
    const names = new Set([
      alertName('d', 'u1'),
      alertName('d', 'u2'),
      alertName('d', 'u1', 'k'),
      alertName('e', 'u1'),
    ]);
    assert.equal(names.size, 4);
  });
});
