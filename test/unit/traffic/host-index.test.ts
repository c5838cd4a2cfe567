import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { HostIndex } from '../../../src/traffic/host-index.js';

const ing = (namespace: string, name: string, ...hosts: string[]): KubeObject =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace, name },
    spec: { rules: hosts.map((host) => ({ host })) },
  }) as KubeObject;

describe('traffic/host-index HostIndex', () => {
  const idx = new HostIndex();
  idx.replace([
    ing('shop', 'web', 'Shop.Example.com'),
    ing('b', 'second', 'shop.example.com'),
    ing('wild', 'any', '*.apps.example.com'),
    ing('none', 'nohost'),
  ]);
  const cases = [
    { name: 'exact, case-insensitive, first by namespace/name', host: 'shop.example.com', want: 'b/second' },
    { name: 'wildcard covers one label', host: 'x.apps.example.com', want: 'wild/any' },
    { name: 'wildcard does not cover two labels', host: 'y.x.apps.example.com', want: undefined },
    { name: 'wildcard does not cover the bare domain', host: 'apps.example.com', want: undefined },
    { name: 'a random Host maps to nothing', host: 'r4nd0m.attacker.example', want: undefined },
  ];
  for (const c of cases)
    it(c.name, () => {
      const hit = idx.lookup(c.host);
      assert.equal(hit && `${hit.namespace}/${hit.name}`, c.want);
    });

  it('lists every Ingress of a host, and is replaced whole', () => {
    assert.deepEqual(
      idx.all('shop.example.com').map((r) => r.name),
      ['second', 'web'],
    );
    const other = new HostIndex();
    other.replace([ing('shop', 'web', 'a.example')]);
    other.replace([]);
    assert.equal(other.size, 0);
  });
});
