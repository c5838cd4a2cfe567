import assert from 'node:assert/strict';
import { actionObject } from '../../../src/actions/detections.js';
import type { ActionEvent } from '../../../src/actions/events.js';
import { ActionAlertWriter, type HandleOutcome } from '../../../src/actions/writer.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { type CompiledDetection, compileDetection } from '../../../src/detections/compile.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { ManualClock } from '../actors/samples.js';
import { FakeCluster } from '../support/fake-cluster.js';

const ALERTS = 'auditalerts.tripline.dev';
const alertsIn = (cluster: FakeCluster): AuditAlert[] =>
  cluster.list('tripline.dev/v1alpha1', 'AuditAlert') as unknown as AuditAlert[];

const detection = (): CompiledDetection => {
  const d: AuditDetection = {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name: 'pod-exec', uid: 'd-1', generation: 1 },
    spec: {
      title: 't',
      severity: 'High',
      category: 'Workload',
      resources: [{ version: 'v1', resource: 'pods' }],
      events: ['Exec', 'Attach', 'PortForward'],
      match: { namespaces: { exclude: ['sandbox'] } },
      exceptions: [{ users: ['break-glass'] }],
    },
  } as AuditDetection;
  const r = compileDetection(
    d,
    undefined,
    (o) => (o.action as { user: { username: string; groups: string[] } }).user,
  );
  assert.ok(r.ok);
  return r.detection;
};

function exec(id: string, over: Partial<ActionEvent> = {}): ActionEvent {
  return {
    type: 'Exec',
    id,
    user: { username: 'tenant-dev', groups: ['devs'] },
    target: { kind: 'Pod', namespace: 'shop', name: 'web-0' },
    resource: 'pods/exec',
    command: `cmd-${id}`,
    at: Date.parse('2027-01-01T00:00:00Z'),
    ...over,
  };
}

function writerOn(api: FakeCluster, opts: { active?: () => boolean; maxPending?: number } = {}) {
  const d = detection();
  const raised: string[] = [];
  const writer = new ActionAlertWriter(
    {
      client: api,
      clock: new ManualClock(Date.parse('2027-01-01T00:00:00Z')),
      log: silentLogger(),
      backoff: { baseMs: 1, maxMs: 1 },
      matching: (e) => {
        const object = actionObject(e);
        return d.filter(object) === true && d.exception(object) === undefined
          ? [{ detection: d, object }]
          : [];
      },
      active: opts.active ?? (() => true),
      onRaised: (a) => raised.push(a.metadata?.name as string),
    },
    { quietMs: 3_600_000, maxPending: opts.maxPending ?? 100, maxSeen: 100 },
  );
  return { writer, raised };
}

describe('ActionAlertWriter', () => {
  it('takes or drops each request, and says why', async () => {
    const api = new FakeCluster();
    let leading = true;
    const { writer } = writerOn(api, { active: () => leading, maxPending: 1 });
    const cases: Array<{ name: string; event: ActionEvent; before?: () => void; want: HandleOutcome }> = [
      { name: 'a new request', event: exec('1'), want: 'queued' },
      { name: 'the same review again', event: exec('1'), want: 'duplicate' },
      {
        name: 'an allowed namespace',
        event: exec('2', { target: { kind: 'Pod', namespace: 'sandbox', name: 'x' } }),
        want: 'unmatched',
      },
      {
        name: 'an excepted user',
        event: exec('3', { user: { username: 'break-glass', groups: [] } }),
        want: 'unmatched',
      },
      {
        name: 'another episode beyond maxPending',
        event: exec('4', { target: { kind: 'Pod', namespace: 'shop', name: 'other' } }),
        want: 'overflow',
      },
      { name: 'a follower', event: exec('5'), before: () => (leading = false), want: 'follower' },
    ];
    for (const c of cases) {
      c.before?.();
      assert.equal(writer.handle(c.event), c.want, c.name);
    }
    leading = true;
    await writer.idle();
    await writer.stop();
  });

  it('one alert per episode: repeated requests add to its counts, and a restarted writer finds the open episode by its labels', async () => {
    const api = new FakeCluster();
    const a = writerOn(api);
    for (const id of ['1', '2', '3']) a.writer.handle(exec(id));
    await a.writer.idle();
    a.writer.handle(exec('4', { command: 'cmd-1' }));
    await a.writer.idle();
    const alerts = alertsIn(api);
    assert.equal(alerts.length, 1);
    const [alert] = alerts;
    const name = alert?.metadata?.name as string;
    assert.equal(alert?.status?.action?.count, 4);
    assert.deepEqual(alert?.status?.action?.commands, ['cmd-1', 'cmd-2', 'cmd-3']);
    assert.equal(a.raised.length, 1);
    // One create; every batch of requests is one status patch guarded by the resourceVersion read.
    const writes = api.writes();
    assert.equal(writes[0], `create ${ALERTS} ${name}`);
    assert.ok(writes.length >= 2);
    assert.ok(
      writes.slice(1).every((w) => w === `patch ${ALERTS} ${name}/status`),
      writes.join('\n'),
    );
    const patches = api.actions.filter((x) => x.verb === 'patch');
    assert.ok(
      patches.every((p) => (p.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion),
    );
    // A restarted writer (nothing in memory) finds the open episode by its labels.
    api.clearActions();
    const b = writerOn(api);
    b.writer.handle(exec('5'));
    await b.writer.idle();
    assert.equal(alertsIn(api).length, 1);
    assert.equal(alertsIn(api)[0]?.status?.action?.count, 5);
    assert.equal(b.raised.length, 0);
    assert.deepEqual(api.writes(), [`patch ${ALERTS} ${name}/status`]);
    await a.writer.stop();
    await b.writer.stop();
  });

  it('a status write that meets a newer resourceVersion re-reads and merges, losing no count', async () => {
    const api = new FakeCluster();
    const { writer } = writerOn(api);
    writer.handle(exec('1'));
    await writer.idle();
    const [first] = alertsIn(api);
    const name = first?.metadata?.name as string;
    // Someone else (the lifecycle controller, a person) writes the alert between the writer's read and its patch.
    api.before({ verb: 'patch', resource: ALERTS, name, subresource: 'status' }, () => {
      const now = alertsIn(api)[0] as AuditAlert;
      api.put({ ...now, metadata: { ...now.metadata, annotations: { touched: 'yes' } } });
    });
    api.clearActions();
    writer.handle(exec('2'));
    await writer.idle();
    assert.deepEqual(api.writes(), [
      `patch ${ALERTS} ${name}/status -> 409`,
      `patch ${ALERTS} ${name}/status`,
    ]);
    assert.equal(alertsIn(api)[0]?.status?.action?.count, 2);
    await writer.stop();
  });

  it('a resolved episode is left alone: the next request opens episode 2 under another deterministic name', async () => {
    const api = new FakeCluster();
    const { writer } = writerOn(api);
    writer.handle(exec('1'));
    await writer.idle();
    const first = alertsIn(api)[0] as AuditAlert;
    // A person resolves it.
    const resolved: AuditAlert = { ...first, status: { ...first.status, state: 'Resolved' } };
    api.put(resolved);
    api.clearActions();
    writer.handle(exec('2'));
    await writer.idle();
    const alerts = alertsIn(api);
    assert.equal(alerts.length, 2);
    const second = alerts.find((x) => x.metadata?.name !== first.metadata?.name);
    assert.equal(second?.metadata?.labels?.['tripline.dev/action-episode'], '2');
    assert.equal(alerts.find((x) => x.metadata?.name === first.metadata?.name)?.status?.action?.count, 1);
    assert.equal(second?.status?.action?.count, 1);
    assert.deepEqual(api.writes(), [
      `create ${ALERTS} ${second?.metadata?.name}`,
      `patch ${ALERTS} ${second?.metadata?.name}/status`,
    ]);
    await writer.stop();
  });
});
