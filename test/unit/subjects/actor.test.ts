import assert from 'node:assert/strict';
import { actorFromManagedFields } from '../../../src/subjects/actor.js';
import { subjectFixture } from '../support/fixtures.js';

const withFields = (managedFields: unknown): unknown => ({ metadata: { name: 'x', managedFields } });

describe('actorFromManagedFields', () => {
  const cases: { name: string; obj: unknown; want: unknown }[] = [
    {
      name: 'the creator of a fixture, not the later status writer',
      obj: subjectFixture('ingress'),
      want: {
        fieldManager: 'kubectl-client-side-apply',
        operation: 'Update',
        time: '2026-11-20T09:00:00Z',
        source: ['managedFields'],
      },
    },
    {
      name: 'earliest entry wins whatever the order',
      obj: withFields([
        { manager: 'later', operation: 'Update', time: '2026-01-02T00:00:00Z' },
        { manager: 'creator', operation: 'Apply', time: '2026-01-01T00:00:00Z' },
      ]),
      want: {
        fieldManager: 'creator',
        operation: 'Apply',
        time: '2026-01-01T00:00:00Z',
        source: ['managedFields'],
      },
    },
    {
      name: 'list order breaks ties',
      obj: withFields([
        { manager: 'first', operation: 'Update', time: '2026-01-01T00:00:00Z' },
        { manager: 'second', operation: 'Update', time: '2026-01-01T00:00:00Z' },
      ]),
      want: {
        fieldManager: 'first',
        operation: 'Update',
        time: '2026-01-01T00:00:00Z',
        source: ['managedFields'],
      },
    },
    {
      name: 'a status writer that came first does not count as creator',
      obj: withFields([
        { manager: 'controller', operation: 'Update', subresource: 'status', time: '2026-01-01T00:00:00Z' },
        { manager: 'kubectl-create', operation: 'Update', time: '2026-01-01T00:00:01Z' },
      ]),
      want: {
        fieldManager: 'kubectl-create',
        operation: 'Update',
        time: '2026-01-01T00:00:01Z',
        source: ['managedFields'],
      },
    },
    {
      name: 'only subresource entries: the earliest of them',
      obj: withFields([
        { manager: 'controller', operation: 'Update', subresource: 'status', time: '2026-01-01T00:00:00Z' },
      ]),
      want: {
        fieldManager: 'controller',
        operation: 'Update',
        time: '2026-01-01T00:00:00Z',
        source: ['managedFields'],
      },
    },
    {
      name: 'entries without time come after timed ones',
      obj: withFields([{ manager: 'untimed' }, { manager: 'timed', time: '2026-01-01T00:00:00Z' }]),
      want: { fieldManager: 'timed', time: '2026-01-01T00:00:00Z', source: ['managedFields'] },
    },
    {
      name: 'an unparseable time is left out',
      obj: withFields([{ manager: 'm', operation: 'Update', time: 'yesterday' }]),
      want: { fieldManager: 'm', operation: 'Update', source: ['managedFields'] },
    },
    { name: 'no managedFields', obj: { metadata: { name: 'x' } }, want: { source: [] } },
    { name: 'managedFields of the wrong type', obj: withFields('nope'), want: { source: [] } },
    {
      name: 'entries without a manager',
      obj: withFields([{ operation: 'Update' }, 3, null]),
      want: { source: [] },
    },
    { name: 'not an object at all', obj: 42, want: { source: [] } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(actorFromManagedFields(c.obj), c.want));
});
