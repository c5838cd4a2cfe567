import assert from 'node:assert/strict';
import { analyseSubject } from '../../../src/subjects/index.js';
import { loadAll, subjectFixture } from '../support/fixtures.js';

describe('namespace analyser', () => {
  const cases: {
    name: string;
    obj: unknown;
    want: Record<string, unknown>;
    summary: RegExp;
    notes: number;
  }[] = [
    {
      name: 'Pod Security labels called out, missing modes listed',
      obj: subjectFixture('namespace'),
      want: {
        podSecurity: { enforce: 'baseline', 'enforce-version': 'latest', warn: 'restricted' },
        podSecurityModesMissing: ['audit'],
        phase: 'Active',
      },
      summary: /^Namespace team-a: Pod Security enforce=baseline; 5 labels$/,
      notes: 0,
    },
    {
      name: 'no labels at all',
      obj: subjectFixture('namespace-bare'),
      want: { podSecurity: {}, podSecurityModesMissing: ['enforce', 'audit', 'warn'] },
      summary: /^Namespace scratch: no Pod Security enforce label; 0 labels$/,
      notes: 0,
    },
    {
      name: 'a status that is not an object',
      obj: loadAll('test/fixtures/subjects/odd.yaml')[4],
      want: { phase: undefined },
      summary: /^Namespace ns-with-odd-status: no Pod Security enforce label/,
      notes: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = analyseSubject(c.obj);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got.evidence[k], v, k);
      assert.match(got.summary, c.summary);
      assert.equal(got.notes.length, c.notes, got.notes.join('\n'));
    });
  }

  it('keeps all labels in metadata evidence', () => {
    const meta = analyseSubject(subjectFixture('namespace')).evidence.metadata as {
      labels: Record<string, string>;
    };
    assert.equal(meta.labels['pod-security.kubernetes.io/enforce'], 'baseline');
    assert.equal(meta.labels.team, 'a');
  });
});
