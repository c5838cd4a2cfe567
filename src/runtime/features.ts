/**
 * The loop that starts the operator's features from a table (src/features, ADR 0026): each entry
 * is `{ id, runs, enabled(settings), create(ctx) }`, the table order is the start order, and
 * stopping runs in reverse. Work only the leader does is handed to a {@link LeaderGate}, which
 * starts it while this replica leads.
 */
import type { Logger } from '../observability/logger.js';

/** Where a feature runs: on every replica, or only while this replica holds the Lease. */
export type Runs = 'every-replica' | 'leader';

/** What a feature's `create` returns: the running part, to start and stop. */
export interface Part {
  /**
   * Starts the part. An every-replica part is awaited before the next entry is created; leader
   * parts are started together, in table order, when the Lease is won (so theirs return nothing).
   */
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/** One row of a features table. `S`: the settings by feature; `C`: the context features share. */
export interface Feature<S, C> {
  id: string;
  runs: Runs;
  /** Whether the feature is on; a feature that is off is never created. */
  enabled(settings: S): boolean;
  /** Builds the feature from what earlier ones put in `ctx`, and puts in `ctx` what later ones need. */
  create(ctx: C): Part | Promise<Part>;
}

/** A part that runs only while this replica leads. */
export interface LeaderWork {
  id: string;
  start(): void;
  stop(): Promise<void>;
}

/** Runs leader work while this replica leads (main.ts: at once without leader election). */
export interface LeaderGate {
  /** Starts `work` now when this replica leads, else when it wins the Lease. */
  run(work: LeaderWork): void;
  /**
   * Stops `work` if it runs. The first call also ends leading (the Lease is released), so no
   * leader work is stopped while this replica still holds the Lease and the rest does not run.
   */
  stopWork(work: LeaderWork): Promise<void>;
}

/** The started features. */
export interface StartedFeatures {
  /** Ids of the enabled features, in start order. */
  ids: string[];
  /** Stops every feature in reverse start order (each is stopped even when one fails). */
  stop(): Promise<void>;
}

interface Running {
  id: string;
  stop(): Promise<void>;
}

/**
 * Creates and starts the enabled features in table order. A failing `create` or `start` stops
 * the features already started (in reverse) and rejects with an error whose `cause` is the failure.
 */
export async function startFeatures<S, C>(
  table: readonly Feature<S, C>[],
  settings: S,
  ctx: C,
  deps: { leader: LeaderGate; log: Logger },
): Promise<StartedFeatures> {
  const { leader, log } = deps;
  const running: Running[] = [];
  for (const f of table) {
    if (!f.enabled(settings)) {
      log.debug('Feature off', { feature: f.id });
      continue;
    }
    try {
      const part = await f.create(ctx);
      if (f.runs === 'leader') {
        const work = leaderWork(f.id, part, log);
        running.push({ id: f.id, stop: () => leader.stopWork(work) });
        leader.run(work);
      } else {
        await part.start?.();
        running.push({ id: f.id, stop: async () => await part.stop?.() });
      }
    } catch (err: unknown) {
      await stopAll(running, log).catch((stopErr: unknown) => {
        log.error('Features failed to stop after a start failure', { err: stopErr });
      });
      // The cause's message in the first line too: it is what the user acts on (a flag, a file).
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`feature ${f.id} failed to start: ${why}`, { cause: err });
    }
    log.debug('Feature started', { feature: f.id, runs: f.runs });
  }
  return { ids: running.map((r) => r.id), stop: () => stopAll(running, log) };
}

/** A leader part as the gate runs it: started synchronously, stopped at most once. */
function leaderWork(id: string, part: Part, log: Logger): LeaderWork {
  return {
    id,
    start: () => {
      const started = part.start?.();
      started?.catch((err: unknown) => log.error('Leader work failed to start', { feature: id, err }));
    },
    stop: async () => await part.stop?.(),
  };
}

/** Stops `running` in reverse order; every one is tried, the failures are rethrown as one `cause`. */
async function stopAll(running: readonly Running[], log: Logger): Promise<void> {
  const failed: { id: string; err: unknown }[] = [];
  for (const r of [...running].reverse()) {
    try {
      await r.stop();
      log.debug('Feature stopped', { feature: r.id });
    } catch (err: unknown) {
      failed.push({ id: r.id, err });
    }
  }
  if (failed.length === 0) return;
  const ids = failed.map((f) => f.id).join(', ');
  const cause = failed.length === 1 ? failed[0]?.err : new AggregateError(failed.map((f) => f.err));
  throw new Error(`features failed to stop: ${ids}`, { cause });
}

/**
 * Runs leader work in table order and stops it in reverse, at most once each. Used by the gate of
 * main.ts; apart so that the order is tested without a Lease.
 */
export class LeaderWorkSet {
  readonly #work: LeaderWork[] = [];
  readonly #running = new Set<LeaderWork>();
  readonly #stopping = new Map<LeaderWork, Promise<void>>();
  #leading = false;

  /** Whether the work runs (between {@link begin} and {@link end}). */
  get leading(): boolean {
    return this.#leading;
  }

  /** Adds `work`; starts it at once while leading. */
  add(work: LeaderWork): void {
    this.#work.push(work);
    if (this.#leading) this.#start(work);
  }

  /** Starts every added work, in order. */
  begin(): void {
    this.#leading = true;
    for (const w of this.#work) if (!this.#running.has(w)) this.#start(w);
  }

  /** Stops leading: later `add`s do not start; running work is stopped by {@link stopOne} or {@link end}. */
  resign(): void {
    this.#leading = false;
  }

  /** Stops one work if it runs; a second caller waits for the first stop. */
  stopOne(work: LeaderWork): Promise<void> {
    if (this.#running.delete(work)) this.#stopping.set(work, work.stop());
    return this.#stopping.get(work) ?? Promise.resolve();
  }

  /** Stops leading and every running work, in reverse order. */
  async end(): Promise<void> {
    this.resign();
    for (const w of [...this.#work].reverse()) await this.stopOne(w);
  }

  #start(work: LeaderWork): void {
    this.#running.add(work);
    work.start();
  }
}
