import assert from 'node:assert/strict';
import { compileGlob } from '../../../src/detections/glob.js';

/** The regular expression globs used to compile to: the reference for small inputs. */
const asRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/** A 253-character name (the longest DNS subdomain) of dashes between two letters. */
const dashes = `g${'-'.repeat(251)}g`;

describe('compileGlob', () => {
  const cases: { glob: string; s: string; want: boolean }[] = [
    { glob: 'kube-*', s: 'kube-system', want: true },
    { glob: 'kube-*', s: 'kube', want: false },
    { glob: '*', s: '', want: true },
    { glob: '', s: '', want: true },
    { glob: '', s: 'a', want: false },
    { glob: '?', s: '', want: false },
    { glob: '?', s: 'a', want: true },
    { glob: 'team-?', s: 'team-ab', want: false },
    { glob: '*-prod', s: 'shop-prod', want: true },
    { glob: '*-prod', s: 'shop-prod-2', want: false },
    { glob: 'a*b*c', s: 'abc', want: true },
    { glob: 'a*b*c', s: 'axxbyyc', want: true },
    { glob: 'a*b*c', s: 'axxbyy', want: false },
    { glob: 'a**b', s: 'ab', want: true },
    { glob: '*a*', s: 'bab', want: true },
    { glob: 'a.b', s: 'axb', want: false },
    { glob: 'a.b', s: 'a.b', want: true },
    { glob: '(x)+[y]$', s: '(x)+[y]$', want: true },
    { glob: '*?', s: '', want: false },
    { glob: '*?*?', s: 'ab', want: true },
    // Pathological for a backtracking engine; answers must come out right (and at once).
    { glob: '*-*-*-*-*-x', s: dashes, want: false },
    { glob: '*-*-*-*-*-*-y', s: dashes, want: false },
    { glob: '*-*-*-*-*-g', s: dashes, want: true },
    { glob: `${'*a'.repeat(20)}b`, s: 'a'.repeat(253), want: false },
    { glob: `${'*a'.repeat(20)}*`, s: 'a'.repeat(253), want: true },
    { glob: '*'.repeat(100), s: dashes, want: true },
  ];
  for (const c of cases)
    it(`${c.glob.length > 30 ? `${c.glob.slice(0, 30)}…` : c.glob} ~ ${c.s.length > 20 ? `${c.s.length} chars` : JSON.stringify(c.s)} is ${c.want}`, () =>
      assert.equal(compileGlob(c.glob).test(c.s), c.want));

  it('agrees with the regular expression it replaces on every short glob and string over {a, -, *, ?}', () => {
    const words = (alphabet: string, max: number): string[] => {
      const out = [''];
      for (let i = 0, n = 0; n < max; n++) {
        const end = out.length;
        for (; i < end; i++) for (const ch of alphabet) out.push(out[i] + ch);
      }
      return out;
    };
    const globs = words('a-*?', 4);
    const strings = words('a-', 5);
    for (const g of globs) {
      const re = asRegExp(g);
      const m = compileGlob(g);
      for (const s of strings) assert.equal(m.test(s), re.test(s), `${g} ~ ${s}`);
    }
  });
});
