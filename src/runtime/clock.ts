/** The time source of everything that compares times (watermarks, TTLs, windows); tests inject one. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/** RFC 3339 with second precision, as Kubernetes writes times (`2026-11-23T12:00:00Z`). */
export function toRfc3339(t: Date | number): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
