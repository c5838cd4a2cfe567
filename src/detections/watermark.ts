import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import type { Clock } from '../runtime/clock.js';

/**
 * When a detection became active, on the API server's clock where possible: its status says so
 * once the operator has recorded it; before that, a detection that was never edited became active
 * when it was created, and one enabled by an edit becomes active now.
 */
export function activeSince(d: AuditDetection, clock: Clock): Date {
  const recorded = d.status?.activeSince;
  if (recorded) return new Date(recorded);
  const created = d.metadata?.creationTimestamp;
  if (created && (d.metadata?.generation ?? 1) <= 1) return new Date(created);
  return truncateToSecond(clock.now());
}

/**
 * The creation time from which objects count as new: the later of activeSince and the persisted
 * watermark minus an overlap (clock skew between API servers; deterministic alert names make
 * re-processing the overlap harmless).
 */
export function newSince(since: Date, watermark: string | undefined, overlapMs: number): number {
  const w = watermark ? Date.parse(watermark) - overlapMs : Number.NEGATIVE_INFINITY;
  return Math.max(since.getTime(), w);
}

/**
 * True when the object was created at or after `sinceMs`. creationTimestamp has one-second
 * resolution, so an object stamped in the same second as the boundary counts as new: a rare extra
 * alert is better than a missed one.
 */
export function isNewObject(obj: KubeObject, sinceMs: number): boolean {
  const created = creationMs(obj);
  return created !== undefined && created >= sinceMs;
}

/** What a resource feed knows about its progress, for {@link feedLowWater}. */
export interface FeedProgress {
  /** The first complete list has been handed over. */
  synced: boolean;
  /** A (re)list is being handed over: it comes in name order, so anything older may still come. */
  listing: boolean;
  /** creationTimestamps (ms) of the objects still waiting for their alert. */
  pending: Iterable<number>;
  /** Server time (ms) before which every change has been handed over (ResilientWatch.caughtUpAt). */
  caughtUpMs: number | undefined;
}

/**
 * The feed's low-water mark: the earliest creation time that may still lack its alert. That is
 * the earliest object still waiting, or, when none waits, the time the feed has caught up to, so
 * a resource without objects (or without new ones) never holds a detection back. Undefined while
 * the feed cannot vouch for anything (before its first list, during a relist).
 */
export function feedLowWater(p: FeedProgress): number | undefined {
  if (!p.synced || p.listing || p.caughtUpMs === undefined) return undefined;
  let low = p.caughtUpMs;
  for (const t of p.pending) if (t < low) low = t;
  return low;
}

/** A detection's low-water mark: the earliest of its feeds', undefined while any feed has none. */
export function detectionLowWater(feeds: Iterable<number | undefined>): number | undefined {
  let low: number | undefined;
  for (const w of feeds) {
    if (w === undefined) return undefined;
    low = low === undefined ? w : Math.min(low, w);
  }
  return low;
}

/** creationTimestamp in milliseconds, or undefined when missing or unreadable. */
export function creationMs(obj: KubeObject): number | undefined {
  const t = obj.metadata?.creationTimestamp;
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 with second precision (re-exported: watermarks are written in it). */
export { toRfc3339 } from '../runtime/clock.js';

function truncateToSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
