import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RULES } from '../../../../src/subjects/risks/index.js';
import { ROOT } from '../../support/fixtures.js';

/** The text of one `## ` section of the README. */
function section(readme: string, title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has a "## ${title}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README: risk analysis and offline analysis', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  it('lists every risk id with its severity and reference', () => {
    const text = section(readme, 'Risk analysis');
    for (const r of RULES) {
      const row = text.split('\n').find((l) => l.startsWith(`| \`${r.id}\` |`));
      assert.ok(row, `a row for ${r.id}`);
      assert.ok(row.includes(`| ${r.severity} |`), `${r.id} is ${r.severity} in:\n${row}`);
      assert.ok(row.includes(r.reference.url), `${r.id} links ${r.reference.url}`);
    }
    const listed = [...text.matchAll(/^\| `([a-z.-]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), RULES.map((r) => r.id).sort(), 'no row for a rule that does not exist');
  });

  it('shows tripline analyze in a CI pipeline with SARIF upload and the kustomize gate', () => {
    const text = section(readme, 'Offline analysis in CI');
    assert.match(text, /kustomize build [^\n|]+\| tripline analyze -f - --fail-on High/);
    assert.match(text, /github\/codeql-action\/upload-sarif/);
    assert.match(text, /analyze -f deploy\/ -o sarif > tripline\.sarif/);
    assert.match(text, /security-events: write/);
  });
});
