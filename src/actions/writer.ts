import { withClusterLabel } from '../alerts/build.js';
import { createAlert, mergeOpenAlertStatus } from '../alerts/writer.js';
import { ALERTS_PATH } from '../api/constants.js';
import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { KubeObject } from '../api/kube-object.js';
import type { CompiledDetection } from '../detections/compile.js';
import type { KubeApi } from '../kube/api.js';
import type { Backoff } from '../kube/backoff.js';
import { classifyError } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import { type QueueEvents, type ReconcileResult, WorkQueue } from '../runtime/queue.js';
import { buildActionAlert } from './alert.js';
import {
  type ActionDelta,
  actionSelector,
  addEvent,
  chooseEpisode,
  type EpisodeKey,
  emptyDelta,
  episodeKey,
  keyString,
  mergeActionStatus,
  mergeDelta,
} from './episode.js';
import type { ActionEvent } from './events.js';
import { SeenIds } from './seen.js';

const WRITE_ATTEMPTS = 5;

/** What the writer needs. */
export interface ActionWriterDeps {
  client: KubeApi;
  clock: Clock;
  log: Logger;
  backoff: Backoff;
  /** The detections that take an event (filters and exceptions applied). */
  matching(e: ActionEvent): Array<{ detection: CompiledDetection; object: KubeObject }>;
  /** False while another replica leads: this one writes nothing and drops what it is sent. */
  active(): boolean;
  /** An episode was raised, updated, or a write given up. */
  outcome?(detection: string, event: string, outcome: 'raised' | 'updated' | 'failed'): void;
  /** A new alert was created (notification sinks). */
  onRaised?(alert: AuditAlert): void;
  /** `--cluster-name`, as the `tripline.dev/cluster` label of every alert (empty: none). */
  cluster?: string;
  /** Queue hooks (metrics: depth, terminal errors). */
  queueEvents?: QueueEvents;
}

/** Bounds of the writer. */
export interface ActionWriterOptions {
  /** An open episode that saw nothing for this long is over; the next request opens a new one. */
  quietMs: number;
  /** Episodes with unwritten requests held at once; beyond, new ones are dropped (counted). */
  maxPending: number;
  /** Request ids remembered to count a re-sent request once. */
  maxSeen: number;
}

/** The unwritten requests of one (detection, user, target). */
interface Pending {
  key: EpisodeKey;
  detection: CompiledDetection;
  /** The first unwritten request, and the object the detection saw it as: they open an episode. */
  first: ActionEvent;
  object: KubeObject;
  delta: ActionDelta;
  attempts: number;
}

/** What {@link ActionAlertWriter.handle} did with an event. */
export type HandleOutcome = 'queued' | 'unmatched' | 'duplicate' | 'follower' | 'overflow';

/**
 * Turns action requests into episodes: one open AuditAlert per (detection, user, target).
 *
 * For each batch of requests of a key it lists that key's episodes by labels (so a restart or the
 * other replica finds them), adds the counts to the newest one under a resourceVersion guard if it
 * is neither Resolved nor quiet, or creates the next episode under a deterministic name (a 409
 * means it exists: same result, counts then added). Only the leader writes; a follower drops what
 * it is sent (the webhook Service selects the leader, so it is sent nothing in normal operation).
 * Memory: at most `maxPending` keys with bounded deltas, and `maxSeen` request ids.
 */
export class ActionAlertWriter {
  readonly #deps: ActionWriterDeps;
  readonly #opts: ActionWriterOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #seen: SeenIds;
  readonly #queue: WorkQueue<undefined>;

  constructor(deps: ActionWriterDeps, opts: ActionWriterOptions) {
    this.#deps = deps;
    this.#opts = opts;
    this.#seen = new SeenIds(opts.maxSeen);
    this.#queue = new WorkQueue(
      { name: 'action-alerts', concurrency: 2, backoff: deps.backoff, events: deps.queueEvents },
      (key) => this.#reconcile(key),
      deps.log,
    );
  }

  /** Takes one request; never throws, never waits (the webhook answers at once). */
  handle(e: ActionEvent): HandleOutcome {
    if (!this.#deps.active()) return 'follower';
    if (!this.#seen.add(e.id)) return 'duplicate';
    const matches = this.#deps.matching(e);
    if (matches.length === 0) return 'unmatched';
    let outcome: HandleOutcome = 'overflow';
    for (const { detection, object } of matches) {
      const key = episodeKey(detection.name, e);
      const k = keyString(key);
      let p = this.#pending.get(k);
      if (!p) {
        if (this.#pending.size >= this.#opts.maxPending) continue;
        p = { key, detection, first: e, object, delta: emptyDelta(), attempts: 0 };
        this.#pending.set(k, p);
      }
      if (p.delta.count === 0) {
        p.first = e;
        p.object = object;
        p.detection = detection;
      }
      addEvent(p.delta, e);
      this.#queue.add(k, undefined);
      outcome = 'queued';
    }
    return outcome;
  }

  /** Waits for pending writes to finish and stops. */
  async stop(): Promise<void> {
    await this.#queue.shutdown();
  }

  /** Resolves when nothing is queued or in flight (tests). */
  async idle(): Promise<void> {
    await this.#queue.idle();
  }

  async #reconcile(k: string): Promise<ReconcileResult> {
    const p = this.#pending.get(k);
    if (!p || p.delta.count === 0) {
      this.#pending.delete(k);
      return undefined;
    }
    if (!this.#deps.active()) {
      // Leadership lost: the new leader does not have these requests; they are not written twice.
      this.#pending.delete(k);
      return undefined;
    }
    const delta = p.delta;
    const first = p.first;
    p.delta = emptyDelta();
    try {
      const outcome = await this.#write(p, first, delta);
      this.#deps.outcome?.(p.detection.name, first.type, outcome);
      p.attempts = 0;
    } catch (err: unknown) {
      mergeDelta(delta, p.delta);
      p.delta = delta;
      p.first = first;
      const kind = classifyError(err);
      if (kind === 'retry' && ++p.attempts < WRITE_ATTEMPTS) throw err;
      this.#deps.outcome?.(p.detection.name, first.type, 'failed');
      this.#pending.delete(k);
      // A terminal error goes on to the queue, which logs and counts it.
      if (kind === 'terminal') throw err;
      if (kind === 'retry')
        this.#deps.log.error('Giving up writing an action AuditAlert; its requests are lost', {
          detection: p.detection.name,
          err,
        });
      return undefined;
    }
    if (p.delta.count === 0) this.#pending.delete(k);
    return undefined;
  }

  /** Adds the delta to the open episode, or opens the next one; retries once when it closed meanwhile. */
  async #write(p: Pending, first: ActionEvent, delta: ActionDelta): Promise<'raised' | 'updated'> {
    for (let round = 0; round < 2; round++) {
      const now = this.#deps.clock.now().getTime();
      const episodes = await this.#episodes(p.key);
      const choice = chooseEpisode(episodes, now, this.#opts.quietMs);
      let name: string;
      let raised = false;
      if ('open' in choice) name = choice.open;
      else {
        const alert = withClusterLabel(
          buildActionAlert({
            detection: p.detection,
            key: p.key,
            episode: choice.next,
            event: first,
            severity: p.detection.severity(p.object),
            notes: p.detection.notes(p.object),
            detectedAt: this.#deps.clock.now(),
          }),
          this.#deps.cluster,
        );
        name = alert.metadata?.name as string;
        const log = this.#deps.log.child({ detection: p.detection.name });
        if ((await createAlert(this.#deps.client, alert, log)) === 'created') {
          raised = true;
          this.#deps.onRaised?.(alert);
          log.info('Created AuditAlert', { alert: name, event: first.type, episode: choice.next });
        }
      }
      if ((await this.#addCounts(name, delta)) === 'written') return raised ? 'raised' : 'updated';
    }
    throw new Error('the action episode kept closing under the writer');
  }

  async #episodes(k: EpisodeKey): Promise<AuditAlert[]> {
    const list = await this.#deps.client.request<{ items: AuditAlert[] | null }>('GET', ALERTS_PATH, {
      query: { labelSelector: actionSelector(k) },
    });
    return list.items ?? [];
  }

  /** Adds the delta to the alert's status.action, re-reading on conflict. */
  #addCounts(name: string, delta: ActionDelta): Promise<'written' | 'closed'> {
    return mergeOpenAlertStatus(this.#deps.client, name, (stored) => ({
      action: mergeActionStatus(stored.status?.action, delta, this.#deps.clock.now().getTime()),
    }));
  }
}
