import assert from 'node:assert/strict';
import type { AuditDetectionStatus } from '../../../src/api/generated/audit-detection.js';
import { flushPatch } from '../../../src/detections/status.js';

describe('flushPatch', () => {
  const t = (s: string) => Date.parse(s);
  const cases: {
    name: string;
    status?: AuditDetectionStatus;
    low?: number;
    delta: number;
    want: Record<string, unknown> | undefined;
  }[] = [
    { name: 'nothing to write', delta: 0, want: undefined },
    {
      name: 'first watermark',
      low: t('2026-01-01T00:00:01.500Z'),
      delta: 0,
      want: { watermark: '2026-01-01T00:00:01Z' },
    },
    {
      name: 'watermark not advanced',
      status: { watermark: '2026-01-01T00:00:05Z' },
      low: t('2026-01-01T00:00:05Z'),
      delta: 0,
      want: undefined,
    },
    {
      name: 'suppressions added to the persisted count',
      status: { watermark: '2026-01-01T00:00:05Z', counters: { suppressed: 4 } },
      low: t('2026-01-01T00:00:01Z'),
      delta: 3,
      want: { counters: { suppressed: 7 } },
    },
    {
      name: 'both in one patch',
      low: t('2026-01-01T00:00:09Z'),
      delta: 1,
      want: { watermark: '2026-01-01T00:00:09Z', counters: { suppressed: 1 } },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(flushPatch(c.status, c.low, c.delta), c.want));
});
