import { hostname } from 'node:os';
import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { KubeObject } from '../api/kube-object.js';
import {
  DELETED_KEY,
  eventIdentity,
  type FeedView,
  type ObjectChange,
  type ObjectWork,
  objectOf,
  takesChange,
} from '../detections/feed.js';
import { decideEventDetail, type Subscription, type WatchEvent } from '../detections/match.js';
import type { ReferenceLookup, Referrers } from '../detections/references.js';
import { creationMs } from '../detections/watermark.js';
import type { KubeApi } from '../kube/api.js';
import { classifyError, isForbidden, isRetryable } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../runtime/clock.js';
import type { ReconcileResult } from '../runtime/queue.js';
import type { RuleFailure } from '../subjects/risks/types.js';
import { type BuildAlertInput, buildAlert, withClusterLabel } from './build.js';
import { type Enricher, enrichAlert } from './enrich.js';
import { withEventContext } from './event-context.js';
import type { RecentAlerts } from './recent.js';
import { recordRefused } from './refused.js';
import { createAlert } from './writer.js';

/** What the alert raiser needs. */
export interface RaiserDeps {
  client: KubeApi;
  recent: RecentAlerts;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Called for an alert whose subject is already deleted when the alert is written. */
  subjectDeleted?(alertName: string): void;
  /** Facts beyond the subject (actor, RBAC), merged in before the write; none by default. */
  enrichers?: readonly Enricher[];
  /** Told about each alert this process created (not one that existed): queues notifications, never waits. */
  onRaised?(alert: AuditAlert): void;
  /** Finds the objects naming a subject, for detections with `match.referencedBy`. */
  references?: ReferenceLookup;
  /** `--cluster-name`, set as the `tripline.dev/cluster` label of every alert; empty: none. */
  cluster?: string;
  /** `reportingInstance` of the Event left on a detection whose alert was refused for good. */
  instance?: string;
}

/**
 * Reconciles one object key: for every detection subscribed to the object's resource that wants
 * it, makes sure its AuditAlert exists (Created, and Deleted when the object is gone; or, for the
 * work of one update, Updated). Level-driven and idempotent: run it twice and the second run finds
 * the alerts in the recent set or gets 409s.
 */
export function alertRaiser(deps: RaiserDeps): (key: string, work: ObjectWork) => Promise<ReconcileResult> {
  return async (_key, work) => {
    const feed = work.feed;
    const obj = objectOf(work);
    const uid = obj.metadata.uid as string;
    try {
      return await raiseWork(deps, feed, obj, work);
    } catch (err: unknown) {
      // Dropped by the queue (terminal or gone): release the object as a raise does, or it would
      // pin the detection's watermark for good. Retried errors keep it pending.
      if (classifyError(err) !== 'retry' && !work.change) feed.release(uid);
      throw err;
    }
  };
}

/** The alerts of one unit of work; releases the object from the feed once all are decided. */
async function raiseWork(
  deps: RaiserDeps,
  feed: FeedView,
  obj: KubeObject,
  work: ObjectWork,
): Promise<ReconcileResult> {
  const uid = obj.metadata.uid as string;
  if (work.change) {
    const waitingChange = await raiseEvent(deps, feed, obj, work, {
      event: 'Updated',
      change: work.change,
    });
    return waitingChange ? { requeueAfterMs: PENDING_RETRY_MS } : undefined;
  }
  let waiting = await raiseEvent(deps, feed, obj, work, { event: 'Created' });
  if (work.deleted) waiting = (await raiseEvent(deps, feed, obj, work, { event: 'Deleted' })) || waiting;
  // The namespace watch has not delivered the subject's namespace yet: decide again shortly.
  if (waiting) return { requeueAfterMs: PENDING_RETRY_MS };
  feed.release(uid);
  return undefined;
}

/** One event of an object to raise alerts for. */
interface RaisedEvent {
  event: WatchEvent;
  /** The update, for Updated. */
  change?: ObjectChange;
}

/** Raises the event's alert for every detection that wants it; true when some decision must wait. */
async function raiseEvent(
  deps: RaiserDeps,
  feed: FeedView,
  obj: KubeObject,
  work: ObjectWork,
  ev: RaisedEvent,
): Promise<boolean> {
  const changeKey = ev.event === 'Deleted' ? DELETED_KEY : ev.change?.key;
  const id = eventIdentity(obj.metadata.uid as string, changeKey);
  let waiting = false;
  for (const sub of feed.subscriptions()) {
    if (ev.change && !takesChange(sub, ev.change)) continue;
    const { decision, exception } = decideEventDetail(sub, ev.event, obj, ev.change?.oldObject);
    waiting ||= decision === 'pending';
    if (decision === 'suppressed') feed.noteSuppressed(sub, id, exception ?? 0);
    if (decision !== 'alert' || deps.recent.has(sub.detection.name, id)) continue;
    const outcome = await raiseOrGiveUp(deps, feed, sub, obj, ev, id);
    // "Created while referenced" is judged at the first look: remembering the decision keeps later
    // looks at the same new object (its updates, a relist, its deletion) from raising it late.
    if (outcome === UNREFERENCED && ev.event !== 'Created') continue;
    // Raised, found existing, or given up for good: decided, so a retry of this key (for another
    // detection's failure) neither writes nor refuses this one again.
    deps.recent.add(sub.detection.name, id);
    if (typeof outcome === 'string' && work.deleted && ev.event !== 'Updated') deps.subjectDeleted?.(outcome);
  }
  return waiting;
}

/** {@link raiseOrGiveUp}'s answer when nothing refers to the subject (match.referencedBy). */
const UNREFERENCED = Symbol('unreferenced');

/**
 * Raises one detection's alert for the event. A failure retrying can fix is thrown (the queue
 * retries the key); one it cannot (kube/errors.ts `classifyError`: terminal, e.g. 422 even in
 * minimal form) is counted, logged and left as a Warning Event on the AuditDetection, and the
 * object is treated as decided so it never pins the watermark. The alert's name when it was
 * written (or existed), {@link UNREFERENCED} or undefined when none was.
 */
async function raiseOrGiveUp(
  deps: RaiserDeps,
  feed: FeedView,
  sub: Subscription,
  obj: KubeObject,
  ev: RaisedEvent,
  id: string,
): Promise<string | typeof UNREFERENCED | undefined> {
  try {
    const referrers = await referrersOf(deps, sub, obj);
    if (referrers?.total === 0) {
      // match.referencedBy: an object nobody names does not count, so it raises nothing.
      deps.log.debug('Nothing refers to the subject; no alert', {
        detection: sub.detection.name,
        event: ev.event,
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
      });
      return UNREFERENCED;
    }
    return await raiseOne(deps, feed, sub, obj, ev, referrers);
  } catch (err: unknown) {
    const kind = classifyError(err);
    if (kind === 'retry') throw err;
    if (kind === 'terminal') await gaveUp(deps, sub, obj, ev, id, err);
    return undefined;
  }
}

/** Counts, logs and records (Event on the detection) an alert refused for good. */
async function gaveUp(
  deps: RaiserDeps,
  sub: Subscription,
  obj: KubeObject,
  ev: RaisedEvent,
  id: string,
  err: unknown,
): Promise<void> {
  deps.metrics.terminalErrors.inc({ queue: 'alerts' });
  const subject = { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
  deps.log.error('AuditAlert refused permanently; not retried', {
    detection: sub.detection.name,
    event: ev.event,
    ...subject,
    err,
  });
  const refused = { detection: sub.detection.source, id, subject, event: ev.event, err };
  try {
    await recordRefused(deps.client, refused, deps.clock.now(), deps.instance ?? hostname());
  } catch (eventErr: unknown) {
    // The count and the error log above already tell; the Event is for `kubectl describe`.
    deps.log.warn('Could not record the refused alert as an Event', {
      detection: sub.detection.name,
      err: eventErr,
    });
  }
}

/** How soon an object whose namespace labels are not known yet is looked at again. */
const PENDING_RETRY_MS = 1000;

/** The objects naming the subject, for a detection with `match.referencedBy`; undefined otherwise. */
async function referrersOf(
  deps: RaiserDeps,
  sub: Subscription,
  obj: KubeObject,
): Promise<Referrers | undefined> {
  const rule = sub.detection.referencedBy;
  if (!rule) return undefined;
  if (!deps.references) throw new Error('match.referencedBy needs a reference lookup, and none is wired');
  try {
    return await deps.references.find(rule, obj);
  } catch (err: unknown) {
    throw new Error(`looking up what refers to ${obj.kind} ${obj.metadata.name}`, { cause: err });
  }
}

async function raiseOne(
  deps: RaiserDeps,
  feed: FeedView,
  sub: Subscription,
  obj: KubeObject,
  ev: RaisedEvent,
  referrers?: Referrers,
): Promise<string> {
  const severity = sub.detection.severity(obj);
  // Fail open: the alert is raised without the rule and says so in a note; here it is logged and counted.
  const ruleFailed = (f: RuleFailure): void => {
    deps.metrics.ruleFailures.inc({ rule: f.rule });
    deps.log.warn('Risk rule could not be evaluated; alert raised without it', {
      detection: sub.detection.name,
      rule: f.rule,
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      err: f.cause,
    });
  };
  const fromSubject = buildAlert({
    detection: sub.detection.source,
    subject: obj,
    resource: feed.info,
    event: ev.event,
    severity,
    detectedAt: deps.clock.now(),
    // After severity(): the notes of every expression evaluated for this object, overrides included.
    evaluationNotes: sub.detection.notes(obj),
    onRuleFailure: ruleFailed,
    ...changeInput(ev),
  });
  const built = withEventContext(fromSubject, { writer: ev.change?.writer, referrers });
  const log = deps.log.child({ detection: sub.detection.name, alert: built.metadata?.name });
  const enriched = await enrichAlert(
    { alert: built, subject: obj, resource: feed.info },
    deps.enrichers ?? [],
    log,
    { onRuleFailure: ruleFailed },
  );
  const alert = withClusterLabel(enriched, deps.cluster);
  try {
    const outcome = await createAlert(deps.client, alert, log);
    deps.metrics.alertCreates.inc({ detection: sub.detection.name, outcome });
    if (outcome === 'created') {
      deps.onRaised?.(alert);
      deps.metrics.alertsRaised.inc({ detection: sub.detection.name, severity: alert.spec.severity });
      const created = ev.event === 'Created' ? creationMs(obj) : undefined;
      if (created !== undefined) {
        deps.metrics.detectionLatency.observe(
          { detection: sub.detection.name },
          (Date.now() - created) / 1000,
        );
      }
      log.info('Created AuditAlert', {
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
      });
    }
    return alert.metadata?.name as string;
  } catch (err: unknown) {
    deps.metrics.alertWriteErrors.inc({ reason: classify(err) });
    throw err;
  }
}

/** The change-related part of the alert input of an event. */
function changeInput(ev: RaisedEvent): Partial<BuildAlertInput> {
  if (ev.event === 'Deleted') return { changeKey: DELETED_KEY };
  if (!ev.change) return {};
  const { key, diff, unknownReason } = ev.change;
  return {
    changeKey: key,
    ...(diff ? { changes: diff } : {}),
    ...(unknownReason ? { changesUnknown: unknownReason } : {}),
  };
}

function classify(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (isForbidden(cause)) return 'forbidden';
  const status = (cause as { status?: number } | undefined)?.status;
  if (status === 429) return 'throttled';
  if (status === 0) return 'network';
  if (isRetryable(cause)) return 'server';
  return 'other';
}
