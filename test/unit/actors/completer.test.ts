import assert from 'node:assert/strict';
import { ActorCompleter, type CompletionOutcome } from '../../../src/actors/completer.js';
import type { AttributionQuery } from '../../../src/actors/correlate.js';
import { parseAuditEvents } from '../../../src/actors/records.js';
import { AttributionStore } from '../../../src/actors/store.js';
import { ApiError } from '../../../src/kube/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { auditEvent, eventList, ManualClock } from './samples.js';

const CREATED = Date.parse('2026-11-23T12:00:00Z');
const QUERY: AttributionQuery = {
  event: 'Created',
  coordinates: { group: 'networking.k8s.io', resource: 'ingresses', namespace: 'team-a' },
  name: 'shop',
  uid: 'u1',
  createdAt: CREATED,
  detectedAt: CREATED + 500,
};
const ACTOR = {
  fieldManager: 'kubectl-create',
  username: 'tenant-dev',
  groups: ['devs', 'system:authenticated'],
  source: ['managedFields', 'admission'],
};

interface Call {
  method: string;
  path: string;
  body: unknown;
}

/** Answers each PATCH with the next scripted error, then success. */
class FakeClient {
  readonly calls: Call[] = [];
  constructor(private readonly errors: ApiError[] = []) {}
  async request<T>(method: string, path: string, opts: { body?: unknown } = {}): Promise<T> {
    this.calls.push({ method, path, body: opts.body });
    const err = this.errors.shift();
    if (err) throw err;
    return {} as T;
  }
}

function setup(errors: ApiError[] = []) {
  const clock = new ManualClock(CREATED + 600);
  const store = new AttributionStore({ maxEntries: 100, ttlMs: 300_000 }, clock);
  const client = new FakeClient(errors);
  const outcomes: CompletionOutcome[] = [];
  const completer = new ActorCompleter(
    { client, store, clock, log: silentLogger(), onOutcome: (o) => outcomes.push(o) },
    { ttlMs: 60_000, maxPending: 2, retryMs: 5, maxAttempts: 5 },
  );
  const audit = (o = {}) => store.recordAudit(parseAuditEvents(eventList(auditEvent(o))).records);
  const settle = () => new Promise((r) => setTimeout(r, 50));
  return { clock, store, client, outcomes, completer, audit, settle };
}

const notFound = () => new ApiError('GET: 404', { status: 404, reason: 'NotFound' });

describe('ActorCompleter', () => {
  it('patches spec.actor once, adding the audit facts to what was written', async () => {
    const s = setup();
    s.completer.track('alert-1', QUERY, ACTOR);
    s.audit();
    s.audit(); // the same facts again: nothing left to do
    await s.settle();
    assert.equal(s.client.calls.length, 1);
    assert.equal(s.client.calls[0]?.method, 'PATCH');
    assert.equal(s.client.calls[0]?.path, '/apis/tripline.dev/v1alpha1/auditalerts/alert-1');
    assert.deepEqual(s.client.calls[0]?.body, {
      spec: {
        actor: {
          ...ACTOR,
          userAgent: 'kubectl/v1.37.2 (linux/amd64) kubernetes/7c06c13',
          sourceIPs: ['127.0.0.1'],
          source: ['managedFields', 'admission', 'audit'],
        },
      },
    });
    assert.deepEqual(s.outcomes, ['patched']);
    assert.equal(s.completer.pending, 0);
    await s.completer.stop();
  });

  it('retries while the alert is not written yet (404)', async () => {
    const s = setup([notFound(), notFound()]);
    s.completer.track('alert-1', QUERY, ACTOR);
    s.audit();
    await s.settle();
    assert.equal(s.client.calls.length, 3);
    assert.deepEqual(s.outcomes, ['patched']);
    await s.completer.stop();
  });

  it('gives up when the API server refuses the change (the CRD allows completion only)', async () => {
    const s = setup([new ApiError('PATCH: 422', { status: 422, reason: 'Invalid' })]);
    s.completer.track('alert-1', QUERY, ACTOR);
    s.audit();
    await s.settle();
    assert.equal(s.client.calls.length, 1);
    assert.deepEqual(s.outcomes, ['refused']);
    await s.completer.stop();
  });

  it("ignores another user's request and other objects' events", async () => {
    const s = setup();
    s.completer.track('alert-1', QUERY, ACTOR);
    s.audit({ user: { username: 'mallory', groups: [] } });
    s.audit({ name: 'other' });
    await s.settle();
    assert.equal(s.client.calls.length, 0);
    assert.equal(s.completer.pending, 1);
    await s.completer.stop();
  });

  it('expires alerts whose event never came, and drops the oldest beyond maxPending', async () => {
    const s = setup();
    s.completer.track('a', QUERY, ACTOR);
    s.completer.track('b', QUERY, ACTOR);
    s.completer.track('c', QUERY, ACTOR);
    assert.deepEqual(s.outcomes, ['expired']);
    s.clock.advance(61_000);
    s.audit();
    await s.settle();
    assert.equal(s.client.calls.length, 0);
    assert.deepEqual(s.outcomes, ['expired', 'expired', 'expired']);
    await s.completer.stop();
  });
});
