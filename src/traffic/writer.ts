import { withClusterLabel } from '../alerts/build.js';
import { createAlert, mergeOpenAlertStatus } from '../alerts/writer.js';
import { ALERTS_PATH } from '../api/constants.js';
import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { KubeApi } from '../kube/api.js';
import type { Backoff } from '../kube/backoff.js';
import { classifyError } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import { type QueueEvents, type ReconcileResult, WorkQueue } from '../runtime/queue.js';
import { buildTrafficAlert, describeTarget, episodeSelector, TRAFFIC_LABELS } from './alert.js';
import { type AlertRateLimit, buildRateLimitedAlert } from './alert-limit.js';
import type { EpisodeDelta, TrafficEvent } from './engine.js';
import type { HostIndex } from './host-index.js';
import type { Finding } from './rules.js';
import { mergeTrafficStatus, type StatusUpdate } from './status.js';
import { resolveIngress } from './subject.js';
import { TopK } from './top-k.js';

/** What the writer needs. */
export interface TrafficWriterDeps {
  client: KubeApi;
  clock: Clock;
  log: Logger;
  backoff: Backoff;
  /** Source addresses kept per pending batch. */
  maxSources: number;
  /** False while another replica leads: writes wait (batches keep merging, bounded). */
  active(): boolean;
  raised?(detection: string, rule: string, severity: string): void;
  /** A new alert was created (notification sinks), as the object raiser reports its alerts. */
  onRaised?(alert: AuditAlert): void;
  updated?(detection: string, rule: string): void;
  /** A new alert was held back by the rate limit. */
  suppressed?(detection: string, rule: string): void;
  /** New alerts per detection and minute; undefined: unlimited (tests). */
  limit?: { perMinute: number; buckets: AlertRateLimit };
  /** Host → Ingress, for alerts whose lines named only a host. */
  hosts?: HostIndex;
  /** `--cluster-name`, set as the `tripline.dev/cluster` label of every alert; empty: none. */
  cluster?: string;
  /** Queue hooks (metrics: depth, terminal errors). */
  queueEvents?: QueueEvents;
}

/** The alert of one (detection, Ingress, rule) and what is waiting to be written to it. */
interface Pending {
  /** The latest event; carries detection, rule, target, window and finding. */
  event: TrafficEvent;
  /** The first fired event not yet turned into an alert lookup. */
  fire?: TrafficEvent & { finding: Finding };
  fired: number;
  active: boolean;
  clearedAtMs?: number;
  delta: EpisodeDelta;
  /** The open alert, once found or created. */
  alert?: string;
  /** The alert was resolved while the condition held: nothing is written until it fires again. */
  closed: boolean;
  lastWriteMs: number;
  /** Something changed that must be written now rather than at the next interval. */
  urgent: boolean;
}

/** How long an inactive replica waits before looking again. */
const INACTIVE_RETRY_MS = 2000;

function mergeDelta(into: EpisodeDelta, d: EpisodeDelta): void {
  into.requests += d.requests;
  into.matched += d.matched;
  for (const [code, n] of d.codes) into.codes.set(code, (into.codes.get(code) ?? 0) + n);
  into.sources.merge(d.sources);
  if (d.lastSeenMs > into.lastSeenMs) into.lastSeenMs = d.lastSeenMs;
}

/**
 * Turns the engine's events into AuditAlerts: one open alert per (detection, Ingress, rule).
 *
 * On `fired` it looks for that rule's open alert by labels (so a restart or the other replica
 * finds it) and updates it, or creates the next episode under a deterministic name (a 409 means
 * another writer created that very episode: same result). While the condition lasts it adds the
 * counts to `status.traffic` at most once per `updateInterval`, under a resourceVersion guard. An
 * alert found Resolved is left alone; the next episode starts only when the rule fires again.
 * Memory: one entry per firing (detection, Ingress, rule), each with bounded summaries.
 */
export class TrafficAlertWriter {
  readonly #deps: TrafficWriterDeps;
  readonly #pending = new Map<string, Pending>();
  readonly #queue: WorkQueue<undefined>;

  constructor(deps: TrafficWriterDeps) {
    this.#deps = deps;
    this.#queue = new WorkQueue(
      { name: 'traffic-alerts', concurrency: 4, backoff: deps.backoff, events: deps.queueEvents },
      (key) => this.#reconcile(key),
      deps.log,
    );
  }

  /** Alerts being tracked (firing rules, or written-to alerts not yet flushed). */
  get tracked(): number {
    return this.#pending.size;
  }

  /** Merges a tick's events and schedules the writes. */
  handle(events: readonly TrafficEvent[]): void {
    for (const e of events) {
      const key = `${e.detection.name}/${e.target.key}/${e.rule.id}`;
      let p = this.#pending.get(key);
      if (!p) {
        if (e.type !== 'fired') continue; // a rule this writer never saw fire (e.g. resolved and dropped)
        p = {
          event: e,
          fired: 0,
          active: true,
          delta: this.#emptyDelta(e.atMs),
          closed: false,
          lastWriteMs: 0,
          urgent: true,
        };
        this.#pending.set(key, p);
      }
      this.#merge(p, e);
      this.#queue.add(key, undefined);
    }
  }

  /** Waits for pending writes to finish and stops. */
  async stop(): Promise<void> {
    await this.#queue.shutdown();
  }

  /** Resolves when nothing is queued or in flight (tests). */
  async idle(): Promise<void> {
    await this.#queue.idle();
  }

  #emptyDelta(atMs: number): EpisodeDelta {
    return {
      requests: 0,
      matched: 0,
      codes: new Map(),
      sources: new TopK(this.#deps.maxSources),
      lastSeenMs: atMs,
    };
  }

  #merge(p: Pending, e: TrafficEvent): void {
    p.event = e;
    if (e.type === 'fired' && e.finding) {
      p.active = true;
      p.clearedAtMs = undefined;
      p.urgent = true;
      if (p.closed) {
        // Its alert was resolved; the condition recurred: a new episode, counted from this window.
        p.closed = false;
        p.fired = 0;
        p.delta = this.#emptyDelta(e.atMs);
      }
      if (!p.alert) p.fire ??= { ...e, finding: e.finding };
      p.fired++;
    } else if (e.type === 'cleared') {
      p.active = false;
      p.clearedAtMs = e.atMs;
      p.urgent = true;
    }
    if (!p.closed) mergeDelta(p.delta, e.delta);
  }

  async #reconcile(key: string): Promise<ReconcileResult> {
    const p = this.#pending.get(key);
    if (!p) return undefined;
    if (!this.#deps.active()) return { requeueAfterMs: INACTIVE_RETRY_MS };
    if (p.closed) {
      if (!p.active) this.#pending.delete(key);
      return undefined;
    }
    if (!p.alert && p.fire) {
      try {
        await this.#open(p, p.fire);
      } catch (err: unknown) {
        // Refused for good (kube/errors.ts classifyError): forget this firing as if it had
        // resolved, so every tick does not try it again; the queue counts and logs the error.
        if (classifyError(err) !== 'retry') this.#pending.delete(key);
        throw err;
      }
    }
    if (!p.alert) {
      this.#pending.delete(key);
      return undefined;
    }
    const interval = p.event.detection.updateIntervalMs;
    const now = this.#deps.clock.now().getTime();
    if (!p.urgent && now - p.lastWriteMs < interval)
      return { requeueAfterMs: interval - (now - p.lastWriteMs) };
    await this.#flush(key, p, p.alert);
    return undefined;
  }

  /** Finds the open alert of this (detection, Ingress, rule) or creates the next episode. */
  async #open(p: Pending, fire: TrafficEvent & { finding: Finding }): Promise<void> {
    const d = fire.detection;
    const log = this.#deps.log.child({ detection: d.name, rule: fire.rule.id, target: fire.target.key });
    const episodes = await this.#episodes(d.name, fire);
    const open = episodes
      .filter((a) => a.status?.state !== 'Resolved')
      .sort((a, b) => episodeOf(b) - episodeOf(a))[0];
    if (open) {
      p.alert = open.metadata?.name as string;
      p.fire = undefined;
      log.info('Found open traffic AuditAlert', { alert: p.alert });
      return;
    }
    if (!(await this.#admit(fire))) {
      p.fire = undefined;
      return;
    }
    const episode = Math.max(0, ...episodes.map(episodeOf)) + 1;
    const subject = await resolveIngress(this.#deps.client, fire.target, this.#deps.hosts);
    const alert = withClusterLabel(
      buildTrafficAlert({
        event: fire,
        finding: fire.finding,
        episode,
        subject,
        detectedAt: this.#deps.clock.now(),
      }),
      this.#deps.cluster,
    );
    const outcome = await createAlert(this.#deps.client, alert, log);
    p.alert = alert.metadata?.name as string;
    p.fire = undefined;
    if (outcome === 'created') {
      this.#deps.raised?.(d.name, fire.rule.id, alert.spec.severity);
      this.#deps.onRaised?.(alert);
      log.info('Created AuditAlert', { alert: p.alert, ingress: describeTarget(fire.target), episode });
    }
  }

  /**
   * Whether the rate limit lets this detection create another alert. When it first bites in an
   * episode, the one aggregate alert of that episode is created instead.
   */
  async #admit(fire: TrafficEvent): Promise<boolean> {
    const limit = this.#deps.limit;
    if (!limit) return true;
    const d = fire.detection;
    const now = this.#deps.clock.now();
    const decision = limit.buckets.take(d.name, now.getTime());
    if (decision.allowed) return true;
    this.#deps.suppressed?.(d.name, fire.rule.id);
    if (decision.episodeMs === undefined) return false;
    const alert = withClusterLabel(
      buildRateLimitedAlert(d, limit.perMinute, decision.episodeMs, now),
      this.#deps.cluster,
    );
    const log = this.#deps.log.child({ detection: d.name });
    try {
      if ((await createAlert(this.#deps.client, alert, log)) === 'created') {
        this.#deps.raised?.(d.name, 'alert-rate-limit', alert.spec.severity);
        this.#deps.onRaised?.(alert);
        log.info('Created AuditAlert', { alert: alert.metadata?.name, reason: 'alert rate limit' });
      }
    } catch (err: unknown) {
      // The held-back alerts are still counted in the metric; the aggregate is not retried.
      log.error('Creating the alert-rate-limit AuditAlert failed', { err });
    }
    return false;
  }

  async #episodes(detection: string, e: TrafficEvent): Promise<AuditAlert[]> {
    const list = await this.#deps.client.request<{ items: AuditAlert[] | null }>('GET', ALERTS_PATH, {
      query: { labelSelector: episodeSelector(detection, e.target.key, e.rule.id) },
    });
    return list.items ?? [];
  }

  /** Writes what accumulated; on failure puts it back so the retry loses nothing. */
  async #flush(key: string, p: Pending, name: string): Promise<void> {
    const update: StatusUpdate = {
      fired: p.fired,
      active: p.active,
      delta: p.delta,
      window: p.event.window,
      topSources: p.event.detection.topSources,
      ...(p.clearedAtMs !== undefined ? { clearedAtMs: p.clearedAtMs } : {}),
      ...(p.event.finding ? { finding: p.event.finding } : {}),
      ...(p.event.detection.allow ? { verdict: (a: string) => p.event.detection.allow!.check(a) } : {}),
    };
    p.delta = this.#emptyDelta(p.delta.lastSeenMs);
    p.fired = 0;
    p.urgent = false;
    let outcome: 'written' | 'closed';
    try {
      outcome = await this.#writeStatus(name, p.event.rule.id, update);
    } catch (err: unknown) {
      mergeDelta(p.delta, update.delta);
      p.fired += update.fired;
      p.urgent = true;
      throw err;
    }
    p.lastWriteMs = this.#deps.clock.now().getTime();
    if (outcome === 'closed') {
      this.#deps.log.info('Traffic AuditAlert was resolved; waiting for the condition to recur', {
        alert: name,
      });
      p.closed = true;
      p.alert = undefined;
    } else {
      this.#deps.updated?.(p.event.detection.name, p.event.rule.id);
    }
    if (!p.active) this.#pending.delete(key);
  }

  /** Adds the update to the alert's status.traffic, re-reading on conflict. */
  #writeStatus(
    name: string,
    rule: TrafficEvent['rule']['id'],
    u: StatusUpdate,
  ): Promise<'written' | 'closed'> {
    return mergeOpenAlertStatus(this.#deps.client, name, (stored) => {
      const traffic = mergeTrafficStatus(stored.status?.traffic, rule, u, this.#deps.clock.now().getTime());
      // null removes clearedAt once the condition holds again (JSON merge patch).
      return { traffic: { clearedAt: null, ...traffic } };
    });
  }
}

/** The episode number of an alert, from its label. */
function episodeOf(a: AuditAlert): number {
  const n = Number(a.metadata?.labels?.[TRAFFIC_LABELS.episode]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}
