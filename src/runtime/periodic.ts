import type { Logger } from '../observability/logger.js';

/** A task running every few seconds. */
export interface Periodic {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `ms`, never two runs at once (a slow run makes the next tick skip, it does not
 * pile up). A failing run is logged and simply tried again at the next tick.
 */
export function every(ms: number, task: () => Promise<void>, log: Logger, what: string): Periodic {
  let running: Promise<void> | undefined;
  const t = setInterval(() => {
    if (running) return;
    running = task()
      .catch((err: unknown) => {
        log.warn('Periodic task failed', { task: what, err });
      })
      .finally(() => {
        running = undefined;
      });
  }, ms);
  return {
    stop: async () => {
      clearInterval(t);
      await running;
    },
  };
}
