import assert from 'node:assert/strict';
import { MAX_EVIDENCE_SUBJECTS } from '../../../src/subjects/binding/analyse.js';
import { analyseSubject } from '../../../src/subjects/index.js';

const RBAC = 'rbac.authorization.k8s.io';

const binding = (kind: string, subjects: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: `${RBAC}/v1`,
  kind,
  metadata: { name: 'b', ...(kind === 'RoleBinding' ? { namespace: 'shop' } : {}) },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
  subjects,
  ...extra,
});

describe('binding analyser', () => {
  const cases = [
    {
      name: 'a ClusterRoleBinding: roleRef, subjects, scope and a summary naming them',
      obj: binding('ClusterRoleBinding', [{ kind: 'User', name: 'system:anonymous', apiGroup: RBAC }]),
      want: {
        roleRef: { kind: 'ClusterRole', name: 'cluster-admin', apiGroup: RBAC },
        scope: 'cluster-wide',
        subjects: [{ kind: 'User', name: 'system:anonymous', apiGroup: RBAC }],
        subjectCount: 1,
      },
      summary:
        /^ClusterRoleBinding b grants ClusterRole cluster-admin cluster-wide to User system:anonymous$/,
      notes: [],
    },
    {
      name: 'a RoleBinding names its namespace',
      obj: binding('RoleBinding', [{ kind: 'ServiceAccount', name: 'app', namespace: 'shop' }]),
      want: { scope: 'in namespace shop', subjectCount: 1 },
      summary:
        /^RoleBinding shop\/b grants ClusterRole cluster-admin in namespace shop to ServiceAccount shop\/app$/,
      notes: [],
    },
    {
      name: 'many subjects: bounded in evidence and summary, with the count',
      obj: binding(
        'ClusterRoleBinding',
        Array.from({ length: 50 }, (_, i) => ({ kind: 'User', name: `u${i}` })),
      ),
      want: { subjectCount: 50, subjectsOmitted: 50 - MAX_EVIDENCE_SUBJECTS },
      summary: /to User u0, User u1, User u2 and 47 more$/,
      notes: [],
    },
    {
      name: 'odd shapes: no roleRef, subjects not a list',
      obj: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'b' }, subjects: 'x' },
      want: { subjectCount: 0 },
      summary: /^ClusterRoleBinding b grants role \? cluster-wide to no subject$/,
      notes: ['roleRef is missing or not an object'],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = analyseSubject(c.obj);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got.evidence[k], v, k);
      assert.equal(
        (got.evidence.subjects as unknown[] | undefined)?.length ?? 0,
        Math.min(got.evidence.subjectCount as number, MAX_EVIDENCE_SUBJECTS),
      );
      assert.match(got.summary, c.summary);
      for (const n of c.notes)
        assert.ok(
          got.notes.some((x) => x.includes(n)),
          `${n} in ${got.notes}`,
        );
    });

  it('bounds the messages of a binding with thousands of subjects', () => {
    const subjects = Array.from({ length: 5000 }, () => ({ kind: 'User', name: 'system:anonymous' }));
    const got = analyseSubject(binding('ClusterRoleBinding', subjects));
    const critical = got.risks.find((r) => r.id === 'binding.anonymous-escalating');
    assert.match(
      critical?.message ?? '',
      /User system:anonymous, User system:anonymous, User system:anonymous \(\+4997 more\) cluster-wide/,
    );
    for (const r of got.risks) assert.ok(Buffer.byteLength(r.message) <= 2048, r.id);
  });

  it('raises the binding risks in the subject analysis (the operator path without the index)', () => {
    const got = analyseSubject(
      binding('ClusterRoleBinding', [{ kind: 'Group', name: 'system:unauthenticated' }]),
    );
    assert.equal(got.risks[0]?.id, 'binding.anonymous-escalating');
    assert.equal(got.risks[0]?.severity, 'Critical');
  });
});
