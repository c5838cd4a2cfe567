import assert from 'node:assert/strict';
import { analyseSubject } from '../../../src/subjects/index.js';
import { loadAll, subjectFixture } from '../support/fixtures.js';

describe('ingress analyser', () => {
  const cases: {
    name: string;
    obj: unknown;
    want: Record<string, unknown>;
    summary: RegExp;
    notes: RegExp[];
  }[] = [
    {
      name: 'networking.k8s.io/v1 with TLS, a default backend, a resource backend and a host-less rule',
      obj: subjectFixture('ingress'),
      want: {
        ingressClassName: 'nginx',
        classAnnotation: 'nginx',
        hosts: ['shop.example.com', 'admin.example.com'],
        anyHost: true,
        hostsWithoutTLS: ['admin.example.com'],
        defaultBackend: { service: 'fallback', port: 8080 },
        backends: ['fallback:8080', 'web:80', 'api:http', 'StorageBucket/static', 'debug:6060'],
        tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      },
      summary:
        /^Ingress shop\/web routes shop\.example\.com, admin\.example\.com, any host to fallback:8080, web:80, api:http \+2 more \(class nginx, TLS for 1 of 2 hosts\)$/,
      notes: [],
    },
    {
      name: 'removed extensions/v1beta1 shape',
      obj: subjectFixture('ingress-v1beta1'),
      want: {
        hosts: ['legacy.example.com'],
        hostsWithoutTLS: ['legacy.example.com'],
        defaultBackend: { service: 'default-http', port: 80 },
        backends: ['default-http:80', 'legacy:http'],
        tls: [],
      },
      summary:
        /^Ingress old\/legacy routes legacy\.example\.com to default-http:80, legacy:http \(no ingress class, no TLS\)$/,
      notes: [],
    },
    {
      name: 'rules that are not a list',
      obj: loadAll('test/fixtures/subjects/odd.yaml')[2],
      want: { hosts: [], rules: [], backends: [] },
      summary: /^Ingress shop\/rules-not-a-list routes nothing/,
      notes: [/^spec\.rules is an object, not the expected type/, /^spec\.tls\[0\]\.hosts is a string/],
    },
    {
      name: 'no spec at all',
      obj: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x', namespace: 'y' } },
      want: { hosts: [], rules: [], tls: [] },
      summary: /^Ingress y\/x routes nothing \(no ingress class, no TLS\)$/,
      notes: [/^spec is missing/],
    },
    {
      name: 'a path backend naming neither service nor resource',
      obj: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'x', namespace: 'y' },
        spec: { rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', backend: {} }] } }] },
      },
      want: { hosts: ['a.example.com'] },
      summary: /routes a\.example\.com/,
      notes: [/spec\.rules\[0\]\.http\.paths\[0\]\.backend names neither a service nor a resource/],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = analyseSubject(c.obj);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got.evidence[k], v, k);
      assert.match(got.summary, c.summary);
      assert.equal(got.notes.length, c.notes.length, got.notes.join('\n'));
      c.notes.forEach((re, i) => {
        assert.match(got.notes[i] ?? '', re);
      });
    });
  }

  it('lists every path with its backend', () => {
    const rules = analyseSubject(subjectFixture('ingress')).evidence.rules as Array<{ paths: unknown[] }>;
    assert.deepEqual(rules[0], {
      host: 'shop.example.com',
      paths: [
        { path: '/', pathType: 'Prefix', backend: { service: 'web', port: 80 } },
        { path: '/api', pathType: 'Prefix', backend: { service: 'api', port: 'http' } },
      ],
    });
  });
});
