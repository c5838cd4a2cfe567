/**
 * The small functions and constants behind the workload rules (src/subjects/workload/risks.ts):
 * what each Pod Security Standards control allows, and how each is read from a pod spec.
 */
import { asNumber, asRecord, asString, type Json } from '../read.js';
import { classifyHostPath, type HostPathClass } from './host-path.js';
import { parseImage } from './images.js';
import { type ContainerView, capabilities, mountedBy, type PodView } from './pod.js';

/** Capabilities the Baseline profile allows a container to add. */
export const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
/** Capabilities that are a known way out of the container or into the node's kernel and network. */
export const DANGEROUS_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'SYS_MODULE',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'DAC_READ_SEARCH',
  'NET_ADMIN',
  'BPF',
  'PERFMON',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'SYSLOG',
]);
/** Sysctls the Baseline profile allows (namespaced and isolated from the node). */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);
/** SELinux types the Baseline profile allows. */
const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);
/** Volume types the Restricted profile allows (hostPath has rules of its own). */
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
  'image',
  'hostPath',
]);
/** Namespaces of the control plane: a workload there hides among system components. */
export const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

/** Prefix of the legacy per-container AppArmor annotation. */
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';
/** The legacy pod seccomp annotation (no longer honoured since Kubernetes 1.27, still flagged when unconfined). */
const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
/** Prefix of the legacy per-container seccomp annotation. */
const SECCOMP_CONTAINER_ANNOTATION = 'container.seccomp.security.alpha.kubernetes.io/';

/** The labels of the containers for which `f` holds. */
export const containersWhere = (pod: PodView, f: (c: ContainerView) => boolean): string[] =>
  pod.containers.filter(f).map((c) => c.label);

/** `f` for every container, keeping what it says. */
export const perContainer = (pod: PodView, f: (c: ContainerView) => string | undefined): string[] =>
  pod.containers.flatMap((c) => {
    const item = f(c);
    return item === undefined ? [] : [item];
  });

/** The pod field `key` when it is `true`. */
export const podFlag = (key: string) => (pod: PodView) =>
  pod.spec[key] === true ? [`${pod.path}.${key}: true`] : [];

/** Windows pods skip the Linux-only Restricted controls, as Pod Security admission does. */
export const isWindows = (pod: PodView): boolean => pod.os === 'windows';

/** Added capabilities of each container that `keep` selects, as `container x adds A, B`. */
export const addsWhere =
  (keep: (cap: string) => boolean) =>
  (pod: PodView): string[] =>
    perContainer(pod, (c) => {
      const caps = capabilities(c, 'add').filter(keep);
      return caps.length > 0 ? `${c.label} adds ${[...new Set(caps)].join(', ')}` : undefined;
    });

/** hostPath volumes of one class, as `volume x: /path (mounted by container y)`. */
export const hostPathsOf =
  (cls: HostPathClass) =>
  (pod: PodView): string[] =>
    pod.volumes.flatMap((v) => {
      const path = asString(asRecord(v.hostPath)?.path);
      if (path === undefined || classifyHostPath(path) !== cls) return [];
      const name = asString(v.name) ?? '?';
      const by = mountedBy(pod, name);
      return [`volume ${name}: ${path}${by.length > 0 ? ` (mounted by ${by.join(', ')})` : ''}`];
    });

/** Where a setting is set: the pod's securityContext and every container's, with the value found. */
export function settingsWhere(pod: PodView, key: string, bad: (v: Json) => string | undefined): string[] {
  const out: string[] = [];
  const podValue = asRecord(pod.sc[key]);
  const atPod = podValue && bad(podValue);
  if (atPod) out.push(`${pod.path}.securityContext.${key}: ${atPod}`);
  for (const c of pod.containers) {
    const own = asRecord(c.sc[key]);
    const atContainer = own && bad(own);
    if (atContainer) out.push(`${c.label}: ${key} ${atContainer}`);
  }
  return out;
}

/** A seccomp or AppArmor profile of type Unconfined. */
const unconfinedType = (v: Json): string | undefined => (v.type === 'Unconfined' ? 'Unconfined' : undefined);

/** AppArmor profiles other than RuntimeDefault or Localhost, by annotation or field. */
export function appArmor(pod: PodView): string[] {
  const fromAnnotations = Object.entries(pod.annotations)
    .filter(
      ([k, v]) => k.startsWith(APPARMOR_ANNOTATION) && v !== 'runtime/default' && !v.startsWith('localhost/'),
    )
    .map(([k, v]) => `container ${k.slice(APPARMOR_ANNOTATION.length)}: ${v}`);
  const allowed = (v: Json) =>
    typeof v.type === 'string' && v.type !== 'RuntimeDefault' && v.type !== 'Localhost' ? v.type : undefined;
  return [...fromAnnotations, ...settingsWhere(pod, 'appArmorProfile', allowed)];
}

/** What in seLinuxOptions the Baseline profile forbids: a custom type, any user or role. */
export function seLinux(v: Json): string | undefined {
  const bad: string[] = [];
  const type = asString(v.type);
  if (type !== undefined && !SELINUX_TYPES.has(type)) bad.push(`type ${type}`);
  for (const key of ['user', 'role']) if (asString(v[key])) bad.push(`${key} ${v[key]}`);
  return bad.length > 0 ? bad.join(', ') : undefined;
}

/** Unconfined seccomp, by field or legacy annotation. */
export function seccompUnconfined(pod: PodView): string[] {
  const annotations = Object.entries(pod.annotations)
    .filter(
      ([k, v]) =>
        (k === SECCOMP_POD_ANNOTATION || k.startsWith(SECCOMP_CONTAINER_ANNOTATION)) && v === 'unconfined',
    )
    .map(([k]) => `annotation ${k}: unconfined`);
  return [...annotations, ...settingsWhere(pod, 'seccompProfile', unconfinedType)];
}

/** Sysctls outside the Baseline safe set. */
export function unsafeSysctls(pod: PodView): string[] {
  const list = Array.isArray(pod.sc.sysctls) ? (pod.sc.sysctls as unknown[]) : [];
  return list
    .map((s) => asString(asRecord(s)?.name))
    .filter((name): name is string => name !== undefined && !SAFE_SYSCTLS.has(name))
    .map((name) => `sysctl ${name}`);
}

/** Containers that bind host ports. */
export function hostPorts(pod: PodView): string[] {
  return perContainer(pod, (c) => {
    const ports = c.ports
      .map((p) => asNumber(p.hostPort))
      .filter((p): p is number => p !== undefined && p > 0);
    return ports.length > 0 ? `${c.label}: hostPort ${ports.join(', ')}` : undefined;
  });
}

/** Volumes of a type the Restricted profile does not allow (hostPath aside). */
export function volumeTypes(pod: PodView): string[] {
  return pod.volumes.flatMap((v) => {
    const types = Object.keys(v).filter((k) => k !== 'name' && !RESTRICTED_VOLUMES.has(k));
    return types.length > 0 ? [`volume ${asString(v.name) ?? '?'}: ${types.join(', ')}`] : [];
  });
}

/** Explicit runAsUser 0, at pod or container level (not with user namespaces). */
export function runAsRoot(pod: PodView): string[] {
  if (pod.userNamespaces) return [];
  const atPod = pod.sc.runAsUser === 0 ? [`${pod.path}.securityContext.runAsUser: 0`] : [];
  return [...atPod, ...containersWhere(pod, (c) => c.sc.runAsUser === 0)];
}

/** Images of each container that `bad` flags, as `container x: image (why)`. */
export const imagesWhere =
  (bad: (ref: NonNullable<ReturnType<typeof parseImage>>) => string | undefined) =>
  (pod: PodView): string[] =>
    perContainer(pod, (c) => {
      const ref = c.image === undefined ? undefined : parseImage(c.image);
      const why = ref && bad(ref);
      return why === undefined ? undefined : `${c.label}: ${c.image}${why ? ` (${why})` : ''}`;
    });

/** An image reference that follows whatever was pushed last: no digest, and `latest` or no tag. */
export const isMutableDefault = (ref: { tag?: string | undefined; digest?: string | undefined }): boolean =>
  ref.digest === undefined && (ref.tag === undefined || ref.tag === 'latest');
