import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { DEFAULT_PROFILE } from '../../../src/detections/change-profile.js';
import {
  type ActorLookup,
  type CompiledDetection,
  compileDetection,
} from '../../../src/detections/compile.js';
import type { Subscription } from '../../../src/detections/match.js';
import type { ResilientWatchOptions } from '../../../src/kube/list-watch.js';
import type { ResourceInfo } from '../../../src/kube/resources.js';

/** Watch settings for unit tests: short backoff, no stall within a test. */
export const WATCH: Omit<ResilientWatchOptions, 'path' | 'apiVersion' | 'kind' | 'events'> = {
  pageSize: 500,
  stallTimeoutMs: 60_000,
  watchTimeoutSeconds: 300,
  backoff: { baseMs: 1, maxMs: 2 },
};

/** Pods as discovery describes them. */
export const PODS: ResourceInfo = {
  group: '',
  version: 'v1',
  resource: 'pods',
  kind: 'Pod',
  namespaced: true,
  verbs: ['list', 'watch'],
};

/** An AuditDetection on Pods; `spec` fields override the defaults. */
export function podDetection(name: string, spec: Partial<AuditDetection['spec']> = {}): AuditDetection {
  return {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name, uid: `uid-${name}`, generation: 1 },
    spec: {
      severity: 'High',
      resources: [{ version: 'v1', resource: 'pods' }],
      events: ['Created'],
      ...spec,
    },
  } as AuditDetection;
}

/** The detection compiled, or a thrown error with the compile errors. */
export function compiled(d: AuditDetection, actorOf?: ActorLookup): CompiledDetection {
  const r = compileDetection(d, undefined, actorOf);
  if (!r.ok) throw new Error(`detection does not compile: ${r.errors.join('; ')}`);
  return r.detection;
}

/** A subscription of a compiled detection that takes every object created since `sinceMs`. */
export function subscription(d: CompiledDetection, sinceMs = 0): Subscription {
  return { detection: d, sinceMs, watchedKinds: new Set(['/Pod']) };
}

/** A Pod created at `created` (RFC 3339). */
export function pod(
  name: string,
  created = '2026-01-01T00:00:00Z',
  meta: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', creationTimestamp: created, ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  } as KubeObject;
}

/**
 * A compiled detection without a spec behind it, for tests of what consumes one (matching, feeds,
 * the raiser): `workload-created`, Created only, everything matches, nothing is excepted.
 */
export const stubDetection = (over: Partial<CompiledDetection> = {}): CompiledDetection => ({
  name: 'workload-created',
  uid: 'd1',
  generation: 1,
  source: {} as CompiledDetection['source'],
  resources: [],
  events: new Set(['Created']),
  skipControlled: true,
  changes: DEFAULT_PROFILE,
  usesNamespaceSelector: false,
  warnings: [],
  filter: () => true,
  exception: () => undefined,
  severity: () => 'Low',
  notes: () => [],
  ...over,
});

/** The API server refusing the next `times` alert creates with the schema's "Too long" (422 Invalid). */
export const schemaRefusal = (times: number) => ({
  verb: 'create' as const,
  resource: 'auditalerts.tripline.dev',
  status: 422,
  reason: 'Invalid',
  message: 'AuditAlert.tripline.dev "a" is invalid: spec.summary: Too long: may not be more than 5 bytes',
  times,
});
