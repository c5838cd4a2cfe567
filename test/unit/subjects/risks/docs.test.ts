import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RULES } from '../../../../src/subjects/risks/index.js';
import { ROOT } from '../../support/fixtures.js';

const doc = (file: string): string => readFileSync(path.join(ROOT, 'docs', file), 'utf8');

/** The text of one generated block of a doc page. */
function block(text: string, name: string): string {
  const begin = `<!-- BEGIN GENERATED: ${name} -->`;
  const start = text.indexOf(begin);
  assert.ok(start >= 0, `has the block ${name}`);
  return text.slice(start, text.indexOf('<!-- END GENERATED -->', start));
}

describe('docs: risk analysis and offline analysis', () => {
  it('lists every risk id with its severity and reference in docs/risks.md', () => {
    const text = block(doc('risks.md'), 'risk-rules');
    for (const r of RULES) {
      const row = text.split('\n').find((l) => l.startsWith(`| \`${r.id}\` |`));
      assert.ok(row, `a row for ${r.id}`);
      assert.ok(row.includes(`| ${r.severity} |`), `${r.id} is ${r.severity} in:\n${row}`);
      assert.ok(row.includes(r.reference.url), `${r.id} links ${r.reference.url}`);
    }
    const listed = [...text.matchAll(/^\| `([a-z.-]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), RULES.map((r) => r.id).sort(), 'no row for a rule that does not exist');
  });

  it('shows tripline analyze in a CI pipeline with SARIF upload and the kustomize gate in docs/analyze.md', () => {
    const text = doc('analyze.md');
    assert.match(text, /kustomize build [^\n|]+\| tripline analyze -f - --fail-on High/);
    assert.match(text, /github\/codeql-action\/upload-sarif/);
    assert.match(text, /analyze -f deploy\/ -o sarif > tripline\.sarif/);
    assert.match(text, /security-events: write/);
  });
});
