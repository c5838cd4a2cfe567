import assert from 'node:assert/strict';
import * as cel from '@bufbuild/cel';
import * as ext from '@bufbuild/cel/ext';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { compileCel } from '../../../src/detections/cel.js';
import {
  type CelBudget,
  CelMeter,
  DEFAULT_CEL_BUDGET,
  linearReplace,
  metered,
} from '../../../src/detections/cel-budget.js';

const pod = (annotations: Record<string, string>, meta: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'team', annotations, ...meta },
});
const A = 'object.metadata.annotations';
/** Thirty annotations: a 6-deep `all()` over them is 30^6 ≈ 7·10^8 iterations. */
const thirty = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 'v']));
const bomb = { payload: 'a'.repeat(150 * 1024) };
const nest = (depth: number, inner: string): string =>
  depth === 0 ? inner : `${A}.all(v${depth}, ${nest(depth - 1, inner)})`;
/** No wall-clock limit: outcomes depend on counted units only. */
const units = (cost: number): CelBudget => ({ cost, deadlineMs: 1e9 });

const evaluate = (expr: string, obj: KubeObject, budget: CelBudget = DEFAULT_CEL_BUDGET) => {
  const c = compileCel(expr, budget);
  assert.ok(c.ok, c.ok ? '' : c.error);
  return c.condition.evaluate(obj);
};

describe('CEL evaluation budget', () => {
  const cases: { name: string; expr: string; obj: KubeObject; budget?: CelBudget; want: boolean | 'over' }[] =
    [
      {
        name: 'replace chain over a small annotation: evaluated',
        expr: `${A}.exists(k, ${A}[k].replace('a', 'bb').replace('b', 'cc').replace('c', 'dd').contains('d'))`,
        obj: pod({ note: 'abc' }),
        want: true,
      },
      {
        name: 'replace chain over a 150 KiB annotation: over budget, not an exception',
        expr: `${A}.exists(k, ${A}[k].replace('a', 'bb').replace('b', 'cc').replace('c', 'dd').contains('x'))`,
        obj: pod(bomb),
        budget: units(DEFAULT_CEL_BUDGET.cost),
        want: 'over',
      },
      {
        name: 'a replacement whose result would be huge is refused before it runs',
        expr: `${A}.exists(k, ${A}[k].replace('a', ${A}[k]).size() > 0)`,
        obj: pod(bomb),
        budget: units(DEFAULT_CEL_BUDGET.cost),
        want: 'over',
      },
      {
        name: 'an empty search string with a huge count is refused before it runs',
        expr: `${A}.exists(k, ${A}[k].replace('', 'xx', 9000000000000000000).size() > 0)`,
        obj: pod({ note: 'a' }),
        budget: units(DEFAULT_CEL_BUDGET.cost),
        want: 'over',
      },
      {
        name: '6-deep all() over 30 annotations: over budget',
        expr: nest(6, 'true'),
        obj: pod(thirty),
        budget: units(DEFAULT_CEL_BUDGET.cost),
        want: 'over',
      },
      {
        name: '2-deep all() over 30 annotations: evaluated',
        expr: nest(2, 'v1.startsWith("k")'),
        obj: pod(thirty),
        budget: units(DEFAULT_CEL_BUDGET.cost),
        want: true,
      },
      {
        name: 'a range copied in full by each outer iteration is charged per element, though the inner loop stops at once',
        expr: `${A}.all(a, !${A}.all(b, false))`,
        obj: pod(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, '']))),
        budget: units(DEFAULT_CEL_BUDGET.cost),
        want: 'over',
      },
      {
        name: 'split of a 150 KiB string iterated: over budget',
        expr: `${A}.exists(k, ${A}[k].split('').exists(c, c == 'x'))`,
        obj: pod(bomb),
        budget: units(DEFAULT_CEL_BUDGET.cost),
        want: 'over',
      },
      {
        name: 'contains over a 150 KiB annotation: evaluated (linear, within budget)',
        expr: `${A}.exists(k, ${A}[k].contains('x'))`,
        obj: pod(bomb),
        budget: units(DEFAULT_CEL_BUDGET.cost),
        want: false,
      },
      {
        name: 'an overrun absorbed by || still counts as over budget',
        expr: `${A}.exists(k, ${A}[k].replace('a', 'bb').replace('b', 'cc').contains('x')) || true`,
        obj: pod(bomb),
        budget: units(200_000),
        want: 'over',
      },
      {
        name: 'a tiny budget stops a tiny expression',
        expr: `${A}.exists(k, k.startsWith('n'))`,
        obj: pod({ note: 'a' }),
        budget: units(10),
        want: 'over',
      },
      {
        name: 'a deadline already passed stops an evaluation of many calls (the clock is read every few charges)',
        expr: nest(2, 'v1.startsWith("k")'),
        obj: pod(thirty),
        budget: { cost: 1e9, deadlineMs: -1 },
        want: 'over',
      },
    ];
  for (const c of cases)
    it(c.name, () => {
      const r = evaluate(c.expr, c.obj, c.budget);
      if (c.want === 'over') {
        assert.equal(r.ok, false);
        assert.equal(!r.ok && r.overBudget, true, JSON.stringify(r));
        assert.match(!r.ok ? r.error : '', /^evaluation budget exceeded \((cost|time) limit\)$/);
      } else assert.deepEqual(r, { ok: true, value: c.want });
    });

  const replaces: { expr: string; want: string }[] = [
    { expr: "'banana'.replace('a', 'o')", want: 'bonono' },
    { expr: "'banana'.replace('a', 'o', 2)", want: 'bonona' },
    { expr: "'banana'.replace('a', 'o', 0)", want: 'banana' },
    { expr: "'banana'.replace('a', 'o', -1)", want: 'banana' },
    { expr: "'banana'.replace('an', '')", want: 'ba' },
    { expr: "'aaa'.replace('a', 'aa')", want: 'aaaaaa' },
    { expr: "'abc'.replace('', 'x')", want: 'xxxabc' },
    { expr: "'abc'.replace('', 'x', 2)", want: 'xxabc' },
    { expr: "''.replace('', 'x')", want: '' },
    { expr: "'abc'.replace('z', 'x')", want: 'abc' },
  ];
  for (const c of replaces)
    it(`linear replace keeps the extension's results: ${c.expr} == '${c.want}'`, () =>
      assert.deepEqual(evaluate(`${c.expr} == '${c.want}'`, pod({})), { ok: true, value: true }));

  it("linear replace agrees with the strings extension's on every small target, search, replacement and count", () => {
    const shipped = cel.celEnv({ funcs: ext.strings });
    const linear = cel.celEnv({ funcs: [...ext.strings, ...linearReplace(cel)] });
    const run = (env: cel.CelEnv, e: string) => cel.plan(env, cel.parse(e))({});
    const pieces = ['', 'a', 'b', 'ab', 'aa', 'ba'];
    for (const t of ['', 'a', 'ab', 'aab', 'abab', 'baaab', 'aaaa'])
      for (const sub of pieces)
        for (const repl of pieces)
          for (const n of ['', ', -1', ', 0', ', 1', ', 2', ', 5']) {
            const e = `'${t}'.replace('${sub}', '${repl}'${n})`;
            assert.equal(run(linear, e), run(shipped, e), e);
          }
  });

  it('a meter refuses once the units are spent and stays spent', () => {
    const m = new CelMeter(units(10));
    assert.equal(
      metered(m, () => m.charge(10)),
      true,
    );
    assert.equal(m.charge(1), false);
    assert.equal(m.exceeded, 'cost limit');
    assert.equal(m.charge(0), false);
  });

  it('one version of an object is evaluated once: the outcome is remembered by uid and resourceVersion', () => {
    const c = compileCel(`${A}.exists(k, k == 'hit')`);
    assert.ok(c.ok);
    const v1 = { uid: 'u1', resourceVersion: '7' };
    assert.deepEqual(c.condition.evaluate(pod({ hit: '' }, v1)), { ok: true, value: true });
    // Same uid and resourceVersion: the same content by definition, so the remembered outcome.
    assert.deepEqual(c.condition.evaluate(pod({ miss: '' }, v1)), { ok: true, value: true });
    assert.deepEqual(c.condition.evaluate(pod({ miss: '' }, { ...v1, resourceVersion: '8' })), {
      ok: true,
      value: false,
    });
    // With an oldObject it is another evaluation (an update), not the create of the same version.
    const old = pod({}, { uid: 'u1', resourceVersion: '6' });
    assert.deepEqual(c.condition.evaluate(pod({ miss: '' }, v1), old), { ok: true, value: false });
  });
});
