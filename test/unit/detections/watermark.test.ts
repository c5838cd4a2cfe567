import assert from 'node:assert/strict';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import {
  activeSince,
  detectionLowWater,
  type FeedProgress,
  feedLowWater,
  isNewObject,
  newSince,
  toRfc3339,
} from '../../../src/detections/watermark.js';

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

  describe('low-water mark', () => {
    const T = Date.parse('2026-11-23T12:00:00Z');
    const synced: FeedProgress = { synced: true, listing: false, pending: [], caughtUpMs: T };
    const feeds: { name: string; p: FeedProgress; want: number | undefined }[] = [
      { name: 'a synced feed without objects advances to where it caught up', p: synced, want: T },
      {
        name: 'a pending object holds it at its creation time',
        p: { ...synced, pending: [T - 30_000, T - 10_000] },
        want: T - 30_000,
      },
      {
        name: 'a pending object stamped later than the catch-up (clock skew) does not push it',
        p: { ...synced, pending: [T + 2000] },
        want: T,
      },
      { name: 'nothing before the first list', p: { ...synced, synced: false }, want: undefined },
      { name: 'nothing during a relist', p: { ...synced, listing: true }, want: undefined },
      { name: 'nothing without a catch-up time', p: { ...synced, caughtUpMs: undefined }, want: undefined },
    ];
    for (const c of feeds) it(c.name, () => assert.equal(feedLowWater(c.p), c.want));

    const detections: { name: string; feeds: (number | undefined)[]; want: number | undefined }[] = [
      { name: 'the earliest of its feeds', feeds: [T, T - 5000, T - 1000], want: T - 5000 },
      {
        name: 'an empty feed does not hold it back',
        feeds: [feedLowWater(synced), feedLowWater({ ...synced, pending: [T - 3000] })],
        want: T - 3000,
      },
      { name: 'none while any feed has none', feeds: [T, undefined], want: undefined },
      { name: 'none without feeds', feeds: [], want: undefined },
    ];
    for (const c of detections)
      it(`detection: ${c.name}`, () => assert.equal(detectionLowWater(c.feeds), c.want));
  });
});
