import assert from 'node:assert/strict';
import {
  evaluate,
  type RiskRule,
  type RuleFailure,
  ruleFailureNote,
} from '../../../../src/subjects/risks/types.js';

const rule = (id: string, check: RiskRule<string>['check']): RiskRule<string> => ({
  id,
  severity: 'High',
  title: id,
  description: id,
  reference: { label: 'l', url: 'https://example.com' },
  check,
});

describe('evaluate', () => {
  it('a rule whose check throws is reported, and the others still run (fail open)', () => {
    const failed: RuleFailure[] = [];
    const risks = evaluate(
      [
        rule('t.throws', () => {
          throw new Error('odd shape');
        }),
        rule('t.matches', (s) => [s]),
      ],
      'x',
      undefined,
      failed,
    );
    assert.deepEqual(
      risks.map((r) => r.id),
      ['t.matches'],
    );
    assert.deepEqual(
      failed.map((f) => f.rule),
      ['t.throws'],
    );
    assert.equal(
      ruleFailureNote(failed[0] as RuleFailure),
      'risk rule t.throws could not be evaluated (odd shape); the alert may lack that risk',
    );
  });
});
