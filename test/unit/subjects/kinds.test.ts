import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { byGroupKind, SUBJECT_KINDS } from '../../../src/subjects/kinds.js';
import { RULES } from '../../../src/subjects/risks/index.js';
import { ROOT } from '../support/fixtures.js';

/** Folders under src/subjects/ that are kinds (the shared readers live in risks/). */
const kindFolders = (): string[] => {
  const dir = path.join(ROOT, 'src/subjects');
  return readdirSync(dir)
    .filter((f) => statSync(path.join(dir, f)).isDirectory() && f !== 'risks')
    .sort();
};

describe('subject kinds table', () => {
  it('has one row per kind folder, named after it', () => {
    assert.deepEqual(SUBJECT_KINDS.map((k) => k.id).sort(), kindFolders());
  });

  it('wires every group/Kind once', () => {
    const keys = SUBJECT_KINDS.flatMap((k) => k.kinds);
    assert.equal(new Set(keys).size, keys.length, `a key in two rows: ${keys.join(', ')}`);
    assert.doesNotThrow(() => byGroupKind((k) => k.id));
  });

  it('refuses a key wired twice', () => {
    const twice = [...SUBJECT_KINDS, { id: 'again', kinds: ['/Pod'] }];
    assert.throws(() => byGroupKind((k) => k.id, twice), /\/Pod is wired twice \(row again\)/);
  });

  it('describes the rules of every row that has risks, and only those', () => {
    for (const k of SUBJECT_KINDS) assert.equal(!!k.risks, (k.rules?.length ?? 0) > 0, k.id);
    assert.equal(
      RULES.length,
      SUBJECT_KINDS.reduce((n, k) => n + (k.rules?.length ?? 0), 0),
    );
    assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length, 'rule ids are unique');
  });

  it('has exactly one row that also takes any kind carrying a pod spec', () => {
    assert.deepEqual(
      SUBJECT_KINDS.filter((k) => k.byShape).map((k) => k.id),
      ['workload'],
    );
  });
});
