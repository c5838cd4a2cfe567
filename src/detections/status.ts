import { condition, setConditions } from '../api/conditions.js';
import { DETECTION_CONDITIONS, DETECTIONS_PATH, FIELD_MANAGER } from '../api/constants.js';
import type { AuditDetection, AuditDetectionStatus, Condition } from '../api/generated/audit-detection.js';
import type { KubeApi } from '../kube/api.js';
import { toRfc3339 } from './watermark.js';

/** A metav1.Condition (the shape the CRD declares). */
export type { Condition };

/** The state a reconcile concluded for a detection. */
export type DetectionState =
  | {
      kind: 'ready';
      activeSince: string;
      resources: string[];
      /** How the detection reads its resources; "Watching" by default. */
      verb?: string;
      warnings?: string[];
    }
  | { kind: 'disabled' }
  | { kind: 'stalled'; reason: string; message: string };

/**
 * The Ready/Stalled conditions for a state, in the shape kstatus (Argo CD, Flux) reads: Ready=True
 * when watching, Stalled=True with the error when the spec cannot run. Transition times are kept
 * when a condition's status does not change.
 */
export function conditionsFor(
  state: DetectionState,
  generation: number,
  prev: Condition[],
  now: Date,
): Condition[] {
  return setConditions(prev, desiredConditions(state), generation, now);
}

function desiredConditions(state: DetectionState): Condition[] {
  const { ready, stalled } = DETECTION_CONDITIONS;
  switch (state.kind) {
    case 'ready': {
      const reads = `${state.verb ?? 'Watching'} ${state.resources.join(', ')}`;
      const message = [reads, ...(state.warnings ?? [])].join('; ');
      return [condition(ready, true, 'Watching', message), condition(stalled, false, 'Watching', '')];
    }
    case 'disabled':
      return [
        condition(ready, false, 'Disabled', 'spec.enabled is false'),
        condition(stalled, false, 'Disabled', ''),
      ];
    case 'stalled':
      return [
        condition(ready, false, state.reason, state.message),
        condition(stalled, true, state.reason, state.message),
      ];
  }
}

/** True when writing `next` would change nothing a reader cares about. */
export function statusUnchanged(cur: AuditDetectionStatus | undefined, next: AuditDetectionStatus): boolean {
  const strip = (s: AuditDetectionStatus | undefined) => ({
    observedGeneration: s?.observedGeneration,
    activeSince: s?.activeSince,
    conditions: (s?.conditions ?? []).map((c) => [
      c.type,
      c.status,
      c.reason,
      c.message,
      c.observedGeneration,
    ]),
  });
  return JSON.stringify(strip(cur)) === JSON.stringify(strip(next));
}

/** Merge-patches a detection's status subresource with the operator's field manager. */
export async function patchDetectionStatus(
  client: KubeApi,
  name: string,
  status: Record<string, unknown>,
): Promise<AuditDetection> {
  return await client.request<AuditDetection>(
    'PATCH',
    `${DETECTIONS_PATH}/${encodeURIComponent(name)}/status`,
    { query: { fieldManager: FIELD_MANAGER }, body: { status }, contentType: 'application/merge-patch+json' },
  );
}

/**
 * The status patch of one flush: the watermark when the feeds moved it past the persisted one,
 * and the suppressed counter raised by what was counted since the last flush; undefined when
 * there is nothing to write (one batched write per detection and flush, never one per event).
 */
export function flushPatch(
  status: AuditDetectionStatus | undefined,
  lowWaterMs: number | undefined,
  suppressedDelta: number,
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  if (lowWaterMs !== undefined) {
    const next = toRfc3339(lowWaterMs);
    const cur = status?.watermark;
    if (!cur || Date.parse(cur) < Date.parse(next)) patch.watermark = next;
  }
  if (suppressedDelta > 0)
    patch.counters = { suppressed: (status?.counters?.suppressed ?? 0) + suppressedDelta };
  return Object.keys(patch).length > 0 ? patch : undefined;
}
