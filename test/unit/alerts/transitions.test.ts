import assert from 'node:assert/strict';
import { expiresAt } from '../../../src/alerts/retention.js';
import { reconcileStatus } from '../../../src/alerts/transitions.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { parseDuration } from '../../../src/api/time.js';

const now = new Date('2026-11-23T12:00:00Z');
const alert = (status: AuditAlert['status'], kind = 'Deployment', generation = 1): AuditAlert =>
  ({
    metadata: { name: 'a', generation },
    spec: {
      detection: { name: 'd', generation: 1 },
      subject: { apiVersion: 'apps/v1', kind, name: 'x', uid: 'u' },
    },
    status,
  }) as unknown as AuditAlert;
const detection = (allowed: string[], ttl?: string): AuditDetection =>
  ({
    spec: { remediation: { allowedActions: allowed }, retention: ttl ? { resolvedTTL: ttl } : undefined },
  }) as unknown as AuditDetection;

describe('status reconcile', () => {
  const cases = [
    {
      name: 'an assigned open alert gets conditions, no history',
      status: { state: 'Open' as const, assignee: 'bob' },
      history: 0,
      ack: 'False',
    },
    {
      name: 'acknowledging appends Open→Acknowledged',
      status: { state: 'Acknowledged' as const },
      history: 1,
      ack: 'True',
    },
    {
      name: 'resolving after acknowledging appends Acknowledged→Resolved with the reason',
      status: {
        state: 'Resolved' as const,
        reason: 'Expected' as const,
        history: [{ time: 't', from: 'Open', to: 'Acknowledged' }],
      },
      history: 2,
      ack: 'False',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = reconcileStatus(alert(c.status), now);
      assert.ok(p);
      assert.equal(p.history?.length, c.history);
      assert.equal(p.conditions?.find((x) => x.type === 'Acknowledged')?.status, c.ack);
      assert.equal(p.observedGeneration, 1);
      if (c.history === 2) assert.equal(p.history?.[1]?.reason, 'Expected');
    });
  }
  it('writes nothing for a new alert nobody touched', () => {
    assert.equal(reconcileStatus(alert({ state: 'Open' }), now), undefined);
    assert.equal(reconcileStatus(alert(undefined), now), undefined);
  });
  it('is a fixed point: reconciling its own output changes nothing', () => {
    const a = alert({ state: 'Acknowledged', assignee: 'alice' });
    const p = reconcileStatus(a, now);
    const next = { ...a.status, ...p } as AuditAlert['status'];
    assert.equal(reconcileStatus(alert(next), new Date('2027-01-01T00:00:00Z')), undefined);
  });
  it('keeps at most 100 history entries, dropping the oldest', () => {
    const history = Array.from({ length: 100 }, (_, i) => ({
      time: `t${i}`,
      from: 'Open',
      to: i % 2 ? 'Open' : 'Acknowledged',
    }));
    const p = reconcileStatus(alert({ state: 'Resolved', reason: 'Other', note: 'n', history }), now);
    assert.equal(p?.history?.length, 100);
    assert.equal(p?.history?.[0]?.time, 't1');
    assert.equal(p?.history?.at(-1)?.to, 'Resolved');
  });
});

describe("resolvedAt: the operator's own time of resolution", () => {
  const cases: { name: string; status: AuditAlert['status']; want: string | null | undefined }[] = [
    {
      name: 'stamped with the operator clock when first seen Resolved',
      status: { state: 'Resolved', reason: 'Expected' },
      want: '2026-11-23T12:00:00Z',
    },
    {
      name: 'stamped with the operator clock, not a backdated history entry people wrote',
      status: {
        state: 'Resolved',
        reason: 'Expected',
        history: [{ time: '2020-01-01T00:00:00Z', from: 'Open', to: 'Resolved' }],
      },
      want: '2026-11-23T12:00:00Z',
    },
    {
      name: 'kept once stamped',
      status: { state: 'Resolved', reason: 'Expected', resolvedAt: '2026-11-20T00:00:00Z' },
      want: undefined,
    },
    {
      name: 'removed on reopen',
      status: { state: 'Open', resolvedAt: '2026-11-20T00:00:00Z' },
      want: null,
    },
    { name: 'absent while never resolved', status: { state: 'Acknowledged' }, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(reconcileStatus(alert(c.status), now)?.resolvedAt, c.want));
  }
});

describe('retention', () => {
  const resolved = alert({
    state: 'Resolved',
    reason: 'Expected',
    resolvedAt: '2026-11-01T00:00:00Z',
    history: [{ time: '2020-01-01T00:00:00Z', from: 'Open', to: 'Resolved' }],
  });
  it('expires resolvedTTL after the operator saw the resolution, whatever history says', () => {
    assert.equal(expiresAt(resolved, detection([], '24h'))?.toISOString(), '2026-11-02T00:00:00.000Z');
  });
  it('never expires a resolved alert the operator has not stamped yet', () => {
    const unstamped = alert({
      state: 'Resolved',
      reason: 'Expected',
      history: [{ time: '2020-01-01T00:00:00Z', from: 'Open', to: 'Resolved' }],
    });
    assert.equal(expiresAt(unstamped, detection([], '1s')), undefined);
  });
  it('defaults to 30 days', () =>
    assert.equal(expiresAt(resolved, undefined)?.toISOString(), '2026-12-01T00:00:00.000Z'));
  it('never expires open or acknowledged alerts', () => {
    assert.equal(expiresAt(alert({ state: 'Open' }), detection([], '1s')), undefined);
    assert.equal(expiresAt(alert({ state: 'Acknowledged' }), detection([], '1s')), undefined);
  });
  const durations: [string, number | undefined][] = [
    ['720h', 2_592_000_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['', undefined],
    ['3 days', undefined],
  ];
  for (const [s, want] of durations) it(`parses "${s}"`, () => assert.equal(parseDuration(s), want));
});
