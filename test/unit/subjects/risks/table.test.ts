import assert from 'node:assert/strict';
import { SEVERITIES } from '../../../../src/api/constants.js';
import { analyseRisks, RULES } from '../../../../src/subjects/risks/index.js';
import { BINDING_CASES } from './cases/binding.js';
import type { Case } from './cases/case.js';
import { ROLE_CASES } from './cases/clusterrole.js';
import { CONFIGMAP_CASES } from './cases/configmap.js';
import { INGRESS_CASES } from './cases/ingress.js';
import { NAMESPACE_CASES } from './cases/namespace.js';
import { PODKIND_CASES } from './cases/podkinds.js';
import { WORKLOAD_CASES } from './cases/workload.js';
import { WORKLOAD_PATH_CASES } from './cases/workload-paths.js';
import { cleanContainer, cleanPodSpec, pod } from './fixtures.js';

const CASES: Case[] = [
  ...ROLE_CASES,
  ...WORKLOAD_CASES,
  ...PODKIND_CASES,
  ...INGRESS_CASES,
  ...NAMESPACE_CASES,
  ...BINDING_CASES,
  ...WORKLOAD_PATH_CASES,
  ...CONFIGMAP_CASES,
];

describe('risk rules (table)', () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.want.length === 0 ? 'no risk' : c.want.join(', ')}`, () => {
      const risks = analyseRisks(structuredClone(c.obj), c.ctx);
      assert.deepEqual(risks.map((r) => r.id).sort(), [...c.want].sort());
      for (const r of risks) {
        assert.ok(SEVERITIES.includes(r.severity), r.severity);
        assert.ok(r.message.length > 0 && r.reference && r.reference.length <= 512, r.id);
      }
    });
  }

  it('covers every registered risk id with a positive and a negative case', () => {
    const ids = RULES.map((r) => r.id);
    for (const id of ids) {
      assert.ok(
        CASES.some((c) => c.want.includes(id)),
        `no positive case for ${id}`,
      );
      assert.ok(
        CASES.some((c) => c.negativeFor === id && !c.want.includes(id)),
        `no negative case for ${id}`,
      );
    }
    for (const c of CASES)
      for (const id of c.want) assert.ok(ids.includes(id), `${c.name}: unknown id ${id}`);
  });

  it('has unique, stable-looking ids (<kind>.<kebab-case>) and a fixed severity each', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const r of RULES) {
      assert.match(
        r.id,
        /^(clusterrole|workload|ingress|namespace|binding|heuristic|configmap)\.[a-z0-9]+(-[a-z0-9]+)*$/,
      );
      assert.ok(SEVERITIES.includes(r.severity));
      assert.match(r.reference.url, /^https:\/\//);
    }
  });

  it('orders risks from the most to the least severe', () => {
    const risks = analyseRisks(
      pod(
        cleanPodSpec({
          hostNetwork: true,
          containers: [cleanContainer('app', { image: 'nginx' }, { privileged: true })],
        }),
      ),
    );
    const ranks = risks.map((r) => SEVERITIES.indexOf(r.severity));
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
    );
  });
});
