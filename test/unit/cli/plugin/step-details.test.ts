import assert from 'node:assert/strict';
import { buildAlert } from '../../../../src/alerts/build.js';
import type { AuditDetection } from '../../../../src/api/generated/audit-detection.js';
import { renderAlert } from '../../../../src/cli/plugin/show.js';
import { explainSteps } from '../../../../src/cli/plugin/step-details.js';
import { renderSteps } from '../../../../src/detections/steps.js';
import { defaultDetections, subjectFixture } from '../../support/fixtures.js';

const detection = (name: string, generation = 3): AuditDetection => {
  const d = defaultDetections().get(name);
  if (!d) throw new Error(`no detection ${name}`);
  return { ...d, metadata: { ...d.metadata, generation } };
};

const CASES = [
  { fixture: 'deployment', detection: 'workload-created', group: 'apps', resource: 'deployments' },
  { fixture: 'pod', detection: 'workload-created', group: '', resource: 'pods' },
  { fixture: 'ingress', detection: 'ingress-created', group: 'networking.k8s.io', resource: 'ingresses' },
  {
    fixture: 'clusterrole',
    detection: 'clusterrole-created',
    group: 'rbac.authorization.k8s.io',
    resource: 'clusterroles',
  },
  { fixture: 'namespace', detection: 'namespace-created', group: '', resource: 'namespaces' },
];

describe('kubectl-tripline show: step explanations from the detection', () => {
  for (const c of CASES) {
    describe(`${c.fixture} with ${c.detection}`, () => {
      const det = detection(c.detection);
      const subject = subjectFixture(c.fixture);
      const alert = buildAlert({
        detection: det,
        subject,
        resource: { group: c.group, version: 'v1', resource: c.resource },
        event: 'Created',
        detectedAt: new Date('2026-11-20T12:00:05Z'),
      });

      it("gives every step the detection's explanation, with the alert's values filled in", () => {
        const explained = explainSteps(alert, det);
        assert.equal(explained.note, undefined);
        for (const [got, templates] of [
          [explained.investigation, det.spec.investigation ?? []],
          [explained.resolution, det.spec.resolution ?? []],
        ] as const) {
          assert.equal(got.length, templates.length);
          got.forEach((step, i) => {
            const template = templates[i];
            if (template?.detail === undefined) {
              assert.equal(step.detail, undefined);
              return;
            }
            assert.ok(step.detail, `step ${i + 1} ${JSON.stringify(step.title)} has no explanation`);
            assert.doesNotMatch(step.detail, /\{\{/);
          });
        }
        const writer = explained.investigation.find((s) => s.detail?.startsWith('First writer:'));
        if (c.detection === 'workload-created')
          assert.equal(writer?.detail?.split('.')[0], `First writer: ${alert.spec.actor?.fieldManager}`);
      });

      it('shows them under each step', () => {
        const text = renderAlert(alert, Date.parse('2026-11-20T13:00:00Z'), det);
        const first = renderSteps(det.spec.investigation ?? [], { namespace: subject.metadata.namespace })[0];
        const words = (first?.detail ?? '').split(/\s+/).slice(0, 4).join(' ');
        if (words)
          assert.ok(text.replace(/\s+/g, ' ').includes(words), `no ${JSON.stringify(words)} in\n${text}`);
        assert.doesNotMatch(text, /could not be read/);
      });
    });
  }

  const det = detection('workload-created');
  const alert = buildAlert({
    detection: det,
    subject: subjectFixture('deployment'),
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    event: 'Created',
    detectedAt: new Date('2026-11-20T12:00:05Z'),
  });

  it('says where the explanations are when the detection cannot be read', () => {
    const explained = explainSteps(alert, undefined);
    assert.match(explained.note ?? '', /AuditDetection workload-created, which could not be read/);
    assert.ok(explained.investigation.every((s) => s.detail === undefined));
  });

  it('says when the detection changed since the alert was raised', () => {
    const explained = explainSteps(alert, detection('workload-created', 4));
    assert.match(explained.note ?? '', /generation 4 .* raised by generation 3/);
  });

  it('keeps the alert-specific detail of a step (a withheld command)', () => {
    const own = {
      ...alert,
      spec: { ...alert.spec, investigation: [{ title: 'X', detail: 'Command withheld: …' }] },
    };
    assert.equal(explainSteps(own, det).investigation[0]?.detail, 'Command withheld: …');
  });
});
