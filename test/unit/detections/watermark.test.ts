import assert from 'node:assert/strict';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { activeSince, isNewObject, newSince, toRfc3339 } from '../../../src/detections/watermark.js';

const clock = { now: () => new Date('2026-11-23T12:00:00.750Z') };
const det = (meta: Record<string, unknown>, status?: Record<string, unknown>) =>
  ({ metadata: meta, spec: { resources: [] }, status }) as unknown as AuditDetection;

describe('watermark', () => {
  const since = [
    {
      name: 'recorded activeSince wins',
      d: det(
        { creationTimestamp: '2026-01-01T00:00:00Z', generation: 3 },
        { activeSince: '2026-02-01T00:00:00Z' },
      ),
      want: '2026-02-01T00:00:00.000Z',
    },
    {
      name: 'never-edited detection is active since creation',
      d: det({ creationTimestamp: '2026-01-01T00:00:00Z', generation: 1 }),
      want: '2026-01-01T00:00:00.000Z',
    },
    {
      name: 'edited detection without record is active from now (truncated)',
      d: det({ creationTimestamp: '2026-01-01T00:00:00Z', generation: 2 }),
      want: '2026-11-23T12:00:00.000Z',
    },
  ];
  for (const c of since) it(c.name, () => assert.equal(activeSince(c.d, clock).toISOString(), c.want));

  it('newSince is the later of activeSince and watermark minus overlap', () => {
    const s = new Date('2026-01-01T00:00:00Z');
    assert.equal(newSince(s, undefined, 5000), s.getTime());
    assert.equal(newSince(s, '2025-12-31T00:00:00Z', 5000), s.getTime());
    assert.equal(newSince(s, '2026-01-02T00:00:10Z', 5000), Date.parse('2026-01-02T00:00:05Z'));
  });

  const objs = [
    { name: 'same second counts as new', ts: '2026-01-01T00:00:00Z', want: true },
    { name: 'later is new', ts: '2026-01-01T00:00:01Z', want: true },
    { name: 'earlier is old', ts: '2025-12-31T23:59:59Z', want: false },
    { name: 'missing timestamp is not new', ts: undefined, want: false },
    { name: 'garbage timestamp is not new', ts: 'yesterday', want: false },
  ];
  for (const c of objs) {
    it(c.name, () =>
      assert.equal(
        isNewObject({ metadata: { creationTimestamp: c.ts } }, Date.parse('2026-01-01T00:00:00Z')),
        c.want,
      ),
    );
  }

  it('formats RFC 3339 with second precision', () =>
    assert.equal(toRfc3339(Date.parse('2026-01-01T00:00:01.999Z')), '2026-01-01T00:00:01Z'));
});
