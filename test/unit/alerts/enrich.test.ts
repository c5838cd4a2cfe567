import assert from 'node:assert/strict';
import { type Enricher, enrichAlert, mergeEnrichments } from '../../../src/alerts/enrich.js';
import { LABELS } from '../../../src/api/constants.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { silentLogger } from '../../../src/observability/logger.js';

function alert(): AuditAlert {
  return {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditAlert',
    metadata: { name: 'a', labels: { [LABELS.severity]: 'Medium' } },
    spec: {
      detection: { name: 'd', generation: 1 },
      severity: 'Medium',
      category: 'Exposure',
      event: 'Created',
      summary: 's',
      subject: { apiVersion: 'v1', kind: 'Pod', name: 'p' },
      actor: { fieldManager: 'kubectl', source: ['managedFields'] },
      evidence: { kind: 'Pod' },
      notes: ['n0'],
      risks: [],
      whoCan: [],
      detectedAt: '2026-11-23T00:00:00.000Z',
    },
  } as AuditAlert;
}

const input = {
  subject: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
  resource: { group: '', version: 'v1', resource: 'pods' },
};

describe('mergeEnrichments', () => {
  const cases: Array<{
    name: string;
    parts: Parameters<typeof mergeEnrichments>[1];
    check(a: AuditAlert): void;
  }> = [
    {
      name: 'nothing to merge leaves the alert as it was',
      parts: [undefined, {}],
      check: (a) => assert.deepEqual(a, alert()),
    },
    {
      name: 'a High risk raises Medium to High, label included',
      parts: [{ risks: [{ id: 'x', severity: 'High', message: 'm' }] }],
      check: (a) => {
        assert.equal(a.spec.severity, 'High');
        assert.equal(a.metadata?.labels?.[LABELS.severity], 'High');
      },
    },
    {
      name: 'a Low risk never lowers the severity',
      parts: [{ risks: [{ id: 'x', severity: 'Low', message: 'm' }] }],
      check: (a) => assert.equal(a.spec.severity, 'Medium'),
    },
    {
      name: 'actor parts merge and sources are appended once',
      parts: [
        { actor: { username: 'tenant-dev', source: ['admission'] } },
        { actor: { sourceIPs: ['10.0.0.1'], source: ['audit', 'admission'] } },
      ],
      check: (a) => {
        assert.equal(a.spec.actor?.username, 'tenant-dev');
        assert.deepEqual(a.spec.actor?.sourceIPs, ['10.0.0.1']);
        assert.equal(a.spec.actor?.fieldManager, 'kubectl');
        assert.deepEqual(a.spec.actor?.source, ['managedFields', 'admission', 'audit']);
      },
    },
    {
      name: 'whoCan, evidence and notes are appended',
      parts: [
        {
          whoCan: [{ kind: 'User', name: 'u', via: 'RoleBinding a/b' }],
          notes: ['n1'],
          evidence: { serviceAccount: { name: 'x' } },
        },
      ],
      check: (a) => {
        assert.equal(a.spec.whoCan?.length, 1);
        assert.deepEqual(a.spec.notes, ['n0', 'n1']);
        assert.deepEqual(a.spec.evidence, { kind: 'Pod', serviceAccount: { name: 'x' } });
      },
    },
  ];
  for (const c of cases) it(c.name, () => c.check(mergeEnrichments(alert(), c.parts)));
});

describe('enrichAlert', () => {
  it('writes the alert without an enricher that fails or hangs, and says so in notes', async () => {
    const enrichers: Enricher[] = [
      { name: 'broken', enrich: async () => Promise.reject(new Error('boom')) },
      { name: 'slow', enrich: () => new Promise(() => {}) },
      { name: 'good', enrich: async () => ({ risks: [{ id: 'r', severity: 'Critical', message: 'm' }] }) },
    ];
    const out = await enrichAlert({ alert: alert(), ...input }, enrichers, silentLogger(), { timeoutMs: 50 });
    assert.equal(out.spec.severity, 'Critical');
    assert.deepEqual(out.spec.notes, [
      'n0',
      'broken: unavailable (boom)',
      'slow: unavailable (timed out after 50 ms)',
    ]);
  });

  it('returns the very same alert when there are no enrichers', async () => {
    const a = alert();
    assert.equal(await enrichAlert({ alert: a, ...input }, [], silentLogger()), a);
  });
});

describe('mergeEnrichments: the evidence budget of the subject kind (ADR 27)', () => {
  /** What a tenant who binds many roles to a workload's service account adds to its alert. */
  const bindings = Array.from({ length: 32 }, (_, i) => ({
    binding: `RoleBinding team-a/${'padding-'.repeat(20)}${i}`,
    role: `ClusterRole ${'role-'.repeat(20)}${i}`,
  }));

  it("bounds evidence that enrichers push over the kind's budget, with a note", () => {
    const out = mergeEnrichments(alert(), [{ evidence: { serviceAccount: { name: 'sa', bindings } } }]);
    const bytes = Buffer.byteLength(JSON.stringify(out.spec.evidence));
    assert.ok(bytes <= 3072, `${bytes} bytes`);
    assert.ok(out.spec.notes?.some((n) => n.startsWith('evidence bounded to 3072 bytes for a Pod')));
    assert.equal(out.spec.notes?.[0], 'n0');
  });

  it('leaves evidence within the budget as it is, without a note', () => {
    const out = mergeEnrichments(alert(), [{ evidence: { whoCanSummary: { total: 3, listed: 3 } } }]);
    assert.deepEqual(out.spec.evidence, { kind: 'Pod', whoCanSummary: { total: 3, listed: 3 } });
    assert.deepEqual(out.spec.notes, ['n0']);
  });
});
