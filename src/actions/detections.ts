import type { KubeObject } from '../api/kube-object.js';
import type { CompiledDetection } from '../detections/compile.js';
import type { DetectionView } from '../detections/store.js';
import { type ActionEvent, requestDetails } from './events.js';

/**
 * The object an action detection's filters, exceptions and CEL see for a request: metadata names
 * the target (Pod, ServiceAccount or Secret), `action` the request. `object.action.user.username`,
 * `object.action.command` etc. can be used in `match.condition` and `severityOverrides`.
 */
export function actionObject(e: ActionEvent): KubeObject {
  const action: Record<string, unknown> = {
    ...requestDetails(e),
    user: { username: e.user.username, groups: [...e.user.groups] },
  };
  return {
    apiVersion: 'v1',
    kind: e.target.kind,
    metadata: { name: e.target.name, namespace: e.target.namespace },
    action,
  };
}

/**
 * The user of an {@link actionObject}, for exceptions naming users and groups: the store compiles
 * action detections with it (not with the object creator lookup).
 */
export function actionActor(obj: KubeObject): { username: string; groups: string[] } | undefined {
  const u = (obj.action as { user?: { username: string; groups: string[] } } | undefined)?.user;
  return u && { username: u.username, groups: u.groups };
}

/**
 * The detections that take an action event, from the detection store (src/detections/store.ts):
 * the store compiles each generation once and decides whether it runs; a detection it reports
 * Stalled or disabled is not here.
 */
export function matchingActions(
  view: Pick<DetectionView, 'running'>,
  e: ActionEvent,
): Array<{ detection: CompiledDetection; object: KubeObject }> {
  const out: Array<{ detection: CompiledDetection; object: KubeObject }> = [];
  for (const d of view.running('actions')) {
    if (!d.events.has(e.type)) continue;
    const object = actionObject(e);
    if (d.filter(object) !== true) continue;
    if (d.exception(object) !== undefined) continue;
    out.push({ detection: d, object });
  }
  return out;
}
