import type { KubeObject } from '../api/kube-object.js';
import type { CompiledDetection } from './compile.js';
import { isNewObject } from './watermark.js';

/** A detection as subscribed to one resource feed. */
export interface Subscription {
  detection: CompiledDetection;
  /** Objects created at or after this time (ms) are new for this detection. */
  sinceMs: number;
  /** `group/Kind` of every kind this detection watches, for skipControlled. */
  watchedKinds: ReadonlySet<string>;
}

/** `group/Kind` of an apiVersion + kind pair (`/Pod` for the core group). */
export function groupKind(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  return `${slash >= 0 ? apiVersion.slice(0, slash) : ''}/${kind}`;
}

/** True when the object's controller owner is itself of a kind the detection watches. */
export function controlledByWatchedKind(obj: KubeObject, watchedKinds: ReadonlySet<string>): boolean {
  const owners = Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences : [];
  const ctrl = owners.find((o) => o?.controller === true);
  return ctrl !== undefined && watchedKinds.has(groupKind(String(ctrl.apiVersion), String(ctrl.kind)));
}

/** True when this new object should raise a `Created` alert for the subscription's detection. */
export function wantsCreatedAlert(sub: Subscription, obj: KubeObject): boolean {
  const d = sub.detection;
  if (!d.events.has('Created') || !isNewObject(obj, sub.sinceMs)) return false;
  if (d.skipControlled && controlledByWatchedKind(obj, sub.watchedKinds)) return false;
  return d.filter(obj);
}
