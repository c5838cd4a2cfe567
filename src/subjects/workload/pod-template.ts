import { groupOf } from '../../api/kube-object.js';
/**
 * Where an object keeps its pod spec. The built-in workload kinds have a fixed place; any other
 * kind (a ReplicationController's cousin, Argo Rollouts, OpenKruise CloneSet, Knative Service,
 * a PodTemplate) is searched by shape: the shallowest object whose `containers` is a list of
 * objects, found through nested objects only (never through lists, so policies that hold pod
 * patterns in their rules are not mistaken for workloads), with bounded depth and work.
 */
import { asRecord, type Json } from '../read.js';

/** Built-in kinds that carry a pod spec and where it lives. */
export const WORKLOAD_KINDS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** API groups whose kinds in {@link WORKLOAD_KINDS} are the built-in ones (not a CRD's namesake). */
export const BUILT_IN_WORKLOAD_GROUPS: ReadonlySet<string> = new Set(['', 'apps', 'batch', 'extensions']);

/**
 * Built-in kinds that hold a pod template as a record of the past, not as something that runs:
 * a ControllerRevision copies its DaemonSet's or StatefulSet's template (which is analysed itself).
 */
const NOT_WORKLOADS = new Set(['apps/ControllerRevision']);

/** Deepest pod spec searched for (OpenKruise AdvancedCronJob: spec.template.jobTemplate.spec.template.spec). */
export const MAX_POD_SPEC_DEPTH = 8;
/** Most fields looked at in one search, whatever the object's size. */
const MAX_VISITS = 4096;
/** Fields never searched: they are not the desired state. */
const SKIPPED = new Set(['metadata', 'status']);

/** Whether `v` looks like a pod spec: `containers` is a list that starts with an object. */
const isPodSpec = (v: Json): boolean =>
  Array.isArray(v.containers) && asRecord(v.containers[0]) !== undefined;

/** The path of the shallowest pod spec found by shape (breadth first, bounded), or `undefined`. */
export function findPodSpec(obj: Json): readonly string[] | undefined {
  let level: Array<[Json, string[]]> = [[obj, []]];
  let visits = 0;
  for (let depth = 1; depth <= MAX_POD_SPEC_DEPTH && level.length > 0; depth++) {
    const next: Array<[Json, string[]]> = [];
    for (const [at, path] of level) {
      for (const key in at) {
        if (++visits > MAX_VISITS) return undefined;
        if (!Object.hasOwn(at, key) || (depth === 1 && SKIPPED.has(key))) continue;
        const child = asRecord(at[key]);
        if (!child) continue;
        const p = [...path, key];
        if (isPodSpec(child)) return p;
        next.push([child, p]);
      }
    }
    level = next;
  }
  return undefined;
}

/**
 * Where `obj` keeps its pod spec: the fixed place of a built-in workload kind (even when it is
 * missing there, so that readers can say so), else the place found by shape, else `undefined`.
 */
export function podSpecPath(obj: Json): readonly string[] | undefined {
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const group = groupOf(obj.apiVersion);
  const known = WORKLOAD_KINDS[kind];
  if (known && BUILT_IN_WORKLOAD_GROUPS.has(group)) return known;
  if (NOT_WORKLOADS.has(`${group}/${kind}`)) return undefined;
  return findPodSpec(obj);
}
