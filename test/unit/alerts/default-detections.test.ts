import assert from 'node:assert/strict';
import { compileDetection } from '../../../src/detections/compile.js';
import { validateTemplates } from '../../../src/detections/steps.js';
import { crdValidator, errorsOf } from '../support/crd-schema.js';
import { defaultDetections } from '../support/fixtures.js';

describe('default detections (manifests/detections)', () => {
  const detections = defaultDetections();
  const validate = crdValidator('tripline.dev_auditdetections.yaml');

  it('ships the ten default detections', () => {
    assert.deepEqual([...detections.keys()].sort(), [
      'binding-created',
      'clusterrole-created',
      'ingress-changed',
      'ingress-created',
      'ingress-traffic-anomaly',
      'namespace-created',
      'pod-exec',
      'role-created',
      'token-request',
      'workload-created',
    ]);
  });

  /** The event a default detection's name promises. */
  const EVENT_BY_SUFFIX: ReadonlyArray<[string, string]> = [
    ['-created', 'Created'],
    ['-changed', 'Updated'],
    ['-anomaly', 'TrafficAnomaly'],
  ];
  /** Action detections name the requests they take. */
  const EVENTS_BY_NAME: Readonly<Record<string, string[]>> = {
    'pod-exec': ['Exec', 'Attach', 'PortForward'],
    'token-request': ['TokenRequest'],
  };

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

      it('has a description, watches the event its name says and allows no remediation by default', () => {
        assert.ok((detection.spec.description ?? '').length > 100);
        const event = EVENT_BY_SUFFIX.find(([suffix]) => name.endsWith(suffix))?.[1];
        assert.deepEqual(detection.spec.events, EVENTS_BY_NAME[name] ?? [event]);
        assert.deepEqual(detection.spec.remediation?.allowedActions ?? [], []);
      });
    });
  }

  it('workload-created covers the eight built-in workload kinds and skips controlled objects', () => {
    const w = detections.get('workload-created');
    assert.deepEqual(w?.spec.resources.map((r) => r.resource).sort(), [
      'cronjobs',
      'daemonsets',
      'deployments',
      'jobs',
      'pods',
      'replicasets',
      'replicationcontrollers',
      'statefulsets',
    ]);
    assert.equal(w?.spec.match?.skipControlled, true);
  });
});

describe('opt-in detections (manifests/detections-optional)', () => {
  const detections = defaultDetections('manifests/detections-optional');
  const validate = crdValidator('tripline.dev_auditdetections.yaml');

  it('ships ingress-tls-secret-changed, gated on Ingress references, and secret-read', () => {
    assert.deepEqual([...detections.keys()], ['ingress-tls-secret-changed', 'secret-read']);
    assert.deepEqual(detections.get('secret-read')?.spec.events, ['SecretRead']);
    const d = detections.get('ingress-tls-secret-changed');
    assert.deepEqual(d?.spec.resources, [{ group: '', version: 'v1', resource: 'secrets' }]);
    assert.deepEqual(d?.spec.events, ['Created', 'Updated', 'Deleted']);
    assert.equal(d?.spec.match?.referencedBy?.path, 'spec.tls[].secretName');
  });

  for (const [name, detection] of detections) {
    it(`${name} is valid, compiles and uses only known template variables`, () => {
      assert.ok(validate(detection), errorsOf(validate));
      // With request attribution on (the actor lookup), as secret-read needs the audit receiver.
      const compiled = compileDetection(detection, undefined, () => undefined);
      assert.ok(compiled.ok, compiled.ok ? '' : compiled.errors.join('; '));
      assert.deepEqual(compiled.detection.warnings, []);
      const steps = [...(detection.spec.investigation ?? []), ...(detection.spec.resolution ?? [])];
      assert.deepEqual(validateTemplates(steps), []);
      assert.ok(steps.filter((s) => s.command?.startsWith('kubectl ')).length >= 5);
    });
  }
});
