import {
  cleanContainer,
  cleanPodSpec,
  pod,
  podWithContainerSc,
  podWithImage,
  podWithVolume,
  workload,
} from '../fixtures.js';
import { type Case, DIGEST } from './case.js';

/** Pod and workload cases (Pod Security Standards, hostPaths, images, placement). */
export const WORKLOAD_CASES: Case[] = [
  { name: 'clean Pod', obj: pod(cleanPodSpec()), want: [] },
  {
    name: 'HostProcess container',
    obj: pod(cleanPodSpec({}, { windowsOptions: { hostProcess: true } })),
    want: ['workload.host-process'],
  },
  {
    name: 'Windows pod with a gMSA only',
    obj: pod(cleanPodSpec({}, { windowsOptions: { gmsaCredentialSpecName: 'gmsa' } })),
    want: [],
    negativeFor: 'workload.host-process',
  },
  {
    name: 'privileged container',
    obj: podWithContainerSc({ privileged: true, allowPrivilegeEscalation: undefined }),
    want: ['workload.privileged', 'workload.privilege-escalation-allowed'],
  },
  {
    name: 'privileged: false',
    obj: podWithContainerSc({ privileged: false }),
    want: [],
    negativeFor: 'workload.privileged',
  },
  {
    name: 'privileged given as the string "true" (not a boolean)',
    obj: podWithContainerSc({ privileged: 'true' }),
    want: [],
    negativeFor: 'workload.privileged',
  },
  { name: 'hostNetwork', obj: pod(cleanPodSpec({ hostNetwork: true })), want: ['workload.host-network'] },
  {
    name: 'hostNetwork: false',
    obj: pod(cleanPodSpec({ hostNetwork: false, hostPID: false, hostIPC: false })),
    want: [],
    negativeFor: 'workload.host-network',
  },
  { name: 'hostPID', obj: pod(cleanPodSpec({ hostPID: true })), want: ['workload.host-pid'] },
  {
    name: 'shareProcessNamespace is not hostPID',
    obj: pod(cleanPodSpec({ shareProcessNamespace: true })),
    want: [],
    negativeFor: 'workload.host-pid',
  },
  { name: 'hostIPC', obj: pod(cleanPodSpec({ hostIPC: true })), want: ['workload.host-ipc'] },
  {
    name: 'hostIPC null',
    obj: pod(cleanPodSpec({ hostIPC: null })),
    want: [],
    negativeFor: 'workload.host-ipc',
  },
  {
    name: 'docker.sock',
    obj: podWithVolume({ name: 'sock', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }),
    want: ['workload.hostpath-runtime-socket'],
  },
  {
    name: 'containerd socket under a custom root',
    obj: podWithVolume({ name: 'sock', hostPath: { path: '/data/containerd/containerd.sock' } }),
    want: ['workload.hostpath-runtime-socket'],
  },
  {
    name: '/var/run (contains the sockets)',
    obj: podWithVolume({ name: 'run', hostPath: { path: '/var/run/' } }),
    want: ['workload.hostpath-runtime-socket'],
  },
  {
    name: 'crio.sock spelled with dots and double slashes',
    obj: podWithVolume({ name: 'sock', hostPath: { path: '//run/./crio//crio.sock' } }),
    want: ['workload.hostpath-runtime-socket'],
  },
  {
    name: 'a socket of another daemon',
    obj: podWithVolume({ name: 'sock', hostPath: { path: '/var/run/my-agent/agent.sock' } }),
    want: ['workload.hostpath'],
    negativeFor: 'workload.hostpath-runtime-socket',
  },
  {
    name: '/etc/kubernetes/pki',
    obj: podWithVolume({ name: 'pki', hostPath: { path: '/etc/kubernetes/pki' } }),
    want: ['workload.hostpath-sensitive'],
  },
  {
    name: '/var/lib/kubelet/pods',
    obj: podWithVolume({ name: 'kubelet', hostPath: { path: '/var/lib/kubelet/pods' } }),
    want: ['workload.hostpath-sensitive'],
  },
  {
    name: '/var (above /var/log and /var/lib/kubelet), not mounted by any container',
    obj: podWithVolume({ name: 'var', hostPath: { path: '/var/lib' } }, false),
    want: ['workload.hostpath-sensitive'],
  },
  {
    name: 'a traversal into /etc',
    obj: podWithVolume({ name: 'x', hostPath: { path: '/data/../etc/shadow' } }),
    want: ['workload.hostpath-sensitive'],
  },
  {
    name: 'the CA bundle under /etc/ssl',
    obj: podWithVolume({ name: 'certs', hostPath: { path: '/etc/ssl/certs', type: 'Directory' } }),
    want: ['workload.hostpath'],
    negativeFor: 'workload.hostpath-sensitive',
  },
  {
    name: 'a data directory',
    obj: podWithVolume({ name: 'data', hostPath: { path: '/mnt/data' } }),
    want: ['workload.hostpath'],
  },
  {
    name: 'an emptyDir',
    obj: podWithVolume({ name: 'tmp', emptyDir: { medium: 'Memory' } }),
    want: [],
    negativeFor: 'workload.hostpath',
  },
  {
    name: 'adds SYS_ADMIN',
    obj: podWithContainerSc({ capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } }),
    want: ['workload.capability-dangerous'],
  },
  {
    name: 'adds cap_net_admin (prefix and case)',
    obj: podWithContainerSc({ capabilities: { drop: ['ALL'], add: ['cap_net_admin'] } }),
    want: ['workload.capability-dangerous'],
  },
  {
    name: 'adds NET_BIND_SERVICE',
    obj: podWithContainerSc({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }),
    want: [],
    negativeFor: 'workload.capability-dangerous',
  },
  {
    name: 'adds NET_RAW',
    obj: podWithContainerSc({ capabilities: { drop: ['ALL'], add: ['NET_RAW'] } }),
    want: ['workload.capabilities-beyond-baseline'],
  },
  {
    name: 'adds CHOWN (Baseline allows it)',
    obj: podWithContainerSc({ capabilities: { drop: ['ALL'], add: ['CHOWN'] } }),
    want: ['workload.capabilities-beyond-restricted'],
    negativeFor: 'workload.capabilities-beyond-baseline',
  },
  {
    name: 'drops capabilities only',
    obj: podWithContainerSc({ capabilities: { drop: ['ALL', 'NET_RAW'] } }),
    want: [],
    negativeFor: 'workload.capabilities-beyond-restricted',
  },
  {
    name: 'hostPort',
    obj: pod(
      cleanPodSpec({
        containers: [cleanContainer('app', { ports: [{ containerPort: 22, hostPort: 2222 }] })],
      }),
    ),
    want: ['workload.host-ports'],
  },
  {
    name: 'hostPort 0 (unset)',
    obj: pod(
      cleanPodSpec({ containers: [cleanContainer('app', { ports: [{ containerPort: 80, hostPort: 0 }] })] }),
    ),
    want: [],
    negativeFor: 'workload.host-ports',
  },
  {
    name: 'AppArmor unconfined by annotation',
    obj: pod(cleanPodSpec(), {
      annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' },
    }),
    want: ['workload.apparmor-unconfined'],
  },
  {
    name: 'AppArmor Unconfined by field',
    obj: podWithContainerSc({ appArmorProfile: { type: 'Unconfined' } }),
    want: ['workload.apparmor-unconfined'],
  },
  {
    name: 'AppArmor runtime default and localhost',
    obj: pod(cleanPodSpec({}, { appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-app' } }), {
      annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' },
    }),
    want: [],
    negativeFor: 'workload.apparmor-unconfined',
  },
  {
    name: 'SELinux spc_t',
    obj: podWithContainerSc({ seLinuxOptions: { type: 'spc_t' } }),
    want: ['workload.selinux-custom'],
  },
  {
    name: 'SELinux user at pod level',
    obj: pod(cleanPodSpec({}, { seLinuxOptions: { user: 'system_u' } })),
    want: ['workload.selinux-custom'],
  },
  {
    name: 'SELinux container_t with a level',
    obj: podWithContainerSc({ seLinuxOptions: { type: 'container_t', level: 's0:c123,c456' } }),
    want: [],
    negativeFor: 'workload.selinux-custom',
  },
  {
    name: 'procMount Unmasked',
    obj: podWithContainerSc({ procMount: 'Unmasked' }),
    want: ['workload.proc-mount-unmasked'],
  },
  {
    name: 'procMount Default',
    obj: podWithContainerSc({ procMount: 'Default' }),
    want: [],
    negativeFor: 'workload.proc-mount-unmasked',
  },
  {
    name: 'seccomp Unconfined (pod)',
    obj: pod(cleanPodSpec({}, { seccompProfile: { type: 'Unconfined' } })),
    want: ['workload.seccomp-unconfined'],
  },
  {
    name: 'seccomp unconfined (legacy annotation)',
    obj: pod(cleanPodSpec(), { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } }),
    want: ['workload.seccomp-unconfined'],
  },
  {
    name: 'seccomp Localhost (container)',
    obj: podWithContainerSc({ seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/app.json' } }),
    want: [],
    negativeFor: 'workload.seccomp-unconfined',
  },
  {
    name: 'unsafe sysctl',
    obj: pod(cleanPodSpec({}, { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] })),
    want: ['workload.unsafe-sysctls'],
  },
  {
    name: 'safe sysctls',
    obj: pod(cleanPodSpec({}, { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] })),
    want: [],
    negativeFor: 'workload.unsafe-sysctls',
  },
  {
    name: 'NFS volume',
    obj: podWithVolume({ name: 'nfs', nfs: { server: 'nfs.example.com', path: '/exports' } }),
    want: ['workload.volume-types'],
  },
  {
    name: 'projected, secret, configMap, PVC, CSI and ephemeral volumes',
    obj: pod(
      cleanPodSpec({
        volumes: [
          { name: 'a', projected: { sources: [] } },
          { name: 'b', secret: { secretName: 's' } },
          { name: 'c', configMap: { name: 'c' } },
          { name: 'd', persistentVolumeClaim: { claimName: 'd' } },
          { name: 'e', csi: { driver: 'x' } },
          { name: 'f', ephemeral: { volumeClaimTemplate: {} } },
          { name: 'g', downwardAPI: { items: [] } },
        ],
      }),
    ),
    want: [],
    negativeFor: 'workload.volume-types',
  },
  {
    name: 'allowPrivilegeEscalation unset',
    obj: podWithContainerSc({ allowPrivilegeEscalation: undefined }),
    want: ['workload.privilege-escalation-allowed'],
  },
  {
    name: 'a Windows pod need not set allowPrivilegeEscalation',
    obj: pod(
      cleanPodSpec(
        { os: { name: 'windows' }, containers: [cleanContainer('app', { securityContext: {} })] },
        {},
      ),
    ),
    want: [],
    negativeFor: 'workload.privilege-escalation-allowed',
  },
  {
    name: 'runAsNonRoot unset',
    obj: pod(cleanPodSpec({}, { runAsNonRoot: undefined })),
    want: ['workload.run-as-non-root-not-set'],
  },
  {
    name: 'a container overrides runAsNonRoot to false',
    obj: podWithContainerSc({ runAsNonRoot: false }),
    want: ['workload.run-as-non-root-not-set'],
  },
  {
    name: 'runAsNonRoot set per container',
    obj: pod(
      cleanPodSpec(
        { containers: [cleanContainer('app', {}, { runAsNonRoot: true })] },
        { runAsNonRoot: undefined },
      ),
    ),
    want: [],
    negativeFor: 'workload.run-as-non-root-not-set',
  },
  {
    name: 'user namespaces relax the non-root controls',
    obj: pod(cleanPodSpec({ hostUsers: false }, { runAsNonRoot: undefined, runAsUser: 0 })),
    want: [],
    negativeFor: 'workload.run-as-non-root-not-set',
  },
  {
    name: 'runAsUser 0 in a container',
    obj: podWithContainerSc({ runAsUser: 0 }),
    want: ['workload.run-as-root'],
  },
  {
    name: 'runAsUser 1000',
    obj: podWithContainerSc({ runAsUser: 1000 }),
    want: [],
    negativeFor: 'workload.run-as-root',
  },
  {
    name: 'no seccomp profile',
    obj: pod(cleanPodSpec({}, { seccompProfile: undefined })),
    want: ['workload.seccomp-not-set'],
  },
  {
    name: 'seccomp set per container',
    obj: pod(
      cleanPodSpec(
        { containers: [cleanContainer('app', {}, { seccompProfile: { type: 'RuntimeDefault' } })] },
        {
          seccompProfile: undefined,
        },
      ),
    ),
    want: [],
    negativeFor: 'workload.seccomp-not-set',
  },
  {
    name: 'capabilities not dropped',
    obj: podWithContainerSc({ capabilities: { drop: ['NET_RAW'] } }),
    want: ['workload.capabilities-not-dropped'],
  },
  {
    name: 'drop all, lower case',
    obj: podWithContainerSc({ capabilities: { drop: ['all'] } }),
    want: [],
    negativeFor: 'workload.capabilities-not-dropped',
  },
  {
    name: 'in kube-system',
    obj: pod(cleanPodSpec(), { namespace: 'kube-system' }),
    want: ['workload.system-namespace'],
  },
  {
    name: 'in a namespace that merely starts with kube-',
    obj: pod(cleanPodSpec(), { namespace: 'kube-prometheus' }),
    want: [],
    negativeFor: 'workload.system-namespace',
  },
  { name: 'image without tag', obj: podWithImage('nginx'), want: ['workload.image-latest'] },
  { name: 'image :latest', obj: podWithImage('ghcr.io/example/app:latest'), want: ['workload.image-latest'] },
  {
    name: ':latest pinned by digest',
    obj: podWithImage(`nginx:latest@${DIGEST}`),
    want: [],
    negativeFor: 'workload.image-latest',
  },
  {
    name: 'image with a tag only',
    obj: podWithImage('registry.example.com:5000/app:1.2'),
    want: ['workload.image-no-digest'],
  },
  {
    name: 'image with a digest only',
    obj: podWithImage(`registry.example.com:5000/app@${DIGEST}`),
    want: [],
    negativeFor: 'workload.image-no-digest',
  },
  {
    name: 'image from d0cker.io',
    obj: podWithImage(`d0cker.io/library/nginx@${DIGEST}`),
    want: ['workload.image-lookalike-registry'],
  },
  {
    name: 'image from registry-k8s.io',
    obj: podWithImage(`registry-k8s.io/pause:3.9@${DIGEST}`),
    want: ['workload.image-lookalike-registry'],
  },
  {
    name: 'image from a regional gcr.io',
    obj: podWithImage(`eu.gcr.io/project/app@${DIGEST}`),
    want: [],
    negativeFor: 'workload.image-lookalike-registry',
  },
  {
    name: 'every container list: init and ephemeral containers are checked too',
    obj: pod(
      cleanPodSpec({
        initContainers: [cleanContainer('setup', {}, { privileged: true, allowPrivilegeEscalation: true })],
        ephemeralContainers: [cleanContainer('debug', { image: 'busybox' })],
      }),
    ),
    want: [
      'workload.privileged',
      'workload.privilege-escalation-allowed',
      'workload.privilege-escalation-explicit',
      'workload.image-latest',
    ],
  },
  ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].map(
    (kind): Case => ({
      name: `${kind}: the pod template is checked`,
      obj: workload(kind, cleanPodSpec({ hostPID: true }), {
        'container.apparmor.security.beta.kubernetes.io/app': 'unconfined',
      }),
      want: ['workload.host-pid', 'workload.apparmor-unconfined'],
    }),
  ),
  ...['Deployment', 'CronJob'].map(
    (kind): Case => ({ name: `clean ${kind}`, obj: workload(kind, cleanPodSpec()), want: [] }),
  ),
];
