/**
 * Episodes of action alerts, as pure data: one open alert per (detection, user, target) gathers
 * every request of that user on that target until it is resolved or goes quiet. What arrives
 * between two writes is a {@link ActionDelta}; {@link mergeActionStatus} adds it to the alert's
 * `status.action` (counts, first/last seen, the distinct commands, bounded).
 */
import { createHash } from 'node:crypto';
import { alertName } from '../alerts/name.js';
import { LABELS } from '../api/constants.js';
import type { AuditAlert, AuditAlertStatus } from '../api/generated/audit-alert.js';
import { toRfc3339 } from '../runtime/clock.js';
import { type ActionEvent, targetKey } from './events.js';

/** Labels that find the episodes of one (detection, user, target), besides `tripline.dev/detection`. */
export const ACTION_LABELS = {
  /** 10 hex of sha256 of the username: usernames are not label values (`system:serviceaccount:a:b`). */
  user: 'tripline.dev/action-user',
  target: 'tripline.dev/action-target',
  episode: 'tripline.dev/action-episode',
} as const;

/** How much of a kind `status.action` keeps: the CRD's maxItems. */
export const STATUS_MAX = { commands: 20, containers: 20, sourceIPs: 16 } as const;

/** The `status.action` of an alert. */
export type ActionStatus = NonNullable<AuditAlertStatus['action']>;

/** 10 hex of sha256: a label-safe stand-in for any string. */
export const labelHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 10);

/** What an episode is keyed by, in memory and in labels. */
export interface EpisodeKey {
  detection: string;
  username: string;
  target: string;
}

/** The episode key of an event for a detection. */
export function episodeKey(detection: string, e: ActionEvent): EpisodeKey {
  return { detection, username: e.user.username, target: targetKey(e.target) };
}

/** The in-memory key (queue key) of an episode. */
export const keyString = (k: EpisodeKey): string => `${k.detection}\n${k.username}\n${k.target}`;

/**
 * The name of episode `n`: `<detection>-<hash(detection/action/<user>/<target>/<n>)>`. The same
 * episode always gets the same name, so two writers, or a restart, never raise it twice.
 */
export function actionAlertName(k: EpisodeKey, n: number): string {
  return alertName(k.detection, `action/${k.username}/${k.target}`, String(n));
}

/** The label selector listing every episode of one (detection, user, target). */
export function actionSelector(k: EpisodeKey): string {
  return `${LABELS.detection}=${k.detection},${ACTION_LABELS.user}=${labelHash(k.username)},${ACTION_LABELS.target}=${labelHash(k.target)}`;
}

/** The episode number of an alert, from its label (0 when absent). */
export function episodeNumber(a: AuditAlert): number {
  const n = Number(a.metadata?.labels?.[ACTION_LABELS.episode]);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** When an episode last saw a request: status.action.lastSeen, else when it was raised. */
function lastSeenMs(a: AuditAlert): number {
  const t = Date.parse(a.status?.action?.lastSeen ?? a.spec.detectedAt);
  return Number.isNaN(t) ? 0 : t;
}

/** Whether an episode still takes requests: not Resolved, and not quiet for `quietMs`. */
export function isOpenEpisode(a: AuditAlert, nowMs: number, quietMs: number): boolean {
  return a.status?.state !== 'Resolved' && nowMs - lastSeenMs(a) < quietMs;
}

/**
 * The episode to add to among the existing ones: the newest open one, or the number of the next
 * episode to create (one past the highest, so a resolved or quiet episode is never reused).
 */
export function chooseEpisode(
  alerts: readonly AuditAlert[],
  nowMs: number,
  quietMs: number,
): { open: string } | { next: number } {
  const newest = [...alerts].sort((a, b) => episodeNumber(b) - episodeNumber(a))[0];
  if (newest && isOpenEpisode(newest, nowMs, quietMs)) return { open: newest.metadata?.name as string };
  return { next: Math.max(0, ...alerts.map(episodeNumber)) + 1 };
}

/** Requests not yet written to the episode's alert. */
export interface ActionDelta {
  count: number;
  counts: Map<string, number>;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Distinct, first seen first, bounded like the status. */
  commands: string[];
  containers: string[];
  sourceIPs: string[];
  truncated: boolean;
}

/** An empty delta. */
export function emptyDelta(): ActionDelta {
  return {
    count: 0,
    counts: new Map(),
    firstSeenMs: Number.POSITIVE_INFINITY,
    lastSeenMs: 0,
    commands: [],
    containers: [],
    sourceIPs: [],
    truncated: false,
  };
}

/** What an event adds to the commands list: the exec command, or the ports forwarded. */
export function commandOf(e: ActionEvent): string | undefined {
  if (e.command) return e.command;
  if (e.ports?.length) return `port-forward ${e.ports.join(',')}`;
  if (e.type === 'SecretRead') return e.target.name ? `${e.verb} ${e.target.name}` : `${e.verb} (all)`;
  return undefined;
}

/** Adds `values` to the distinct list `into`, keeping at most `max`; true when some did not fit. */
function addDistinct(into: string[], values: readonly string[], max: number): boolean {
  let dropped = false;
  for (const v of values) {
    if (into.includes(v)) continue;
    if (into.length >= max) dropped = true;
    else into.push(v);
  }
  return dropped;
}

/** Adds one event to a delta. */
export function addEvent(d: ActionDelta, e: ActionEvent): void {
  d.count++;
  d.counts.set(e.type, (d.counts.get(e.type) ?? 0) + 1);
  d.firstSeenMs = Math.min(d.firstSeenMs, e.at);
  d.lastSeenMs = Math.max(d.lastSeenMs, e.at);
  const command = commandOf(e);
  let dropped = command ? addDistinct(d.commands, [command], STATUS_MAX.commands) : false;
  if (e.container) dropped = addDistinct(d.containers, [e.container], STATUS_MAX.containers) || dropped;
  dropped = addDistinct(d.sourceIPs, e.sourceIPs ?? [], STATUS_MAX.sourceIPs) || dropped;
  if (dropped) d.truncated = true;
}

/** Adds `from` into `into` (a failed write put back). */
export function mergeDelta(into: ActionDelta, from: ActionDelta): void {
  into.count += from.count;
  for (const [k, n] of from.counts) into.counts.set(k, (into.counts.get(k) ?? 0) + n);
  into.firstSeenMs = Math.min(into.firstSeenMs, from.firstSeenMs);
  into.lastSeenMs = Math.max(into.lastSeenMs, from.lastSeenMs);
  const dropped = [
    addDistinct(into.commands, from.commands, STATUS_MAX.commands),
    addDistinct(into.containers, from.containers, STATUS_MAX.containers),
    addDistinct(into.sourceIPs, from.sourceIPs, STATUS_MAX.sourceIPs),
  ].some(Boolean);
  into.truncated = into.truncated || from.truncated || dropped;
}

/** `status.action` with the delta added; `nowMs` is the update time. */
export function mergeActionStatus(
  prev: ActionStatus | undefined,
  d: ActionDelta,
  nowMs: number,
): ActionStatus {
  const counts = new Map((prev?.counts ?? []).map((c) => [c.event, c.count]));
  for (const [k, n] of d.counts) counts.set(k, (counts.get(k) ?? 0) + n);
  const commands = [...(prev?.commands ?? [])];
  const containers = [...(prev?.containers ?? [])];
  const sourceIPs = [...(prev?.sourceIPs ?? [])];
  const dropped = [
    addDistinct(commands, d.commands, STATUS_MAX.commands),
    addDistinct(containers, d.containers, STATUS_MAX.containers),
    addDistinct(sourceIPs, d.sourceIPs, STATUS_MAX.sourceIPs),
  ].some(Boolean);
  const prevFirst = prev?.firstSeen ? Date.parse(prev.firstSeen) : Number.POSITIVE_INFINITY;
  const prevLast = prev?.lastSeen ? Date.parse(prev.lastSeen) : 0;
  const out: ActionStatus = {
    count: (prev?.count ?? 0) + d.count,
    counts: [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([event, count]) => ({ event, count })),
    firstSeen: toRfc3339(Math.min(prevFirst, d.firstSeenMs)),
    lastSeen: toRfc3339(Math.max(prevLast, d.lastSeenMs)),
    updatedAt: toRfc3339(nowMs),
  };
  if (commands.length > 0) out.commands = commands;
  if (containers.length > 0) out.containers = containers;
  if (sourceIPs.length > 0) out.sourceIPs = sourceIPs;
  if (prev?.truncated || d.truncated || dropped) out.truncated = true;
  return out;
}
