import assert from 'node:assert/strict';
import {
  globToRegExp,
  type LabelSelector,
  matchesSelector,
  selectorErrors,
} from '../../../src/detections/selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  const cases: { name: string; sel: LabelSelector | undefined; want: boolean }[] = [
    { name: 'no selector matches', sel: undefined, want: true },
    { name: 'empty selector matches', sel: {}, want: true },
    { name: 'matchLabels equal', sel: { matchLabels: { app: 'web' } }, want: true },
    { name: 'matchLabels differ', sel: { matchLabels: { app: 'db' } }, want: false },
    {
      name: 'In',
      sel: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'x'] }] },
      want: true,
    },
    {
      name: 'In misses',
      sel: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      want: false,
    },
    {
      name: 'NotIn',
      sel: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] },
      want: true,
    },
    {
      name: 'NotIn absent key',
      sel: { matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['a'] }] },
      want: true,
    },
    { name: 'Exists', sel: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, want: true },
    {
      name: 'DoesNotExist',
      sel: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      want: false,
    },
    {
      name: 'unknown operator never matches',
      sel: { matchExpressions: [{ key: 'app', operator: 'Like' }] },
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(matchesSelector(c.sel, labels), c.want));

  it('reports unknown operators and missing values', () => {
    const errs = selectorErrors(
      {
        matchExpressions: [
          { key: 'a', operator: 'Like' },
          { key: 'b', operator: 'In' },
        ],
      },
      'spec.match.objectSelector',
    );
    assert.equal(errs.length, 2);
    assert.match(errs[0] as string, /unknown operator "Like"/);
    assert.match(errs[1] as string, /values: required for In/);
  });

  const globs: [string, string, boolean][] = [
    ['kube-*', 'kube-system', true],
    ['kube-*', 'default', false],
    ['team-?', 'team-a', true],
    ['a.b', 'axb', false],
    ['prod', 'prod', true],
  ];
  for (const [g, s, want] of globs)
    it(`glob ${g} ~ ${s} is ${want}`, () => assert.equal(globToRegExp(g).test(s), want));
});
