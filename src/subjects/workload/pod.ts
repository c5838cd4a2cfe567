import { actorFromManagedFields } from '../actor.js';
import { asRecord, asString, type Json, list, Notes, records, strings } from '../read.js';
import { podSpecPath } from './pod-template.js';

/** One container of the pod spec, with its list and the settings the rules read. */
export interface ContainerView {
  name: string;
  /** How messages name it: `container web`, `init container setup`, `ephemeral container debug`. */
  label: string;
  image: string | undefined;
  /** The container's securityContext (empty when absent or not an object). */
  sc: Json;
  ports: Json[];
  mounts: Array<{ name: string; readOnly: boolean; path: string }>;
  /** `command` and `args` (for the command heuristics; never shown in messages). */
  command: string[];
  args: string[];
  /** Literal env values by name (`valueFrom` is not read; values are never shown in messages). */
  env: Array<{ name: string; value: string }>;
  /** The exec commands of its probes and lifecycle hooks, each joined by spaces. */
  hooks: string[];
}

/** Where a container keeps commands besides `command` and `args`: probes and lifecycle hooks. */
const HOOKS = [
  ['livenessProbe'],
  ['readinessProbe'],
  ['startupProbe'],
  ['lifecycle', 'postStart'],
  ['lifecycle', 'preStop'],
] as const;

/** A pod spec as the workload rules read it, wherever the kind keeps it. */
export interface PodView {
  /** The object's kind (`Pod`, `DaemonSet`, a third-party kind). */
  kind: string;
  /** The object's own name (`metadata.name`); empty when unset. */
  name: string;
  /** The object's own namespace (`metadata.namespace`); empty when unset. */
  namespace: string;
  /** The first writer's field manager; undefined without managedFields (a manifest file). */
  writer?: string;
  /** Path of the pod spec in the object, for messages: `spec.template.spec`. */
  path: string;
  spec: Json;
  /** The pod-level securityContext (empty when absent). */
  sc: Json;
  /** Annotations of the Pod or of the pod template (AppArmor and seccomp annotations live there). */
  annotations: Record<string, string>;
  containers: ContainerView[];
  volumes: Json[];
  /** `spec.os.name`; Windows pods skip the Linux-only restricted controls. */
  os: string | undefined;
  /** `hostUsers: false` (user namespaces) relaxes the run-as-root controls. */
  userNamespaces: boolean;
}

const LISTS = [
  ['containers', 'container'],
  ['initContainers', 'init container'],
  ['ephemeralContainers', 'ephemeral container'],
] as const;

function follow(obj: Json, path: readonly string[]): Json | undefined {
  let at: Json | undefined = obj;
  for (const key of path) at = asRecord(at?.[key]);
  return at;
}

function stringEntries(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asRecord(v) ?? {})) if (typeof val === 'string') out[k] = val;
  return out;
}

function readContainer(c: Json, p: string, label: string, notes: Notes): ContainerView {
  const name = asString(c.name) ?? '?';
  return {
    name,
    label: `${label} ${name}`,
    image: asString(c.image),
    sc: asRecord(c.securityContext) ?? {},
    ports: records(list(c, 'ports', `${p}.ports`, notes), `${p}.ports`, notes).map(([port]) => port),
    mounts: records(list(c, 'volumeMounts', `${p}.volumeMounts`, notes), `${p}.volumeMounts`, notes).map(
      ([m]) => ({
        name: asString(m.name) ?? '?',
        readOnly: m.readOnly === true,
        path: asString(m.mountPath) ?? '',
      }),
    ),
    command: strings(list(c, 'command', `${p}.command`, notes), `${p}.command`, notes),
    args: strings(list(c, 'args', `${p}.args`, notes), `${p}.args`, notes),
    env: records(list(c, 'env', `${p}.env`, notes), `${p}.env`, notes).flatMap(([e]) => {
      const value = asString(e.value);
      return value === undefined ? [] : [{ name: asString(e.name) ?? '?', value }];
    }),
    hooks: HOOKS.flatMap((path) => {
      const exec = follow(c, [...path, 'exec']);
      const where = `${p}.${path.join('.')}.exec.command`;
      return exec ? [strings(list(exec, 'command', where, notes), where, notes).join(' ')] : [];
    }),
  };
}

/**
 * The pod spec of a Pod, of any built-in controller's template, or of any other kind that carries
 * one (found by shape, see `podSpecPath`), read defensively: odd shapes read as empty, never throw.
 * `undefined` when the object has no pod spec or it is missing.
 */
export function readPod(obj: Json): PodView | undefined {
  const path = podSpecPath(obj);
  if (!path) return undefined;
  const spec = follow(obj, path);
  if (!spec) return undefined;
  const notes = new Notes();
  const p = path.join('.');
  const containers = LISTS.flatMap(([key, label]) =>
    records(list(spec, key, `${p}.${key}`, notes), `${p}.${key}`, notes).map(([c, cp]) =>
      readContainer(c, cp, label, notes),
    ),
  );
  const templateMeta = follow(obj, [...path.slice(0, -1), 'metadata']);
  const meta = asRecord(obj.metadata);
  const writer = actorFromManagedFields(obj).fieldManager;
  return {
    kind: asString(obj.kind) ?? '',
    name: asString(meta?.name) ?? '',
    namespace: asString(meta?.namespace) ?? '',
    ...(writer ? { writer } : {}),
    path: p,
    spec,
    sc: asRecord(spec.securityContext) ?? {},
    annotations: stringEntries(templateMeta?.annotations),
    containers,
    volumes: records(list(spec, 'volumes', `${p}.volumes`, notes), `${p}.volumes`, notes).map(([v]) => v),
    os: asString(asRecord(spec.os)?.name),
    userNamespaces: spec.hostUsers === false,
  };
}

/** A container setting, falling back to the pod's (the precedence Kubernetes applies). */
export function effective(pod: PodView, c: ContainerView, key: string): unknown {
  const own = c.sc[key];
  return own === undefined || own === null ? pod.sc[key] : own;
}

/** `effective` for an object setting (seccompProfile, seLinuxOptions, appArmorProfile, windowsOptions). */
export const effectiveRecord = (pod: PodView, c: ContainerView, key: string): Json | undefined =>
  asRecord(effective(pod, c, key));

/** A capability name as Kubernetes compares it: upper case, without a `CAP_` prefix. */
export const capabilityName = (cap: string): string => cap.trim().toUpperCase().replace(/^CAP_/, '');

/** The capabilities a container adds (or drops), normalised. */
export function capabilities(c: ContainerView, which: 'add' | 'drop'): string[] {
  const caps = asRecord(c.sc.capabilities);
  const notes = new Notes();
  return strings(list(caps, which, which, notes), which, notes).map(capabilityName);
}

/** The containers that mount a volume, by label. */
export const mountedBy = (pod: PodView, volume: string): string[] =>
  pod.containers.filter((c) => c.mounts.some((m) => m.name === volume)).map((c) => c.label);
