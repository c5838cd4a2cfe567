import assert from 'node:assert/strict';
import {
  ALERT_STATES,
  CATEGORIES,
  EVENTS,
  MAX_HISTORY,
  REMEDIATION_ACTIONS,
  REMEDIATION_RESULTS,
  RESOLUTION_REASONS,
  SEVERITIES,
} from '../../../src/api/constants.js';
import { loadAll } from '../support/fixtures.js';

type Schema = { properties?: Record<string, Schema>; items?: Schema; enum?: string[]; maxItems?: number };
const schemaOf = (file: string): Schema => {
  const [crd] = loadAll<{ spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } }>(
    `crds/${file}`,
  );
  return crd!.spec.versions[0]!.schema.openAPIV3Schema;
};
const at = (schema: Schema, path: string): Schema =>
  path.split('.').reduce<Schema>((s, key) => (key === '[]' ? s.items! : s.properties![key]!), schema);

const alert = schemaOf('tripline.dev_auditalerts.yaml');
const detection = schemaOf('tripline.dev_auditdetections.yaml');

describe('constants match the CRDs', () => {
  const cases: { name: string; constant: readonly string[]; schema: Schema; path: string }[] = [
    { name: 'severities', constant: SEVERITIES, schema: alert, path: 'spec.severity' },
    { name: 'detection severities', constant: SEVERITIES, schema: detection, path: 'spec.severity' },
    { name: 'categories', constant: CATEGORIES, schema: alert, path: 'spec.category' },
    { name: 'detection categories', constant: CATEGORIES, schema: detection, path: 'spec.category' },
    { name: 'alert events', constant: EVENTS, schema: alert, path: 'spec.event' },
    { name: 'states', constant: ALERT_STATES, schema: alert, path: 'status.state' },
    { name: 'reasons', constant: RESOLUTION_REASONS, schema: alert, path: 'status.reason' },
    {
      name: 'remediation actions',
      constant: REMEDIATION_ACTIONS,
      schema: alert,
      path: 'status.remediation.action',
    },
    {
      name: 'allowed actions',
      constant: REMEDIATION_ACTIONS,
      schema: detection,
      path: 'spec.remediation.allowedActions.[]',
    },
    {
      name: 'remediation results',
      constant: REMEDIATION_RESULTS,
      schema: alert,
      path: 'status.remediation.result',
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(at(c.schema, c.path).enum, [...c.constant]));

  it('history limit', () => assert.equal(at(alert, 'status.history').maxItems, MAX_HISTORY));
});
