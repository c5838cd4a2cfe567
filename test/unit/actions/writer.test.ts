import assert from 'node:assert/strict';
import { actionObject } from '../../../src/actions/detections.js';
import type { ActionEvent } from '../../../src/actions/events.js';
import { ActionAlertWriter, type HandleOutcome } from '../../../src/actions/writer.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { type CompiledDetection, compileDetection } from '../../../src/detections/compile.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { ManualClock } from '../actors/samples.js';

/** The AuditAlert API as far as the writer uses it: list by labels, create, get, merge-patch status with a resourceVersion guard. */
class FakeAlerts {
  readonly alerts = new Map<string, AuditAlert>();
  #rv = 0;
  request = async (
    method: string,
    path: string,
    opts: { query?: Record<string, string>; body?: unknown } = {},
  ) => {
    const name = decodeURIComponent(path.split('/auditalerts/')[1]?.replace(/\/status$/, '') ?? '');
    if (method === 'GET' && !name) {
      const want = (opts.query?.labelSelector ?? '').split(',').map((kv) => kv.split('='));
      const items = [...this.alerts.values()].filter((a) =>
        want.every(([k, v]) => a.metadata?.labels?.[k as string] === v),
      );
      return structuredClone({ items });
    }
    if (method === 'POST') {
      const a = structuredClone(opts.body as AuditAlert);
      if (this.alerts.has(a.metadata?.name as string))
        throw new ApiError('exists', { status: 409, reason: 'AlreadyExists' });
      a.metadata = { ...a.metadata, resourceVersion: String(++this.#rv) };
      this.alerts.set(a.metadata.name as string, a);
      return {};
    }
    const a = this.alerts.get(name);
    if (!a) throw new ApiError('not found', { status: 404, reason: 'NotFound' });
    if (method === 'GET') return structuredClone(a);
    const patch = opts.body as { metadata: { resourceVersion: string }; status: AuditAlert['status'] };
    if (patch.metadata.resourceVersion !== a.metadata?.resourceVersion)
      throw new ApiError('conflict', { status: 409, reason: 'Conflict' });
    a.status = { ...a.status, ...patch.status };
    a.metadata = { ...a.metadata, resourceVersion: String(++this.#rv) };
    return {};
  };
}

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

function writerOn(api: FakeAlerts, opts: { active?: () => boolean; maxPending?: number } = {}) {
  const d = detection();
  const raised: string[] = [];
  const writer = new ActionAlertWriter(
    {
      client: api as unknown as KubeClient,
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
    const api = new FakeAlerts();
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
    const api = new FakeAlerts();
    const a = writerOn(api);
    for (const id of ['1', '2', '3']) a.writer.handle(exec(id));
    await a.writer.idle();
    a.writer.handle(exec('4', { command: 'cmd-1' }));
    await a.writer.idle();
    assert.equal(api.alerts.size, 1);
    const [alert] = [...api.alerts.values()];
    assert.equal(alert?.status?.action?.count, 4);
    assert.deepEqual(alert?.status?.action?.commands, ['cmd-1', 'cmd-2', 'cmd-3']);
    assert.equal(a.raised.length, 1);
    // A restarted writer (nothing in memory) finds the open episode by its labels.
    const b = writerOn(api);
    b.writer.handle(exec('5'));
    await b.writer.idle();
    assert.equal(api.alerts.size, 1);
    assert.equal([...api.alerts.values()][0]?.status?.action?.count, 5);
    assert.equal(b.raised.length, 0);
    await a.writer.stop();
    await b.writer.stop();
  });

  it('a resolved episode is left alone: the next request opens episode 2 under another deterministic name', async () => {
    const api = new FakeAlerts();
    const { writer } = writerOn(api);
    writer.handle(exec('1'));
    await writer.idle();
    const first = [...api.alerts.values()][0] as AuditAlert;
    first.status = { ...first.status, state: 'Resolved' };
    writer.handle(exec('2'));
    await writer.idle();
    assert.equal(api.alerts.size, 2);
    const second = [...api.alerts.values()].find((x) => x !== first);
    assert.equal(second?.metadata?.labels?.['tripline.dev/action-episode'], '2');
    assert.equal(first.status?.action?.count, 1);
    assert.equal(second?.status?.action?.count, 1);
    await writer.stop();
  });
});
