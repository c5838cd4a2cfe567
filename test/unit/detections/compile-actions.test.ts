import assert from 'node:assert/strict';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { compileDetection, isActionDetection } from '../../../src/detections/compile.js';

const base = (spec: Partial<AuditDetection['spec']>): AuditDetection =>
  ({
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name: 'd', uid: 'u', generation: 1 },
    spec: {
      title: 't',
      severity: 'High',
      category: 'Workload',
      resources: [{ version: 'v1', resource: 'pods' }],
      ...spec,
    },
  }) as AuditDetection;

describe('compileDetection: action events', () => {
  const cases: Array<{ name: string; spec: Partial<AuditDetection['spec']>; error?: RegExp }> = [
    { name: 'exec, attach and port-forward', spec: { events: ['Exec', 'Attach', 'PortForward'] } },
    {
      name: 'token requests with namespaces',
      spec: { events: ['TokenRequest'], match: { namespaces: { exclude: ['ci'] } } },
    },
    { name: 'secret reads', spec: { events: ['SecretRead'] } },
    {
      name: 'an objectSelector has nothing to read',
      spec: { events: ['Exec'], match: { objectSelector: { matchLabels: { a: 'b' } } } },
      error: /spec\.match\.objectSelector does not apply to action events/,
    },
    {
      name: 'a namespaceSelector is refused',
      spec: { events: ['Exec'], match: { namespaceSelector: { matchLabels: { a: 'b' } } } },
      error: /spec\.match\.namespaceSelector does not apply/,
    },
    {
      name: 'skipControlled is refused',
      spec: { events: ['SecretRead'], match: { skipControlled: true } },
      error: /skipControlled/,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const r = compileDetection(base(c.spec));
      if (!c.error) {
        assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
        assert.equal(isActionDetection(r.detection.events), true);
      } else {
        assert.equal(r.ok, false);
        assert.match(r.ok ? '' : r.errors.join('; '), c.error);
      }
    });

  it('object events are not action events', () => {
    const r = compileDetection(base({ events: ['Created', 'Updated'] }));
    assert.ok(r.ok);
    assert.equal(isActionDetection(r.detection.events), false);
  });
});
