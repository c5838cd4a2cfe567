import assert from 'node:assert/strict';
import { analyseSubject } from '../../../src/subjects/index.js';
import { subjectFixture } from '../support/fixtures.js';

describe('clusterrole analyser', () => {
  const cases: { name: string; obj: unknown; want: Record<string, unknown>; summary: RegExp }[] = [
    {
      name: 'rules and an aggregate-to label',
      obj: subjectFixture('clusterrole'),
      want: {
        rules: [
          { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
          { verbs: ['get'], nonResourceURLs: ['/metrics'] },
        ],
        verbs: ['get', 'list', 'watch', 'create'],
        resources: ['secrets', 'pods/exec', '/metrics'],
        aggregatesTo: ['admin'],
        aggregationRule: undefined,
      },
      summary: /^ClusterRole secret-reader grants 3 rules; .*; aggregated into admin$/,
    },
    {
      name: 'an aggregationRule',
      obj: subjectFixture('clusterrole-aggregated'),
      want: {
        rules: [],
        aggregationRule: {
          clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }],
        },
        aggregatesTo: undefined,
      },
      summary: /^ClusterRole monitoring grants 0 rules; collects rules by aggregation$/,
    },
    {
      name: 'a namespaced Role uses the same reader',
      obj: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'r', namespace: 'ns' },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      },
      want: { verbs: ['*'], resources: ['*'] },
      summary: /^Role ns\/r grants 1 rule in namespace ns; verbs \*; resources \*$/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = analyseSubject(c.obj);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got.evidence[k], v, k);
      assert.match(got.summary, c.summary);
      assert.deepEqual(got.notes, []);
    });
  }
});

describe('Role risks are scoped to the Role namespace (issue 17)', () => {
  const secretReader = (kind: string, namespace?: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name: 'reader', ...(namespace ? { namespace } : {}) },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
  });
  const cases = [
    {
      name: 'a Role that reads Secrets says in which namespace',
      obj: secretReader('Role', 'shop'),
      want: /^Can read Secrets in namespace shop: rules\[0\]: get on secrets$/,
    },
    {
      name: 'a ClusterRole that reads Secrets names no namespace',
      obj: secretReader('ClusterRole'),
      want: /^Can read Secrets: rules\[0\]: get on secrets$/,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const risk = analyseSubject(c.obj).risks.find((r) => r.id === 'clusterrole.secrets-read');
      assert.match(risk?.message ?? '', c.want);
    });
});
