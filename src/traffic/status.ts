/**
 * `status.traffic` of a traffic alert: what the writer adds while the condition lasts (counts,
 * status codes, busiest sources, the latest window), merged into what the alert already holds.
 */
import type { AuditAlert } from '../api/generated/audit-alert.js';
import { toRfc3339 } from '../runtime/clock.js';
import type { EpisodeDelta, TrafficEvent } from './engine.js';
import type { Finding, RuleId } from './rules.js';

/** `status.traffic` of an AuditAlert. */
export type TrafficStatus = NonNullable<NonNullable<AuditAlert['status']>['traffic']>;

const STATUS_CODES_MAX = 64;
const SOURCES_MAX = 50;

/** What the writer accumulated for one alert since its last status write. */
export interface StatusUpdate {
  /** Times the condition started (fired) in this batch. */
  fired: number;
  /** Whether the condition holds at the end of the batch. */
  active: boolean;
  clearedAtMs?: number;
  delta: EpisodeDelta;
  window: TrafficEvent['window'];
  finding?: Finding;
  /** How many sources the status lists. */
  topSources: number;
  /** Marks sources allowed or not; undefined without an allow-list. */
  verdict?: (address: string) => 'allowed' | 'disallowed' | 'invalid';
}

function mergeCodes(prev: TrafficStatus['statusCodes'], delta: ReadonlyMap<number, number>) {
  const sum = new Map<number, number>();
  for (const c of prev ?? []) sum.set(c.code, (sum.get(c.code) ?? 0) + c.count);
  for (const [code, n] of delta) sum.set(code, (sum.get(code) ?? 0) + n);
  return [...sum]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, STATUS_CODES_MAX)
    .map(([code, count]) => ({ code, count }));
}

function mergeSources(
  prev: TrafficStatus['topSources'],
  u: StatusUpdate,
): NonNullable<TrafficStatus['topSources']> {
  const sum = new Map<string, number>();
  for (const s of prev ?? []) sum.set(s.address, (sum.get(s.address) ?? 0) + s.requests);
  for (const [a, n] of u.delta.sources.entries()) sum.set(a, (sum.get(a) ?? 0) + n);
  return [...sum]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, Math.min(SOURCES_MAX, u.topSources))
    .map(([address, requests]) =>
      u.verdict ? { address, requests, allowed: u.verdict(address) === 'allowed' } : { address, requests },
    );
}

function latestWindow(u: StatusUpdate): NonNullable<TrafficStatus['window']> {
  const w = u.window;
  const out: NonNullable<TrafficStatus['window']> = {
    start: toRfc3339(w.startMs),
    end: toRfc3339(w.endMs),
    requests: w.requests,
    matched: u.finding?.matched ?? 0,
  };
  if (u.finding?.ratio !== undefined) out.ratio = Math.round(u.finding.ratio * 1000) / 1000;
  if (w.baseline !== undefined) out.baseline = Math.round(w.baseline * 10) / 10;
  return out;
}

/**
 * The new `status.traffic`: the counts already there plus this batch's, the busiest sources and
 * status codes merged (bounded), the latest window, and whether the condition holds. Adding deltas
 * to what is stored (under a resourceVersion guard) is what lets two replicas that each saw part of
 * the traffic converge on the sum.
 */
export function mergeTrafficStatus(
  prev: TrafficStatus | undefined,
  rule: RuleId,
  u: StatusUpdate,
  nowMs: number,
): TrafficStatus {
  const lastSeen = Math.max(u.delta.lastSeenMs, prev?.lastSeen ? Date.parse(prev.lastSeen) : 0);
  const out: TrafficStatus = {
    rule,
    active: u.active,
    firings: (prev?.firings ?? 0) + u.fired,
    firstSeen: prev?.firstSeen ?? toRfc3339(u.delta.lastSeenMs),
    lastSeen: toRfc3339(lastSeen),
    updatedAt: toRfc3339(nowMs),
    requests: (prev?.requests ?? 0) + u.delta.requests,
    matched: (prev?.matched ?? 0) + u.delta.matched,
    statusCodes: mergeCodes(prev?.statusCodes, u.delta.codes),
    topSources: mergeSources(prev?.topSources, u),
    window: latestWindow(u),
  };
  if (!u.active) out.clearedAt = toRfc3339(u.clearedAtMs ?? nowMs);
  return out;
}
