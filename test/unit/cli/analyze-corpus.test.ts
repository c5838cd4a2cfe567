/**
 * The labelled corpus (test/fixtures/corpus/): every attack fixture must raise the risk ids its
 * `# expect:` header lists, and no benign fixture may raise a High or Critical risk. Every file of
 * both folders is picked up, so fixtures added with new rules join by being there. The per-category
 * recall table of docs/analyze.md is generated from the same run by `make docs` (hack/docs/corpus.ts),
 * and `make docs-check` fails when it drifts.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { type Corpus, filesIn, HIGH, runCorpus } from '../../../hack/docs/corpus.js';
import { RULES } from '../../../src/subjects/risks/index.js';
import { ROOT } from '../support/fixtures.js';

describe('tripline analyze: the labelled corpus', () => {
  let corpus: Promise<Corpus> | undefined;
  const run = (): Promise<Corpus> => {
    corpus ??= runCorpus(ROOT);
    return corpus;
  };
  const known = new Set(RULES.map((r) => r.id));

  it('has attack and benign fixtures', () => {
    assert.ok(filesIn(ROOT, 'attack').length >= 10);
    assert.ok(filesIn(ROOT, 'benign').length >= 5);
  });

  for (const file of filesIn(ROOT, 'attack'))
    it(`raises every labelled risk of ${path.basename(file)}`, async () => {
      const c = (await run()).attack.get(file);
      assert.ok(c);
      const { technique, expect, ran } = c;
      assert.ok(technique, `${file} says which technique it models (# technique: ...)`);
      assert.ok(expect.length > 0, `${file} lists the risk ids it must raise (# expect: a, b)`);
      for (const id of expect) assert.ok(known.has(id), `${file} expects ${id}, which is no rule`);
      assert.deepEqual(ran.errors, [], ran.stderr);
      const raised = new Set(ran.findings.map((f) => f.id));
      const missed = expect.filter((id) => !raised.has(id));
      assert.deepEqual(missed, [], `${file} (${technique}) raised only ${[...raised].join(', ')}`);
    });

  for (const file of filesIn(ROOT, 'benign'))
    it(`raises no High or Critical risk on ${path.basename(file)}`, async () => {
      const ran = (await run()).benign.get(file);
      assert.ok(ran);
      assert.equal(ran.code, 0, ran.stderr);
      assert.deepEqual(ran.errors, []);
      assert.ok(ran.objects > 0, `${file} holds objects`);
      assert.deepEqual(
        ran.findings.filter((f) => HIGH.has(f.severity)).map((f) => `${f.severity} ${f.id}`),
        [],
      );
    });
});
