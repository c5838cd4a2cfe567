import type { Json, Notes } from '../read.js';
import { asRecord, bool, compact, list, num, rec, records, str, strings, unique } from '../read.js';

/** The security-relevant facts of one pod spec, as they go into evidence. */
export interface PodFacts extends Json {
  serviceAccountName: string;
  containers: Json[];
  images: string[];
  secrets: string[];
  configMaps: string[];
  privileged: boolean;
  capabilitiesAdded: string[];
  hostPathVolumes: Json[];
}

/** Names of Secrets and ConfigMaps a pod refers to (names only, never their data). */
interface Refs {
  secrets: string[];
  configMaps: string[];
}

/** Added and dropped capabilities, each left out when empty. */
function capabilities(caps: Json, p: string, notes: Notes): Json {
  const add = strings(list(caps, 'add', `${p}.add`, notes), `${p}.add`, notes);
  const drop = strings(list(caps, 'drop', `${p}.drop`, notes), `${p}.drop`, notes);
  return compact({ add: add.length > 0 ? add : undefined, drop: drop.length > 0 ? drop : undefined });
}

/** The security settings of a container's securityContext that matter for triage. */
function containerSecurity(sc: Json | undefined, p: string, notes: Notes): Json | undefined {
  if (!sc) return undefined;
  const caps = rec(sc, 'capabilities', `${p}.capabilities`, notes);
  const seccomp = rec(sc, 'seccompProfile', `${p}.seccompProfile`, notes);
  return compact({
    privileged: bool(sc, 'privileged', `${p}.privileged`, notes),
    allowPrivilegeEscalation: bool(sc, 'allowPrivilegeEscalation', `${p}.allowPrivilegeEscalation`, notes),
    readOnlyRootFilesystem: bool(sc, 'readOnlyRootFilesystem', `${p}.readOnlyRootFilesystem`, notes),
    runAsNonRoot: bool(sc, 'runAsNonRoot', `${p}.runAsNonRoot`, notes),
    runAsUser: num(sc, 'runAsUser', `${p}.runAsUser`, notes),
    runAsGroup: num(sc, 'runAsGroup', `${p}.runAsGroup`, notes),
    procMount: str(sc, 'procMount', `${p}.procMount`, notes),
    seccompProfile: str(seccomp, 'type', `${p}.seccompProfile.type`, notes),
    capabilities: caps ? capabilities(caps, `${p}.capabilities`, notes) : undefined,
  });
}

/** Env var names (never values) and the Secrets/ConfigMaps they are taken from. */
function envFacts(c: Json, p: string, notes: Notes, refs: Refs): Json {
  const env = records(list(c, 'env', `${p}.env`, notes), `${p}.env`, notes);
  const names = env.map(([e, ep]) => str(e, 'name', `${ep}.name`, notes) ?? '?');
  for (const [e] of env) {
    const from = asRecord(e.valueFrom);
    const secret = asRecord(from?.secretKeyRef)?.name;
    const configMap = asRecord(from?.configMapKeyRef)?.name;
    if (typeof secret === 'string') refs.secrets.push(secret);
    if (typeof configMap === 'string') refs.configMaps.push(configMap);
  }
  const envFrom = records(list(c, 'envFrom', `${p}.envFrom`, notes), `${p}.envFrom`, notes).map(([e]) => {
    const secret = asRecord(e.secretRef)?.name;
    const configMap = asRecord(e.configMapRef)?.name;
    if (typeof secret === 'string') refs.secrets.push(secret);
    if (typeof configMap === 'string') refs.configMaps.push(configMap);
    return compact({ secret: secret as string | undefined, configMap: configMap as string | undefined });
  });
  return compact({
    env: names.length > 0 ? names : undefined,
    envFrom: envFrom.length > 0 ? envFrom : undefined,
  });
}

function container(c: Json, p: string, notes: Notes, refs: Refs): Json {
  const ports = records(list(c, 'ports', `${p}.ports`, notes), `${p}.ports`, notes).map(([port, pp]) =>
    compact({
      name: str(port, 'name', `${pp}.name`, notes),
      containerPort: num(port, 'containerPort', `${pp}.containerPort`, notes),
      hostPort: num(port, 'hostPort', `${pp}.hostPort`, notes),
      protocol: str(port, 'protocol', `${pp}.protocol`, notes),
    }),
  );
  const mounts = records(list(c, 'volumeMounts', `${p}.volumeMounts`, notes), `${p}.volumeMounts`, notes);
  return compact({
    name: str(c, 'name', `${p}.name`, notes),
    image: str(c, 'image', `${p}.image`, notes),
    imagePullPolicy: str(c, 'imagePullPolicy', `${p}.imagePullPolicy`, notes),
    ports: ports.length > 0 ? ports : undefined,
    securityContext: containerSecurity(
      rec(c, 'securityContext', `${p}.securityContext`, notes),
      `${p}.securityContext`,
      notes,
    ),
    ...envFacts(c, p, notes, refs),
    volumeMounts:
      mounts.length > 0
        ? mounts.map(([m, mp]) =>
            compact({
              name: str(m, 'name', `${mp}.name`, notes),
              mountPath: str(m, 'mountPath', `${mp}.mountPath`, notes),
              readOnly: bool(m, 'readOnly', `${mp}.readOnly`, notes),
            }),
          )
        : undefined,
  });
}

/** hostPath volumes in full; for the others only the Secrets and ConfigMaps they mount. */
function volumes(spec: Json, p: string, notes: Notes, refs: Refs): Json[] {
  const hostPaths: Json[] = [];
  for (const [v, vp] of records(list(spec, 'volumes', `${p}.volumes`, notes), `${p}.volumes`, notes)) {
    const hostPath = rec(v, 'hostPath', `${vp}.hostPath`, notes);
    if (hostPath) {
      hostPaths.push(
        compact({
          name: str(v, 'name', `${vp}.name`, notes),
          path: str(hostPath, 'path', `${vp}.hostPath.path`, notes),
          type: str(hostPath, 'type', `${vp}.hostPath.type`, notes),
        }),
      );
    }
    const secret = asRecord(v.secret)?.secretName;
    const configMap = asRecord(v.configMap)?.name;
    if (typeof secret === 'string') refs.secrets.push(secret);
    if (typeof configMap === 'string') refs.configMaps.push(configMap);
    for (const source of list(asRecord(v.projected), 'sources', `${vp}.projected.sources`, notes)) {
      const s = asRecord(asRecord(source)?.secret)?.name;
      const c = asRecord(asRecord(source)?.configMap)?.name;
      if (typeof s === 'string') refs.secrets.push(s);
      if (typeof c === 'string') refs.configMaps.push(c);
    }
  }
  return hostPaths;
}

function podSecurity(spec: Json, p: string, notes: Notes): Json | undefined {
  const sc = rec(spec, 'securityContext', `${p}.securityContext`, notes);
  if (!sc) return undefined;
  const seccomp = rec(sc, 'seccompProfile', `${p}.securityContext.seccompProfile`, notes);
  return compact({
    runAsNonRoot: bool(sc, 'runAsNonRoot', `${p}.securityContext.runAsNonRoot`, notes),
    runAsUser: num(sc, 'runAsUser', `${p}.securityContext.runAsUser`, notes),
    runAsGroup: num(sc, 'runAsGroup', `${p}.securityContext.runAsGroup`, notes),
    fsGroup: num(sc, 'fsGroup', `${p}.securityContext.fsGroup`, notes),
    seccompProfile: str(seccomp, 'type', `${p}.securityContext.seccompProfile.type`, notes),
  });
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/**
 * Reads a pod spec (a Pod's `spec` or a template's `spec`) at `p`: containers of every kind, host
 * namespaces, privilege, capabilities, hostPath volumes, service account, and the names of the
 * Secrets and ConfigMaps it uses. Env values are never read.
 */
export function readPodSpec(spec: Json | undefined, p: string, notes: Notes): PodFacts {
  const s = spec ?? {};
  const refs: Refs = { secrets: [], configMaps: [] };
  const lists: Record<string, Json[]> = {};
  for (const key of CONTAINER_LISTS) {
    lists[key] = records(list(s, key, `${p}.${key}`, notes), `${p}.${key}`, notes).map(([c, cp]) =>
      container(c, cp, notes, refs),
    );
  }
  const all = CONTAINER_LISTS.flatMap((key) => lists[key] ?? []);
  const pullSecrets = records(
    list(s, 'imagePullSecrets', `${p}.imagePullSecrets`, notes),
    `${p}.imagePullSecrets`,
    notes,
  );
  const hostPathVolumes = volumes(s, p, notes, refs);
  const securityOf = (c: Json) => asRecord(c.securityContext);
  return compact({
    serviceAccountName:
      str(s, 'serviceAccountName', `${p}.serviceAccountName`, notes) ??
      str(s, 'serviceAccount', `${p}.serviceAccount`, notes) ??
      'default',
    automountServiceAccountToken: bool(
      s,
      'automountServiceAccountToken',
      `${p}.automountServiceAccountToken`,
      notes,
    ),
    hostNetwork: bool(s, 'hostNetwork', `${p}.hostNetwork`, notes),
    hostPID: bool(s, 'hostPID', `${p}.hostPID`, notes),
    hostIPC: bool(s, 'hostIPC', `${p}.hostIPC`, notes),
    hostUsers: bool(s, 'hostUsers', `${p}.hostUsers`, notes),
    nodeName: str(s, 'nodeName', `${p}.nodeName`, notes),
    securityContext: podSecurity(s, p, notes),
    containers: lists.containers ?? [],
    initContainers: lists.initContainers?.length ? lists.initContainers : undefined,
    ephemeralContainers: lists.ephemeralContainers?.length ? lists.ephemeralContainers : undefined,
    images: unique(all.flatMap((c) => (typeof c.image === 'string' ? [c.image] : []))),
    privileged: all.some((c) => securityOf(c)?.privileged === true),
    capabilitiesAdded: unique(
      all.flatMap((c) => (asRecord(securityOf(c)?.capabilities)?.add as string[] | undefined) ?? []),
    ),
    hostPathVolumes,
    secrets: unique([
      ...refs.secrets,
      ...pullSecrets.flatMap(([ps]) => (typeof ps.name === 'string' ? [ps.name] : [])),
    ]),
    configMaps: unique(refs.configMaps),
  }) as PodFacts;
}
