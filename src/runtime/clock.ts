/** The time source of everything that compares times (watermarks, TTLs, windows); tests inject one. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

export { toRfc3339 } from '../api/time.js';
