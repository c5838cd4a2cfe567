import assert from 'node:assert/strict';
import { ALERT_LIMITS, fitNotes, fitSteps } from '../../../src/alerts/limits.js';
import { loadAll } from '../support/fixtures.js';

type Schema = { maxLength?: number; maxItems?: number; properties?: Record<string, Schema>; items?: Schema };

/** The schema node at a dotted path; `[]` steps into a list's items. */
function at(root: Schema, path: string): Schema {
  let node: Schema | undefined = root;
  for (const part of path.split('.')) {
    node = part === '[]' ? node?.items : node?.properties?.[part];
    if (!node) throw new Error(`no ${path} in the AuditAlert CRD`);
  }
  return node;
}

describe('alerts/limits', () => {
  const [crd] = loadAll<{
    spec: { versions: Array<{ storage: boolean; schema: { openAPIV3Schema: Schema } }> };
  }>('crds/tripline.dev_auditalerts.yaml');
  const root = crd?.spec.versions.find((v) => v.storage)?.schema.openAPIV3Schema as Schema;
  const cases: Array<[keyof typeof ALERT_LIMITS, string, 'maxLength' | 'maxItems']> = [
    ['summary', 'spec.summary', 'maxLength'],
    ['notes', 'spec.notes', 'maxItems'],
    ['note', 'spec.notes.[]', 'maxLength'],
    ['steps', 'spec.investigation', 'maxItems'],
    ['steps', 'spec.resolution', 'maxItems'],
    ['stepTitle', 'spec.investigation.[].title', 'maxLength'],
    ['stepText', 'spec.investigation.[].detail', 'maxLength'],
    ['stepText', 'spec.investigation.[].command', 'maxLength'],
    ['riskMessage', 'spec.risks.[].message', 'maxLength'],
    ['sourceIPs', 'spec.actor.sourceIPs', 'maxItems'],
    ['sourceIP', 'spec.actor.sourceIPs.[]', 'maxLength'],
  ];
  for (const [key, path, bound] of cases)
    it(`${key} is the ${bound} of ${path} in the CRD`, () => {
      assert.equal(ALERT_LIMITS[key], at(root, path)[bound]);
    });

  it('fits steps: at most 32, a too-long command withheld (said in the detail), never cut', () => {
    const long = 'x'.repeat(ALERT_LIMITS.stepText + 1);
    const steps = fitSteps(
      Array.from({ length: 40 }, (_, i) => ({ title: `s${i}`, command: i ? 'ls' : long })),
    );
    assert.equal(steps.length, ALERT_LIMITS.steps);
    assert.equal(steps[0]?.command, undefined);
    assert.match(steps[0]?.detail ?? '', /command withheld/);
    assert.equal(steps[1]?.command, 'ls');
  });

  it('fits notes: the last kept one says how many were left out', () => {
    const notes = fitNotes(Array.from({ length: 70 }, (_, i) => `n${i}`));
    assert.equal(notes.length, ALERT_LIMITS.notes);
    assert.equal(notes.at(-1), '7 more notes left out');
  });
});
