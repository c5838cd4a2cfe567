/**
 * How dangerous a hostPath is. A path is judged by what it exposes, not by its spelling: `/var/run`
 * and `/` expose the container runtime's socket as much as `/var/run/docker.sock` does, and
 * `/var/lib/kubelet/pods` is as sensitive as `/var/lib/kubelet`.
 */

/** `runtime-socket`: controls the container runtime (Critical); `sensitive`: host secrets or escape paths. */
export type HostPathClass = 'runtime-socket' | 'sensitive' | 'other';

/** Sockets (and pipes) of container runtimes: whoever reaches one runs anything on the node. */
const RUNTIME_SOCKETS = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/run/containerd/containerd.sock',
  '/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
  '/run/crio/crio.sock',
  '/var/run/cri-dockerd.sock',
  '/run/cri-dockerd.sock',
  '/var/run/dockershim.sock',
  '/run/k3s/containerd/containerd.sock',
  '/run/podman/podman.sock',
  '/var/run/podman/podman.sock',
  '/var/snap/microk8s/common/run/containerd.sock',
];
/** Runtime state directories: their contents include the sockets and every container's files. */
const RUNTIME_DIRS = [
  '/var/run/containerd',
  '/run/containerd',
  '/var/run/crio',
  '/run/crio',
  '/var/run/docker',
  '/run/docker',
];
/** A socket of a container runtime wherever it lives (non-standard data roots, bind mounts). */
const RUNTIME_SOCKET_NAME = /(^|\/)(docker|containerd|crio|cri-dockerd|dockershim|podman)\.sock$/;
/** Windows named pipes of Docker and containerd. */
const RUNTIME_PIPE = /^\/\/\.\/pipe\/(docker_engine|containerd-containerd)/;

/** Host directories whose contents are credentials, logs of every Pod, or ways out of the container. */
const SENSITIVE = [
  '/',
  '/etc',
  '/proc',
  '/root',
  '/home',
  '/boot',
  '/var/log',
  '/var/lib/kubelet',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/var/lib/containers',
  '/var/lib/etcd',
  '/c:/windows',
];
/** Read-only trust stores and clock settings under /etc that many agents mount; not sensitive. */
const BENIGN = [
  '/etc/ssl',
  '/etc/pki',
  '/etc/ca-certificates',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/machine-id',
];

/**
 * `path` in a canonical form: forward slashes, one leading `/`, `.` and `..` resolved, no trailing
 * slash, Windows drive letters lower-cased (`C:\\Windows` → `/c:/windows`).
 */
export function normalizeHostPath(path: string): string {
  const raw = path.replace(/\\/g, '/').trim();
  if (raw.startsWith('//./pipe/')) return raw.toLowerCase();
  const windows = /^[a-z]:/i.test(raw);
  const parts: string[] = [];
  for (const seg of (windows ? raw.toLowerCase() : raw).split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** Whether `a` is `b` or a directory above it. */
const isAncestorOrSelf = (a: string, b: string): boolean => a === b || a === '/' || b.startsWith(`${a}/`);

/** The class of a hostPath, from the most to the least dangerous. */
export function classifyHostPath(path: string): HostPathClass {
  const p = normalizeHostPath(path);
  if (RUNTIME_PIPE.test(p) || RUNTIME_SOCKET_NAME.test(p)) return 'runtime-socket';
  if (RUNTIME_SOCKETS.some((s) => isAncestorOrSelf(p, s))) return 'runtime-socket';
  if (RUNTIME_DIRS.some((d) => isAncestorOrSelf(d, p))) return 'runtime-socket';
  if (BENIGN.some((b) => isAncestorOrSelf(b, p))) return 'other';
  // Above a sensitive directory (it is inside the mount), or inside one.
  if (SENSITIVE.some((s) => isAncestorOrSelf(p, s) || (s !== '/' && isAncestorOrSelf(s, p))))
    return 'sensitive';
  return 'other';
}
