import assert from 'node:assert/strict';
import type { Severity } from '../../../src/api/constants.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { Settings } from '../../../src/config/schema.js';
import { type DetectionNotify, Notifier, routes } from '../../../src/notify/router.js';
import type { AlertNotice, AlertView, SinkEntry, SinkId } from '../../../src/notify/sink.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { alertFixture } from './fixtures.js';

describe('routes (global minimum severity and the detection notify)', () => {
  const cases: {
    name: string;
    sink: SinkId;
    sev: Severity;
    min: Severity;
    notify?: DetectionNotify;
    want: boolean;
  }[] = [
    { name: 'no routing: everything', sink: 'webhook', sev: 'Info', min: 'Info', want: true },
    { name: 'below the global minimum', sink: 'slack', sev: 'Medium', min: 'High', want: false },
    { name: 'at the global minimum', sink: 'slack', sev: 'High', min: 'High', want: true },
    { name: 'above the global minimum', sink: 'slack', sev: 'Critical', min: 'High', want: true },
    { name: 'sink listed', sink: 'slack', sev: 'Low', min: 'Info', notify: { sinks: ['slack'] }, want: true },
    {
      name: 'sink not listed',
      sink: 'webhook',
      sev: 'Low',
      min: 'Info',
      notify: { sinks: ['slack'] },
      want: false,
    },
    {
      name: 'empty list: nowhere',
      sink: 'events',
      sev: 'Critical',
      min: 'Info',
      notify: { sinks: [] },
      want: false,
    },
    {
      name: 'below detection minimum',
      sink: 'events',
      sev: 'Low',
      min: 'Info',
      notify: { minSeverity: 'Medium' },
      want: false,
    },
    {
      name: 'at detection minimum',
      sink: 'events',
      sev: 'Medium',
      min: 'Info',
      notify: { minSeverity: 'Medium' },
      want: true,
    },
    {
      name: 'both: detection allows, global refuses',
      sink: 'alertmanager',
      sev: 'Medium',
      min: 'High',
      notify: { sinks: ['alertmanager'], minSeverity: 'Low' },
      want: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(routes(c.sink, c.sev, c.min, c.notify), c.want));
  }
});

const settings = { slackMinSeverity: 'High' } as Settings;

/** A sink table of recording sinks. */
function recordingTable(seen: { sink: SinkId; notice?: AlertNotice; open?: [AlertView, boolean] }[]) {
  const entry = (id: SinkId, min?: Severity, throws = false): SinkEntry => ({
    id,
    enabled: () => true,
    ...(min ? { minSeverity: () => min } : {}),
    create: () => ({
      id,
      notify: (notice) => {
        if (throws) throw new Error('sink bug');
        seen.push({ sink: id, notice });
      },
      openChanged: (a, open) => seen.push({ sink: id, open: [a, open] }),
      stop: async () => {},
    }),
  });
  return [entry('events'), entry('slack', 'High'), entry('webhook', undefined, true)];
}

function notifier(
  seen: Parameters<typeof recordingTable>[0],
  detections: Record<string, AuditDetection> = {},
) {
  return new Notifier(recordingTable(seen), {
    settings,
    client: new FakeCluster(),
    clock: { now: () => new Date('2026-11-23T12:00:00Z') },
    log: silentLogger(),
    metrics: createMetrics(),
    detection: (n) => detections[n],
  });
}

describe('Notifier', () => {
  it('sends a raised alert to the sinks it is routed to, and survives a throwing sink', () => {
    const seen: Parameters<typeof recordingTable>[0] = [];
    const n = notifier(seen);
    n.raised(alertFixture({ severity: 'Medium' }));
    assert.deepEqual(
      seen.map((s) => [s.sink, s.notice?.type]),
      [['events', 'raised']],
    );
    n.raised(alertFixture({ severity: 'Critical' }));
    assert.deepEqual(
      seen.slice(1).map((s) => s.sink),
      ['events', 'slack'],
    );
  });

  it("follows the detection's notify.sinks", () => {
    const seen: Parameters<typeof recordingTable>[0] = [];
    const det = { spec: { notify: { sinks: ['slack'] } } } as unknown as AuditDetection;
    notifier(seen, { 'ingress-created': det }).raised(alertFixture({ severity: 'High' }));
    assert.deepEqual(
      seen.map((s) => s.sink),
      ['slack'],
    );
  });

  it('turns recorded history entries and remediation outcomes into notices', () => {
    const seen: Parameters<typeof recordingTable>[0] = [];
    const n = notifier(seen);
    const a = alertFixture({ severity: 'Low' });
    n.recorded(a, { entry: { time: '2026-11-23T12:00:01Z', from: 'Open', to: 'Acknowledged', by: 'alice' } });
    n.recorded(a, { entry: { time: '2026-11-23T12:00:02Z', from: 'Acknowledged', to: 'Resolved' } });
    n.recorded(a, { entry: { time: '2026-11-23T12:00:03Z', from: 'Resolved', to: 'Open' } });
    n.recorded(a, { remediation: { action: 'DeleteSubject', result: 'Failed', message: 'forbidden' } });
    assert.deepEqual(
      seen.map((s) => [s.notice?.type, s.notice?.by]),
      [
        ['acknowledged', 'alice'],
        ['resolved', undefined],
        ['reopened', undefined],
        ['remediationFailed', undefined],
      ],
    );
    assert.equal(seen[3]?.notice?.action, 'DeleteSubject');
  });

  it('feeds the open-alert set from the watch and tells the sinks that track it', () => {
    const seen: Parameters<typeof recordingTable>[0] = [];
    const n = notifier(seen);
    const a = alertFixture({});
    n.observed('LISTED', a);
    n.listed();
    n.observed('MODIFIED', { ...a, status: { state: 'Resolved', reason: 'Expected' } });
    const opens = seen.filter((s) => s.open && s.sink === 'events').map((s) => s.open?.[1]);
    assert.deepEqual(opens, [true, false]);
    assert.equal(n.open.size, 0);
  });
});
