import { subjectRef } from '../generic.js';
import { few } from '../ingress/analyse.js';
import { asRecord, asString, bool, compact, type Json, type Notes, num, rec, str } from '../read.js';
import type { KindAnalysis } from '../types.js';
import { type PodFacts, readPodSpec } from './pod-spec.js';
import { podSpecPath } from './pod-template.js';

export { WORKLOAD_KINDS } from './pod-template.js';

/** Follows `path` from `obj`, noting the first step that is missing or not an object. */
function walk(obj: Json, path: readonly string[], notes: Notes): Json | undefined {
  let at: Json | undefined = obj;
  let where = '';
  for (const key of path) {
    where = where ? `${where}.${key}` : key;
    const next: Json | undefined = rec(at, key, where, notes);
    if (!next) {
      if (at?.[key] === undefined || at[key] === null)
        notes.add(`${where} is missing; the pod spec could not be read`);
      return undefined;
    }
    at = next;
  }
  return at;
}

/** Controller-level settings: replicas, schedule, job sizing, whichever the kind has. */
function controllerFacts(obj: Json, kind: string, notes: Notes): Json {
  const spec = asRecord(obj.spec);
  if (kind === 'CronJob') {
    return compact({
      schedule: str(spec, 'schedule', 'spec.schedule', notes),
      suspend: bool(spec, 'suspend', 'spec.suspend', notes),
      concurrencyPolicy: str(spec, 'concurrencyPolicy', 'spec.concurrencyPolicy', notes),
    });
  }
  if (kind === 'Job') {
    return compact({
      parallelism: num(spec, 'parallelism', 'spec.parallelism', notes),
      completions: num(spec, 'completions', 'spec.completions', notes),
      backoffLimit: num(spec, 'backoffLimit', 'spec.backoffLimit', notes),
    });
  }
  if (kind === 'Pod' || kind === 'DaemonSet') return {};
  return compact({ replicas: num(spec, 'replicas', 'spec.replicas', notes) });
}

/** The controller owner (`controller: true`), if any; ownerReferences are noted in the metadata reader. */
function controllerOf(obj: Json): Json | undefined {
  const refs = asRecord(obj.metadata)?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const owner = refs.map(asRecord).find((r) => r?.controller === true);
  return owner ? compact({ kind: asString(owner.kind), name: asString(owner.name) }) : undefined;
}

/** Settings worth a word in the summary line. */
function flags(pod: PodFacts): string[] {
  const out: string[] = [];
  if (pod.privileged) out.push('privileged');
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (pod[ns] === true) out.push(ns);
  if (pod.hostPathVolumes.length > 0)
    out.push(`hostPath ${few(pod.hostPathVolumes.map((v) => String(v.path)))}`);
  if (pod.capabilitiesAdded.length > 0) out.push(`adds ${few(pod.capabilitiesAdded)}`);
  return out;
}

function containerCount(pod: PodFacts): string {
  const n = pod.containers.length;
  const extra = (['initContainers', 'ephemeralContainers'] as const)
    .map((key) => [key, Array.isArray(pod[key]) ? (pod[key] as unknown[]).length : 0] as const)
    .filter(([, count]) => count > 0)
    .map(([key, count]) => ` +${count} ${key === 'initContainers' ? 'init' : 'ephemeral'}`);
  return `${n} container${n === 1 ? '' : 's'}${extra.join('')}`;
}

function workloadSummary(obj: Json, kind: string, pod: PodFacts, controller: Json): string {
  const images = pod.images.length > 0 ? ` (${few(pod.images)})` : '';
  const parts = [
    `${kind} ${subjectRef(obj)} runs ${containerCount(pod)}${images} as service account ${pod.serviceAccountName}`,
  ];
  const r = controller.replicas;
  if (typeof r === 'number') parts.push(`${r} replica${r === 1 ? '' : 's'}`);
  if (typeof controller.schedule === 'string') parts.push(`schedule ${controller.schedule}`);
  return [...parts, ...flags(pod)].join('; ');
}

/**
 * Pods and whatever carries a pod template (the built-in controllers, ReplicationControllers and
 * third-party kinds whose pod spec is found by shape): containers (init and ephemeral too), images,
 * ports, service account, host namespaces, privilege, capabilities, hostPath volumes, referenced
 * Secret and ConfigMap names, replicas or schedule, and the controller owner. Env values are never read.
 */
export function analyseWorkload(obj: Json, notes: Notes): KindAnalysis {
  const kind = typeof obj.kind === 'string' && obj.kind !== '' ? obj.kind : 'Pod';
  const path = podSpecPath(obj) ?? ['spec'];
  const pod = readPodSpec(walk(obj, path, notes), path.join('.'), notes);
  const controller = controllerFacts(obj, kind, notes);
  const evidence = compact({ ...controller, controlledBy: controllerOf(obj), pod });
  return {
    evidence,
    summary: workloadSummary(obj, kind, pod, controller),
    vars: { serviceAccount: pod.serviceAccountName },
  };
}
