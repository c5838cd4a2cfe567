import type { KubeApi } from '../kube/api.js';
import { sleep } from '../kube/backoff.js';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import { type Clock, systemClock } from './clock.js';

/** `spec` of a coordination.k8s.io/v1 Lease, as leader election uses it. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** A coordination.k8s.io/v1 Lease. */
export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

/**
 * Where the Lease lives; the Kubernetes one below, an in-memory one in unit tests. Every call takes
 * the attempt's signal: when it aborts (the attempt's deadline passed) the request is abandoned.
 */
export interface LeaseStore {
  /** The Lease, or undefined when it does not exist. */
  get(signal?: AbortSignal): Promise<Lease | undefined>;
  /** Creates it; rejects with a 409 ApiError when someone else created it first. */
  create(lease: Lease, signal?: AbortSignal): Promise<Lease>;
  /** Replaces it, guarded by `metadata.resourceVersion`; rejects with a 409 ApiError on a lost race. */
  update(lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

/** Timings of leader election, in milliseconds. */
export interface ElectionTimings {
  /** How long a follower waits after the last observed change of the Lease before taking it over. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leadership. */
  renewDeadlineMs: number;
  /** Time between two attempts to acquire or renew. */
  retryPeriodMs: number;
  /**
   * Deadline of one attempt (read plus write), below `renewDeadlineMs`: a request that hangs is
   * aborted then, so a leader cut off from the API server gives up within the renew deadline
   * instead of after the client's request timeout. Default {@link attemptDeadlineMs}.
   */
  attemptTimeoutMs?: number;
}

/**
 * The default deadline of one Lease attempt: half the renew deadline (at least one retry period),
 * so a hung attempt leaves room for another one before the renew deadline passes.
 */
export const attemptDeadlineMs = (t: ElectionTimings): number =>
  t.attemptTimeoutMs ?? Math.max(t.retryPeriodMs, Math.floor(t.renewDeadlineMs / 2));

/** Sockets of the Lease's own pool: its requests are sequential (read, then write). */
export const LEASE_POOL_SOCKETS = 1;

/** client-go's defaults (leaderelection.LeaderElectionConfig as kube-controller-manager sets them). */
export const CLIENT_GO_TIMINGS: Readonly<ElectionTimings> = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** What the elector tells its owner. */
export interface ElectionEvents {
  /** This process now holds the Lease: start the leader-only work. */
  startedLeading(): void;
  /** This process lost the Lease (renewal failed past the deadline) or released it. */
  stoppedLeading(): void;
  /** Another (or no) holder was observed; for logs and metrics. */
  newLeader?(identity: string): void;
}

/** How a {@link LeaderElector} campaigns. */
export interface ElectorOptions {
  store: LeaseStore;
  /** Coordinates of the Lease (also inside `store`; used for the objects written). */
  lease: { namespace: string; name: string };
  /** This process's name in `holderIdentity`; unique per replica (the Pod name plus a random suffix). */
  identity: string;
  timings: ElectionTimings;
  log: Logger;
  clock?: Clock;
}

/**
 * The Lease stored in the cluster. `client` should have its own small pool ({@link
 * KubeApi.withOwnPool}): on the shared one a renewal queues behind watches and alert writes.
 */
export function kubeLeaseStore(client: KubeApi, namespace: string, name: string): LeaseStore {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const one = `${base}/${encodeURIComponent(name)}`;
  return {
    get: async (signal) => {
      try {
        return await client.request<Lease>('GET', one, { signal });
      } catch (err: unknown) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (lease, signal) =>
      client.request<Lease>('POST', base, {
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease },
        signal,
      }),
    update: (lease, signal) =>
      client.request<Lease>('PUT', one, {
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease },
        signal,
      }),
  };
}

/**
 * Leader election on a Lease, with client-go's algorithm: a follower takes the Lease over only when
 * its record has not changed for `leaseDuration` by the follower's OWN clock (no trust in remote
 * timestamps, so clock skew between nodes does not matter); the leader renews every `retryPeriod`
 * and gives up when it could not renew for `renewDeadline`. Correctness of alerts never depends on
 * exclusivity (names are deterministic); the Lease only avoids doing the work twice.
 */
export class LeaderElector {
  readonly #store: LeaseStore;
  readonly #lease: { namespace: string; name: string };
  readonly #identity: string;
  readonly #timings: ElectionTimings;
  readonly #events: ElectionEvents;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #stop = new AbortController();
  #leading = false;
  #observed?: { record: string; atMs: number; holder: string };
  #lastLease?: Lease;
  #loop?: Promise<void>;

  constructor(opts: ElectorOptions, events: ElectionEvents) {
    const t = opts.timings;
    if (!(t.leaseDurationMs > t.renewDeadlineMs && t.renewDeadlineMs > t.retryPeriodMs))
      throw new Error('leader election needs leaseDuration > renewDeadline > retryPeriod');
    if (!(attemptDeadlineMs(t) > 0 && attemptDeadlineMs(t) < t.renewDeadlineMs))
      throw new Error('leader election needs 0 < attemptTimeout < renewDeadline');
    this.#store = opts.store;
    this.#lease = opts.lease;
    this.#identity = opts.identity;
    this.#timings = t;
    this.#events = events;
    this.#log = opts.log;
    this.#clock = opts.clock ?? systemClock;
  }

  /** True while this process holds the Lease. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** The identity written into the Lease. */
  get identity(): string {
    return this.#identity;
  }

  /** Starts campaigning; returns at once. */
  start(): void {
    this.#loop ??= this.#run().catch((err: unknown) => {
      this.#log.error('Leader election loop failed', { err });
    });
  }

  /** Stops campaigning; a leader releases the Lease so a follower takes over at once. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    if (!this.#leading) return;
    this.#leading = false;
    await this.#release();
    this.#events.stoppedLeading();
  }

  async #run(): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs } = this.#timings;
    // Acquire: try every retry period until we hold the Lease.
    while (!this.#stop.signal.aborted && !(await this.#tryAcquireOrRenew()))
      await sleep(retryPeriodMs, this.#stop.signal);
    if (this.#stop.signal.aborted) return;
    this.#leading = true;
    this.#log.info('Acquired leadership', { identity: this.#identity });
    this.#events.startedLeading();
    // Renew: every retry period; give up after renewDeadline without one successful renewal.
    let renewedAt = this.#clock.now().getTime();
    while (!this.#stop.signal.aborted) {
      await sleep(retryPeriodMs, this.#stop.signal);
      if (this.#stop.signal.aborted) return;
      if (await this.#tryAcquireOrRenew()) {
        renewedAt = this.#clock.now().getTime();
        continue;
      }
      if (this.#clock.now().getTime() - renewedAt >= renewDeadlineMs) break;
    }
    if (this.#stop.signal.aborted) return;
    this.#leading = false;
    this.#log.error('Lost leadership: could not renew the Lease within the renew deadline', {
      identity: this.#identity,
      renewDeadlineMs,
    });
    this.#events.stoppedLeading();
  }

  /**
   * One attempt; true when this process holds the Lease afterwards. Errors count as "no". The
   * attempt has a true deadline ({@link attemptDeadlineMs}): its requests are aborted when it
   * passes, and the attempt ends then even if a store ignores the signal.
   */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const deadlineMs = attemptDeadlineMs(this.#timings);
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`Lease attempt passed its ${deadlineMs} ms deadline`)),
      deadlineMs,
    );
    const signal = AbortSignal.any([deadline.signal, this.#stop.signal]);
    let onAbort = (): void => {};
    const gaveUp = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.#attempt(signal), gaveUp]);
    } catch (err: unknown) {
      this.#log.warn('Lease attempt failed', { identity: this.#identity, deadlineMs, err });
      return false;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #attempt(signal: AbortSignal): Promise<boolean> {
    const nowMs = this.#clock.now().getTime();
    const now = microTime(nowMs);
    const durationSeconds = Math.ceil(this.#timings.leaseDurationMs / 1000);
    const current = await this.#store.get(signal);
    if (!current) {
      try {
        this.#lastLease = await this.#store.create(
          {
            metadata: this.#leaseMeta(),
            spec: {
              holderIdentity: this.#identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
          signal,
        );
        this.#observe(this.#lastLease, nowMs);
        return true;
      } catch (err: unknown) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    this.#observe(current, nowMs);
    const holder = current.spec.holderIdentity ?? '';
    const observedAt = this.#observed?.atMs ?? nowMs;
    // Held by someone else and not expired by our own clock: follow.
    if (holder !== '' && holder !== this.#identity && observedAt + this.#timings.leaseDurationMs > nowMs)
      return false;
    const mine = holder === this.#identity;
    const next: Lease = {
      metadata: { ...this.#leaseMeta(), resourceVersion: current.metadata.resourceVersion },
      spec: {
        holderIdentity: this.#identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: mine ? (current.spec.acquireTime ?? now) : now,
        renewTime: now,
        leaseTransitions: (current.spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
    try {
      this.#lastLease = await this.#store.update(next, signal);
      this.#observe(this.#lastLease, nowMs);
      return true;
    } catch (err: unknown) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Remembers when the Lease record last changed, by our clock (client-go's observedTime). */
  #observe(lease: Lease, nowMs: number): void {
    const record = JSON.stringify(lease.spec);
    if (this.#observed?.record === record) return;
    const holder = lease.spec.holderIdentity ?? '';
    if (holder !== this.#observed?.holder) this.#events.newLeader?.(holder);
    this.#observed = { record, atMs: nowMs, holder };
  }

  /** Gives the Lease up (holder empty, 1 s duration), as client-go's ReleaseOnCancel does. */
  async #release(): Promise<void> {
    const last = this.#lastLease;
    if (!last) return;
    const now = microTime(this.#clock.now().getTime());
    try {
      const signal = AbortSignal.timeout(attemptDeadlineMs(this.#timings));
      await this.#store.update(
        {
          metadata: { ...this.#leaseMeta(), resourceVersion: last.metadata.resourceVersion },
          spec: {
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: last.spec.leaseTransitions ?? 0,
          },
        },
        signal,
      );
      this.#log.info('Released leadership', { identity: this.#identity });
    } catch (err: unknown) {
      // Another holder already took over, or the API server is gone: the Lease expires by itself.
      this.#log.warn('Could not release the Lease; it expires by itself', { identity: this.#identity, err });
    }
  }

  #leaseMeta(): { name: string; namespace: string } {
    return { name: this.#lease.name, namespace: this.#lease.namespace };
  }
}

/** MicroTime as the API server writes it (`2026-11-23T12:00:00.123456Z`). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
