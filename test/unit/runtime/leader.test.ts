import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ClusterAccess } from '../../../src/kube/access.js';
import { KubeClient } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import {
  type ElectionTimings,
  kubeLeaseStore,
  LeaderElector,
  type Lease,
  type LeaseStore,
} from '../../../src/runtime/leader.js';

/** An in-memory Lease with the API server's resourceVersion guard, and a switch to fail calls. */
class MemoryLeaseStore implements LeaseStore {
  lease: Lease | undefined;
  failing = false;
  #rv = 0;

  async get(): Promise<Lease | undefined> {
    this.#check();
    return this.lease && structuredClone(this.lease);
  }

  async create(lease: Lease): Promise<Lease> {
    this.#check();
    if (this.lease) throw new ApiError('exists', { status: 409, reason: 'AlreadyExists' });
    this.lease = {
      ...structuredClone(lease),
      metadata: { ...lease.metadata, resourceVersion: `${++this.#rv}` },
    };
    return structuredClone(this.lease);
  }

  async update(lease: Lease): Promise<Lease> {
    this.#check();
    if (!this.lease) throw new ApiError('not found', { status: 404, reason: 'NotFound' });
    if (lease.metadata.resourceVersion !== this.lease.metadata.resourceVersion)
      throw new ApiError('conflict', { status: 409, reason: 'Conflict' });
    this.lease = {
      ...structuredClone(lease),
      metadata: { ...lease.metadata, resourceVersion: `${++this.#rv}` },
    };
    return structuredClone(this.lease);
  }

  #check(): void {
    if (this.failing) throw new ApiError('unavailable', { status: 503, reason: 'ServiceUnavailable' });
  }
}

const FAST: ElectionTimings = { leaseDurationMs: 400, renewDeadlineMs: 250, retryPeriodMs: 40 };
const LEASE = { namespace: 'tripline-system', name: 'tripline-operator' };

interface Candidate {
  elector: LeaderElector;
  log: string[];
}

function candidate(store: LeaseStore, identity: string, timings = FAST): Candidate {
  const log: string[] = [];
  const elector = new LeaderElector(
    { store, lease: LEASE, identity, timings, log: silentLogger() },
    { startedLeading: () => log.push('started'), stoppedLeading: () => log.push('stopped') },
  );
  return { elector, log };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never happened: ${what}`);
}

describe('LeaderElector', () => {
  const running: LeaderElector[] = [];
  afterEach(async () => {
    for (const e of running.splice(0)) await e.stop();
  });
  const start = (c: Candidate): Candidate => {
    running.push(c.elector);
    c.elector.start();
    return c;
  };

  it('creates the Lease when there is none and leads', async () => {
    const store = new MemoryLeaseStore();
    const a = start(candidate(store, 'a'));
    await until('a leads', () => a.elector.isLeader);
    assert.equal(store.lease?.spec.holderIdentity, 'a');
    assert.equal(store.lease?.spec.leaseDurationSeconds, 1, 'ceil(400 ms) in seconds');
    assert.equal(store.lease?.spec.leaseTransitions, 0);
    assert.deepEqual(a.log, ['started']);
  });

  it('keeps a second candidate following while the leader renews', async () => {
    const store = new MemoryLeaseStore();
    // A lease far longer than the retry period, so a busy test machine cannot starve a renewal.
    const patient: ElectionTimings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 20 };
    const a = start(candidate(store, 'a', patient));
    await until('a leads', () => a.elector.isLeader);
    const b = start(candidate(store, 'b', patient));
    // Several lease durations of renewals: b must never take over.
    const renewTimes = new Set<string>();
    await until('a renewed many times', () => {
      renewTimes.add(store.lease?.spec.renewTime ?? '');
      return renewTimes.size >= 40;
    });
    assert.equal(b.elector.isLeader, false);
    assert.deepEqual(b.log, []);
    assert.equal(store.lease?.spec.holderIdentity, 'a');
  });

  it('hands over at once when the leader stops (release), counting the transition', async () => {
    const store = new MemoryLeaseStore();
    const a = start(candidate(store, 'a'));
    await until('a leads', () => a.elector.isLeader);
    const b = start(candidate(store, 'b'));
    await a.elector.stop();
    assert.deepEqual(a.log, ['started', 'stopped']);
    await until('b leads', () => b.elector.isLeader);
    assert.equal(store.lease?.spec.holderIdentity, 'b');
    assert.equal(store.lease?.spec.leaseTransitions, 1);
  });

  it('takes over from a leader that died without releasing, after the lease duration', async () => {
    const store = new MemoryLeaseStore();
    // A leader that renewed once and died: the record never changes again.
    store.lease = {
      metadata: { ...LEASE, resourceVersion: '7' },
      spec: { holderIdentity: 'dead', leaseDurationSeconds: 1, renewTime: new Date().toISOString() },
    };
    const b = start(candidate(store, 'b'));
    await until('b leads', () => b.elector.isLeader);
    assert.equal(store.lease?.spec.holderIdentity, 'b');
    assert.equal(store.lease?.spec.leaseTransitions, 1);
  });

  it('takes a released Lease (empty holder) without waiting', async () => {
    const store = new MemoryLeaseStore();
    store.lease = {
      metadata: { ...LEASE, resourceVersion: '3' },
      spec: { holderIdentity: '', leaseDurationSeconds: 3600, renewTime: new Date().toISOString() },
    };
    const b = start(
      candidate(store, 'b', { leaseDurationMs: 60_000, renewDeadlineMs: 250, retryPeriodMs: 40 }),
    );
    await until('b leads', () => b.elector.isLeader);
  });

  it('gives leadership up when it cannot renew within the renew deadline', async () => {
    const store = new MemoryLeaseStore();
    const a = start(candidate(store, 'a'));
    await until('a leads', () => a.elector.isLeader);
    store.failing = true;
    await until('a stopped leading', () => a.log.includes('stopped'));
    assert.equal(a.elector.isLeader, false);
    assert.deepEqual(a.log, ['started', 'stopped']);
  });

  it('keeps campaigning through API errors and leads once the API answers', async () => {
    const store = new MemoryLeaseStore();
    store.failing = true;
    const a = start(candidate(store, 'a'));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(a.elector.isLeader, false);
    store.failing = false;
    await until('a leads', () => a.elector.isLeader);
  });

  it('refuses timings where the renew deadline is not between retry period and lease duration', () => {
    const store = new MemoryLeaseStore();
    assert.throws(
      () => candidate(store, 'a', { leaseDurationMs: 100, renewDeadlineMs: 200, retryPeriodMs: 10 }),
      /leaseDuration > renewDeadline > retryPeriod/,
    );
  });
});

describe('LeaderElector on a stalled API server', () => {
  it('aborts a Lease attempt that hangs, before the renew deadline passes', async () => {
    let requests = 0;
    let closedByClient = 0;
    const sockets = new Set<Socket>();
    // Accepts every request and never answers: an API server that stalls.
    const server = createServer(() => {
      requests++;
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => closedByClient++);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const access: ClusterAccess = { server: `http://127.0.0.1:${port}`, headers: async () => ({}) };
    // The request timeout is far beyond the test's: only the attempt deadline can end the request.
    const shared = new KubeClient(access, { maxSockets: 4, userAgent: 't', requestTimeoutMs: 600_000 });
    const leaseClient = shared.withOwnPool({ maxSockets: 1 });
    // A clock that never moves: the renew deadline never passes, so only the attempt deadline can act.
    const clock = { now: () => new Date('2026-01-01T00:00:00Z') };
    const timings = {
      leaseDurationMs: 60_000,
      renewDeadlineMs: 40_000,
      retryPeriodMs: 20,
      attemptTimeoutMs: 100,
    } as ElectionTimings;
    const elector = new LeaderElector(
      {
        store: kubeLeaseStore(leaseClient, LEASE.namespace, LEASE.name),
        lease: LEASE,
        identity: 'a',
        timings,
        log: silentLogger(),
        clock,
      },
      { startedLeading: () => {}, stoppedLeading: () => {} },
    );
    try {
      elector.start();
      await until('the client abandoned a hung request', () => closedByClient >= 1);
      assert.ok(requests >= 1, 'the request reached the server');
      assert.equal(elector.isLeader, false);
      // The next attempt is made on a new socket, and is abandoned too.
      await until('a second attempt abandoned', () => closedByClient >= 2);
    } finally {
      await elector.stop();
      leaseClient.close();
      shared.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
