import { groupOf, type KubeObject } from '../api/kube-object.js';
import type { CompiledDetection, NamespaceLabels } from './compile.js';
import { isNewObject } from './watermark.js';

/** A detection as subscribed to one resource feed. */
export interface Subscription {
  detection: CompiledDetection;
  /** Objects created at or after this time (ms) are new for this detection. */
  sinceMs: number;
  /** `group/Kind` of every kind this detection watches, for skipControlled. */
  watchedKinds: ReadonlySet<string>;
  /** Namespace labels, for detections with a namespaceSelector. */
  namespaceLabels?: NamespaceLabels;
}

/**
 * What a detection makes of a new object: raise an alert, skip it (not new, controlled, filtered),
 * suppress it (an exception matched: counted), or wait for its namespace's labels.
 */
export type CreatedDecision = 'alert' | 'skip' | 'suppressed' | 'pending';

/** `group/Kind` of an apiVersion + kind pair (`/Pod` for the core group). */
export function groupKind(apiVersion: string, kind: string): string {
  return `${groupOf(apiVersion)}/${kind}`;
}

/** True when the object's controller owner is itself of a kind the detection watches. */
export function controlledByWatchedKind(obj: KubeObject, watchedKinds: ReadonlySet<string>): boolean {
  const owners = Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences : [];
  const ctrl = owners.find((o) => o?.controller === true);
  return ctrl !== undefined && watchedKinds.has(groupKind(String(ctrl.apiVersion), String(ctrl.kind)));
}

/** The events a detection raises from watches. */
export type WatchEvent = 'Created' | 'Updated' | 'Deleted';

/** Decides what the subscription's detection does with an object it observes (Created events). */
export function decideCreated(sub: Subscription, obj: KubeObject): CreatedDecision {
  return decideEvent(sub, 'Created', obj);
}

/**
 * Decides what the subscription's detection does with an event of an object: only detections
 * naming the event take it, Created only for objects new to the detection; then skipControlled,
 * the filters (the CEL condition sees `oldObject` when given) and the exceptions. Updates and
 * deletions happen now, so they count for objects of any age.
 */
export function decideEvent(
  sub: Subscription,
  event: WatchEvent,
  obj: KubeObject,
  oldObject?: KubeObject,
): CreatedDecision {
  return decideEventDetail(sub, event, obj, oldObject).decision;
}

/** {@link decideEvent} with the index of the exception that suppressed the object, if one did. */
export function decideEventDetail(
  sub: Subscription,
  event: WatchEvent,
  obj: KubeObject,
  oldObject?: KubeObject,
): { decision: CreatedDecision; exception?: number } {
  const d = sub.detection;
  if (!d.events.has(event)) return { decision: 'skip' };
  if (event === 'Created' && !isNewObject(obj, sub.sinceMs)) return { decision: 'skip' };
  if (d.skipControlled && controlledByWatchedKind(obj, sub.watchedKinds)) return { decision: 'skip' };
  const f = d.filter(obj, sub.namespaceLabels, oldObject);
  if (f === 'pending') return { decision: 'pending' };
  if (!f) return { decision: 'skip' };
  const exception = d.exception(obj);
  return exception === undefined ? { decision: 'alert' } : { decision: 'suppressed', exception };
}

/** True when this new object should raise a `Created` alert for the subscription's detection. */
export function wantsCreatedAlert(sub: Subscription, obj: KubeObject): boolean {
  return decideCreated(sub, obj) === 'alert';
}
