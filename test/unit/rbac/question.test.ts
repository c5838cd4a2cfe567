import assert from 'node:assert/strict';
import {
  asksWhoCan,
  morePointer,
  questionFor,
  questionOfSummary,
  whoCanSummary,
} from '../../../src/rbac/question.js';
import type { WhoCanQuestion } from '../../../src/rbac/who-can.js';

describe('rbac/question', () => {
  const round: { name: string; q: WhoCanQuestion; words: string }[] = [
    {
      name: 'a namespaced resource of a group',
      q: { verbs: ['create'], group: 'networking.k8s.io', resource: 'ingresses', namespace: 'team-a' },
      words: 'create ingresses.networking.k8s.io in namespace team-a',
    },
    {
      name: 'a core resource, cluster-wide',
      q: { verbs: ['update', 'patch'], group: '', resource: 'namespaces' },
      words: 'update/patch namespaces cluster-wide',
    },
  ];
  for (const c of round) {
    it(`keeps ${c.name} in the summary in words and in parts, and reads it back`, () => {
      const s = whoCanSummary(c.q, 12, 5);
      assert.equal(s.question, c.words);
      assert.deepEqual([s.total, s.listed], [12, 5]);
      assert.deepEqual(questionOfSummary(JSON.parse(JSON.stringify(s))), c.q);
    });
  }

  const notAQuestion: { name: string; summary: unknown }[] = [
    { name: 'no summary', summary: undefined },
    { name: 'a string', summary: 'create pods' },
    {
      name: "an older operator's summary (words only)",
      summary: { question: 'create pods', total: 1, listed: 1 },
    },
    { name: 'no verbs', summary: { verbs: [], group: '', resource: 'pods' } },
    { name: 'a verb that is not a string', summary: { verbs: ['create', 1], group: '', resource: 'pods' } },
    { name: 'no group', summary: { verbs: ['create'], resource: 'pods' } },
    { name: 'an empty resource', summary: { verbs: ['create'], group: '', resource: '' } },
  ];
  for (const c of notAQuestion) {
    it(`reads no question from ${c.name}`, () => assert.equal(questionOfSummary(c.summary), undefined));
  }

  it('asks for events that create, update or delete, and rebuilds the same question as the enricher', () => {
    assert.deepEqual(['Created', 'Updated', 'Deleted', 'TrafficAnomaly'].map(asksWhoCan), [
      true,
      true,
      true,
      false,
    ]);
    assert.deepEqual(questionFor('Updated', { group: 'rbac.authorization.k8s.io', resource: 'roles' }, 'a'), {
      verbs: ['update', 'patch', 'bind', 'escalate'],
      group: 'rbac.authorization.k8s.io',
      resource: 'roles',
      namespace: 'a',
    });
  });

  it('points to the command with the count', () => {
    assert.equal(morePointer('a-1', 7), '7 more: kubectl tripline who-can a-1');
  });
});
