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
      summary: /^Role ns\/r grants 1 rule; verbs \*; resources \*$/,
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
