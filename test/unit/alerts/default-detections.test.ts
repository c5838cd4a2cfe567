import assert from 'node:assert/strict';
import { validateTemplates } from '../../../src/alerts/steps.js';
import { crdValidator, errorsOf } from '../support/crd-schema.js';
import { defaultDetections } from '../support/fixtures.js';

describe('default detections (manifests/detections)', () => {
  const detections = defaultDetections();
  const validate = crdValidator('tripline.dev_auditdetections.yaml');

  it('ships the four core detections', () => {
    assert.deepEqual([...detections.keys()].sort(), [
      'clusterrole-created',
      'ingress-created',
      'namespace-created',
      'workload-created',
    ]);
  });

  for (const [name, detection] of detections) {
    describe(name, () => {
      it('is valid against the AuditDetection CRD schema', () =>
        assert.ok(validate(detection), errorsOf(validate)));

      it('uses only known template variables, never inside quotes', () => {
        const steps = [...(detection.spec.investigation ?? []), ...(detection.spec.resolution ?? [])];
        assert.deepEqual(validateTemplates(steps), []);
      });

      it('has investigation and resolution steps with runnable commands', () => {
        assert.ok((detection.spec.investigation ?? []).length >= 4);
        assert.ok((detection.spec.resolution ?? []).length >= 3);
        const commands = [...(detection.spec.investigation ?? []), ...(detection.spec.resolution ?? [])]
          .map((s) => s.command)
          .filter((c): c is string => c !== undefined);
        assert.ok(commands.length >= 5);
        for (const c of commands) assert.match(c, /^kubectl /, c);
      });

      it('has a description, watches created objects and allows no remediation by default', () => {
        assert.ok((detection.spec.description ?? '').length > 100);
        assert.deepEqual(detection.spec.events, ['Created']);
        assert.deepEqual(detection.spec.remediation?.allowedActions ?? [], []);
      });
    });
  }

  it('workload-created covers the seven workload kinds and skips controlled objects', () => {
    const w = detections.get('workload-created');
    assert.deepEqual(w?.spec.resources.map((r) => r.resource).sort(), [
      'cronjobs',
      'daemonsets',
      'deployments',
      'jobs',
      'pods',
      'replicasets',
      'statefulsets',
    ]);
    assert.equal(w?.spec.match?.skipControlled, true);
  });
});
