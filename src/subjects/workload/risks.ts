import { asRecord } from '../read.js';
import { doc, pss } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';
import { lookalikeOf } from './images.js';
import { PLACEMENT_RULES } from './placement.js';
import { capabilities, effective, effectiveRecord, type PodView } from './pod.js';
import {
  addsWhere,
  appArmor,
  BASELINE_CAPABILITIES,
  containersWhere,
  DANGEROUS_CAPABILITIES,
  hostPathsOf,
  hostPorts,
  imagesWhere,
  isMutableDefault,
  isWindows,
  perContainer,
  podFlag,
  runAsRoot,
  SYSTEM_NAMESPACES,
  seccompUnconfined,
  seLinux,
  settingsWhere,
  unsafeSysctls,
  volumeTypes,
} from './pod-checks.js';

/** Risk rules of Pods and of every pod template (built-in controllers, ReplicationControllers, third-party kinds). */
export const WORKLOAD_RULES: readonly RiskRule<PodView>[] = [
  {
    id: 'workload.host-process',
    severity: 'Critical',
    title: 'Runs as a Windows HostProcess container (full access to the node)',
    description: 'A HostProcess container runs directly on the Windows node, outside any isolation.',
    reference: pss('Baseline', 'HostProcess'),
    check: (pod) => [
      ...(asRecord(pod.sc.windowsOptions)?.hostProcess === true
        ? [`${pod.path}.securityContext.windowsOptions.hostProcess`]
        : []),
      ...containersWhere(pod, (c) => asRecord(c.sc.windowsOptions)?.hostProcess === true),
    ],
  },
  {
    id: 'workload.privileged',
    severity: 'Critical',
    title: 'Privileged container (all capabilities and devices of the node)',
    description:
      'A privileged container can load kernel modules, mount the host filesystem and escape to the node.',
    reference: pss('Baseline', 'Privileged Containers'),
    check: (pod) => containersWhere(pod, (c) => c.sc.privileged === true),
  },
  {
    id: 'workload.host-network',
    severity: 'High',
    title: "Shares the node's network namespace",
    description:
      'hostNetwork exposes the node’s interfaces and loopback services (kubelet, cloud metadata, other pods’ host ports) and bypasses NetworkPolicy.',
    reference: pss('Baseline', 'Host Namespaces'),
    check: podFlag('hostNetwork'),
  },
  {
    id: 'workload.host-pid',
    severity: 'High',
    title: "Shares the node's process namespace",
    description:
      'hostPID shows every process of the node, their environment and command lines, and allows signalling or tracing them.',
    reference: pss('Baseline', 'Host Namespaces'),
    check: podFlag('hostPID'),
  },
  {
    id: 'workload.host-ipc',
    severity: 'High',
    title: "Shares the node's IPC namespace",
    description: 'hostIPC gives access to the shared memory and message queues of every process on the node.',
    reference: pss('Baseline', 'Host Namespaces'),
    check: podFlag('hostIPC'),
  },
  {
    id: 'workload.hostpath-runtime-socket',
    severity: 'Critical',
    title: "Mounts the container runtime's socket (or a directory above it) from the node",
    description:
      'Whoever reaches the Docker, containerd or CRI-O socket starts privileged containers on the node: a mount of the socket or of a directory above it (/, /var/run, /run) is node takeover.',
    reference: pss('Baseline', 'HostPath Volumes'),
    check: hostPathsOf('runtime-socket'),
  },
  {
    id: 'workload.hostpath-sensitive',
    severity: 'High',
    title: 'Mounts a sensitive directory of the node',
    description:
      'hostPaths under /etc, /proc, /root, /home, /var/log, /var/lib/kubelet, /etc/kubernetes or the runtimes’ data hold node and cluster credentials, every pod’s logs and files, and known ways out of the container.',
    reference: pss('Baseline', 'HostPath Volumes'),
    check: hostPathsOf('sensitive'),
  },
  {
    id: 'workload.hostpath',
    severity: 'Medium',
    title: 'Mounts a directory of the node (hostPath)',
    description:
      'Any hostPath ties the pod to the node and shares files with it; the Baseline profile forbids them.',
    reference: pss('Baseline', 'HostPath Volumes'),
    check: hostPathsOf('other'),
  },
  {
    id: 'workload.capability-dangerous',
    severity: 'High',
    title: 'Adds a dangerous Linux capability',
    description:
      'SYS_ADMIN, SYS_MODULE, SYS_PTRACE, DAC_READ_SEARCH, NET_ADMIN, BPF, ALL and the like are known container escapes or give control of the node’s kernel or network; they also violate the Baseline profile.',
    reference: pss('Baseline', 'Capabilities'),
    check: addsWhere((cap) => DANGEROUS_CAPABILITIES.has(cap)),
  },
  {
    id: 'workload.capabilities-beyond-baseline',
    severity: 'Medium',
    title: 'Adds a capability the Baseline profile does not allow',
    description:
      'Capabilities outside the Baseline set (NET_RAW, IPC_LOCK, SYS_NICE, ...) widen what the container can do to the node.',
    reference: pss('Baseline', 'Capabilities'),
    check: addsWhere((cap) => !BASELINE_CAPABILITIES.has(cap) && !DANGEROUS_CAPABILITIES.has(cap)),
  },
  {
    id: 'workload.capabilities-beyond-restricted',
    severity: 'Low',
    title: 'Adds a capability other than NET_BIND_SERVICE',
    description: 'The Restricted profile allows adding NET_BIND_SERVICE only.',
    reference: pss('Restricted', 'Capabilities'),
    check: addsWhere((cap) => BASELINE_CAPABILITIES.has(cap) && cap !== 'NET_BIND_SERVICE'),
  },
  {
    id: 'workload.host-ports',
    severity: 'Medium',
    title: 'Binds a port on the node (hostPort)',
    description: 'A hostPort opens the port on the node’s address, outside Services and NetworkPolicy.',
    reference: pss('Baseline', 'Host Ports'),
    check: hostPorts,
  },
  {
    id: 'workload.apparmor-unconfined',
    severity: 'High',
    title: 'Disables AppArmor',
    description: 'An Unconfined AppArmor profile removes a layer that blocks known container escapes.',
    reference: pss('Baseline', 'AppArmor'),
    check: appArmor,
  },
  {
    id: 'workload.selinux-custom',
    severity: 'Medium',
    title: 'Sets a custom SELinux type, user or role',
    description:
      'A custom SELinux type (spc_t, unconfined_t) or user/role can lift the confinement of the container.',
    reference: pss('Baseline', 'SELinux'),
    check: (pod) => settingsWhere(pod, 'seLinuxOptions', seLinux),
  },
  {
    id: 'workload.proc-mount-unmasked',
    severity: 'High',
    title: 'Mounts /proc unmasked',
    description:
      'procMount Unmasked exposes the kernel paths of /proc that the runtime hides (e.g. /proc/sys, /proc/kcore).',
    reference: pss('Baseline', '/proc Mount Type'),
    check: (pod) =>
      perContainer(pod, (c) =>
        typeof c.sc.procMount === 'string' && c.sc.procMount !== 'Default'
          ? `${c.label}: ${c.sc.procMount}`
          : undefined,
      ),
  },
  {
    id: 'workload.seccomp-unconfined',
    severity: 'High',
    title: 'Disables seccomp (Unconfined)',
    description:
      'Without a seccomp profile every system call reaches the kernel, including those used in container escapes.',
    reference: pss('Baseline', 'Seccomp'),
    check: seccompUnconfined,
  },
  {
    id: 'workload.unsafe-sysctls',
    severity: 'Medium',
    title: 'Sets sysctls outside the safe set',
    description:
      'Unsafe sysctls are not isolated per pod and change the node’s kernel for every workload on it.',
    reference: pss('Baseline', 'Sysctls'),
    check: unsafeSysctls,
  },
  {
    id: 'workload.volume-types',
    severity: 'Low',
    title: 'Uses a volume type the Restricted profile does not allow',
    description:
      'Restricted allows configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes only.',
    reference: pss('Restricted', 'Volume Types'),
    check: volumeTypes,
  },
  {
    id: 'workload.privilege-escalation-allowed',
    severity: 'Low',
    title: 'Allows privilege escalation (allowPrivilegeEscalation not false)',
    description:
      'Unless allowPrivilegeEscalation is false, setuid binaries in the image can gain more privileges than the process started with.',
    reference: pss('Restricted', 'Privilege Escalation'),
    check: (pod) =>
      isWindows(pod) ? [] : containersWhere(pod, (c) => c.sc.allowPrivilegeEscalation !== false),
  },
  {
    id: 'workload.run-as-non-root-not-set',
    severity: 'Low',
    title: 'May run as root (runAsNonRoot not true)',
    description:
      'Without runAsNonRoot: true the kubelet starts the container as whatever user the image says, often root.',
    reference: pss('Restricted', 'Running as Non-root'),
    check: (pod) =>
      pod.userNamespaces ? [] : containersWhere(pod, (c) => effective(pod, c, 'runAsNonRoot') !== true),
  },
  {
    id: 'workload.run-as-root',
    severity: 'Medium',
    title: 'Runs as root (runAsUser: 0)',
    description: 'The container process runs as user 0; a container escape lands as root on the node.',
    reference: pss('Restricted', 'Running as Non-root user'),
    check: runAsRoot,
  },
  {
    id: 'workload.seccomp-not-set',
    severity: 'Low',
    title: 'No seccomp profile (RuntimeDefault or Localhost)',
    description: 'Restricted requires the RuntimeDefault or a Localhost seccomp profile for every container.',
    reference: pss('Restricted', 'Seccomp'),
    check: (pod) =>
      isWindows(pod)
        ? []
        : containersWhere(pod, (c) => typeof effectiveRecord(pod, c, 'seccompProfile')?.type !== 'string'),
  },
  {
    id: 'workload.capabilities-not-dropped',
    severity: 'Low',
    title: 'Does not drop all capabilities',
    description:
      'Restricted requires capabilities.drop: [ALL]; the runtime’s default set includes NET_RAW and others.',
    reference: pss('Restricted', 'Capabilities'),
    check: (pod) =>
      isWindows(pod) ? [] : containersWhere(pod, (c) => !capabilities(c, 'drop').includes('ALL')),
  },
  {
    id: 'workload.system-namespace',
    severity: 'Medium',
    title: 'Runs in a control-plane namespace',
    description:
      'kube-system, kube-public and kube-node-lease hold cluster components; a new workload there hides among them and shares their privileges and exemptions.',
    reference: doc(
      'MITRE ATT&CK T1036.005 (Masquerading: Match Legitimate Name or Location)',
      'https://attack.mitre.org/techniques/T1036/005/',
    ),
    check: (pod) => (SYSTEM_NAMESPACES.has(pod.namespace) ? [`namespace ${pod.namespace}`] : []),
  },
  {
    id: 'workload.image-latest',
    severity: 'Medium',
    title: 'Image uses the latest tag or no tag',
    description:
      'A latest or missing tag pulls whatever was pushed last: the running code can change without any change in the cluster.',
    reference: doc(
      'Kubernetes: Images (image names and tags)',
      'https://kubernetes.io/docs/concepts/containers/images/#image-names',
    ),
    check: imagesWhere((ref) => (isMutableDefault(ref) ? '' : undefined)),
  },
  {
    id: 'workload.image-no-digest',
    severity: 'Low',
    title: 'Image is not pinned by digest',
    description:
      'A tag can be moved to other content; only a digest (@sha256:...) names exactly the image that was reviewed.',
    reference: doc(
      'Kubernetes: Images (pull by digest)',
      'https://kubernetes.io/docs/concepts/containers/images/#image-names',
    ),
    check: imagesWhere((ref) => (ref.digest === undefined && !isMutableDefault(ref) ? '' : undefined)),
  },
  {
    id: 'workload.image-lookalike-registry',
    severity: 'High',
    title: 'Image comes from a registry that imitates a well-known one',
    description:
      'A registry host one typo, letter swap, homoglyph, separator or domain ending away from docker.io, gcr.io, ghcr.io, quay.io, registry.k8s.io and the like is a classic supply-chain trap.',
    reference: doc(
      'MITRE ATT&CK T1195.002 (Compromise Software Supply Chain)',
      'https://attack.mitre.org/techniques/T1195/002/',
    ),
    check: imagesWhere((ref) => {
      const like = ref.explicitRegistry ? lookalikeOf(ref.registry) : undefined;
      return like && `${ref.registry} ${like.how}`;
    }),
  },
  ...PLACEMENT_RULES,
];
