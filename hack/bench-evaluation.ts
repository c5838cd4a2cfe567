/**
 * Measures the attacks of ADR 0014 against CEL and globs: each evaluation under the default
 * budget, under units only, and (with `--unbudgeted`) the library as shipped with no budget, which
 * takes minutes. Run after a build: `node dist/hack/bench-evaluation.js [--unbudgeted]`.
 */
import type { KubeObject } from '../src/api/kube-object.js';
import { compileCel, loadCel } from '../src/detections/cel.js';
import type { CelBudget } from '../src/detections/cel-budget.js';
import { compileGlob } from '../src/detections/glob.js';

const A = 'object.metadata.annotations';
const pod = (annotations: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'x', annotations },
});
const bomb = pod({ payload: 'a'.repeat(150 * 1024) });
const thirty = pod(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 'v'])));
const nest = (d: number, inner: string): string =>
  d === 0 ? inner : `${A}.all(v${d}, ${nest(d - 1, inner)})`;
const CASES: [string, string, KubeObject][] = [
  [
    'replace x3 over 150 KiB',
    `${A}.exists(k, ${A}[k].replace('a','bb').replace('b','cc').replace('c','dd').contains('x'))`,
    bomb,
  ],
  ['6-deep all() over 30 annotations', nest(6, 'true'), thirty],
  ["split('') of 150 KiB, iterated", `${A}.exists(k, ${A}[k].split('').exists(c, c == 'x'))`, bomb],
  ['contains over 150 KiB', `${A}.exists(k, ${A}[k].contains('x'))`, bomb],
  ['matches over 150 KiB', `${A}.exists(k, ${A}[k].matches('^(a|aa)+b$'))`, bomb],
];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function runBudgeted(label: string, budget: CelBudget | undefined): void {
  console.log(`## ${label}`);
  for (const [name, src, obj] of CASES) {
    const times: number[] = [];
    let out = '';
    for (let i = 0; i < 7; i++) {
      const c = compileCel(src, budget);
      if (!c.ok) throw new Error(c.error);
      const o = structuredClone(obj);
      const t = performance.now();
      const r = c.condition.evaluate(o);
      times.push(performance.now() - t);
      out = r.ok ? String(r.value) : r.error;
    }
    const max = Math.max(...times).toFixed(1);
    console.log(`${name}: median ${median(times).toFixed(1)} ms, max ${max} ms → ${out}`);
  }
}

async function runUnbudgeted(): Promise<void> {
  const cel = await import('@bufbuild/cel');
  const ext = await import('@bufbuild/cel/ext');
  const env = cel.celEnv({ funcs: ext.strings });
  console.log('## library as shipped, no budget (one run each)');
  const cases: [string, string, KubeObject][] = [
    ["one replace('a', 'bb') over 150 KiB", `${A}.exists(k, ${A}[k].replace('a','bb').contains('x'))`, bomb],
    ['5-deep all() over 30 annotations', nest(5, 'true'), thirty],
  ];
  for (const [name, src, obj] of cases) {
    const program = cel.plan(env, cel.parse(src));
    const t = performance.now();
    program({ object: obj as never });
    console.log(`${name}: ${(performance.now() - t).toFixed(0)} ms`);
  }
  const re = /^.*-.*-.*-.*-.*-x$/;
  const t = performance.now();
  re.test(`g${'-'.repeat(251)}g`);
  console.log(`regex ^.*-.*-.*-.*-.*-x$ vs a 253-character name: ${(performance.now() - t).toFixed(0)} ms`);
}

await loadCel();
runBudgeted('default budget', undefined);
runBudgeted('units only (no deadline)', { cost: 1_000_000, deadlineMs: 1e9 });
const name = `g${'-'.repeat(251)}g`;
for (const g of ['*-*-*-*-*-x', '*-*-*-*-*-*-y']) {
  const m = compileGlob(g);
  const t = performance.now();
  const r = m.test(name);
  console.log(`glob ${g} vs a 253-character name: ${(performance.now() - t).toFixed(3)} ms → ${r}`);
}
if (process.argv.includes('--unbudgeted')) await runUnbudgeted();
