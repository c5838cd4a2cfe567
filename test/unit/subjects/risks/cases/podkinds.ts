import { cleanPodSpec, pod, podWithImage, workload } from '../fixtures.js';
import { type Case, DIGEST } from './case.js';

type Obj = Record<string, unknown>;

/** `obj` with metadata merged in (name, namespace, managedFields). */
const withMeta = (obj: Obj, meta: Obj): Obj => ({
  ...obj,
  metadata: { ...(obj.metadata as Obj), ...meta },
});

/** managedFields naming `manager` as the creator. */
const writtenBy = (manager: string): Obj => ({
  managedFields: [{ manager, operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z' }],
});

const inKubeSystem = (kind: string, name: string, meta: Obj = {}): Obj =>
  withMeta(kind === 'Pod' ? pod(cleanPodSpec()) : workload(kind, cleanPodSpec()), {
    name,
    namespace: 'kube-system',
    ...meta,
  });

/** Look-alike Docker Hub images and control-plane look-alike placement (issue 17 item 4). */
export const PODKIND_CASES: Case[] = [
  {
    name: 'Docker Hub namespace bitnarni (rn for m) imitates bitnami',
    obj: podWithImage(`bitnarni/redis:7.2@${DIGEST}`),
    want: ['workload.image-lookalike-publisher'],
  },
  {
    name: 'explicit docker.io namespace graf4na is one letter from grafana',
    obj: podWithImage(`docker.io/graf4na/grafana:11.0.0@${DIGEST}`),
    want: ['workload.image-lookalike-publisher'],
  },
  {
    name: 'Docker Hub namespace pr0m (digit for letter) imitates prom',
    obj: podWithImage(`pr0m/node-exporter:v1.8.0@${DIGEST}`),
    want: ['workload.image-lookalike-publisher'],
  },
  {
    name: 'the real bitnami, grafana and prom namespaces',
    obj: pod(
      cleanPodSpec({
        containers: [
          'bitnami/redis',
          'grafana/grafana',
          'prom/prometheus',
          'jetstack/cert-manager-controller',
        ].map((image, i) => ({
          ...(cleanPodSpec().containers as Obj[])[0],
          name: `c${i}`,
          image: `${image}:1.0@${DIGEST}`,
        })),
      }),
    ),
    want: [],
    negativeFor: 'workload.image-lookalike-publisher',
  },
  {
    name: 'an unrelated Docker Hub namespace (one letter from nothing well known)',
    obj: podWithImage(`nicolaka/netshoot:v0.13@${DIGEST}`),
    want: [],
    negativeFor: 'workload.image-lookalike-publisher',
  },
  {
    name: 'a bitnarni namespace on another registry is not Docker Hub (the registry check owns that)',
    obj: podWithImage(`registry.example.com/bitnarni/redis:7.2@${DIGEST}`),
    want: [],
    negativeFor: 'workload.image-lookalike-publisher',
  },
  {
    name: 'image ngnix (letters swapped) imitates the official nginx',
    obj: podWithImage(`ngnix:1.27@${DIGEST}`),
    want: ['workload.image-lookalike-official'],
  },
  {
    name: 'image library/redls (l for i) imitates the official redis',
    obj: podWithImage(`library/redls:7@${DIGEST}`),
    want: ['workload.image-lookalike-official'],
  },
  {
    name: 'image bus1box imitates busybox',
    obj: podWithImage(`docker.io/library/bus1box:1.36@${DIGEST}`),
    want: ['workload.image-lookalike-official'],
  },
  {
    name: 'the official nginx, and mono (a real official image one letter from mongo)',
    obj: pod(
      cleanPodSpec({
        containers: ['nginx', 'mono', 'library/postgres', 'node'].map((image, i) => ({
          ...(cleanPodSpec().containers as Obj[])[0],
          name: `c${i}`,
          image: `${image}:1.0@${DIGEST}`,
        })),
      }),
    ),
    want: [],
    negativeFor: 'workload.image-lookalike-official',
  },
  {
    name: 'a short official name one letter off is left alone (only homoglyphs count for node, ruby, php)',
    obj: podWithImage(`code:1.0@${DIGEST}`),
    want: [],
    negativeFor: 'workload.image-lookalike-official',
  },
  {
    name: 'DaemonSet kube-pr0xy in kube-system from a manifest (no writer)',
    obj: inKubeSystem('DaemonSet', 'kube-pr0xy'),
    want: ['workload.system-namespace', 'workload.control-plane-lookalike-name'],
  },
  {
    name: 'Deployment cordns in kube-system written by kubectl',
    obj: inKubeSystem('Deployment', 'cordns', writtenBy('kubectl-client-side-apply')),
    want: ['workload.system-namespace', 'workload.control-plane-lookalike-name'],
  },
  {
    name: 'Pod kube-apiserv3r-node1 (a static Pod look-alike) written by kubectl',
    obj: inKubeSystem('Pod', 'kube-apiserv3r-node1', writtenBy('kubectl')),
    want: ['workload.system-namespace', 'workload.control-plane-lookalike-name'],
  },
  {
    name: 'DaemonSet kube-proxy in kube-system from a manifest (its real name, writer unknown)',
    obj: inKubeSystem('DaemonSet', 'kube-proxy'),
    want: ['workload.system-namespace'],
    negativeFor: 'workload.control-plane-lookalike-name',
  },
  {
    name: 'DaemonSet kube-pr0xy outside the system namespaces',
    obj: withMeta(workload('DaemonSet', cleanPodSpec()), { name: 'kube-pr0xy', namespace: 'shop' }),
    want: [],
    negativeFor: 'workload.control-plane-lookalike-name',
  },
  {
    name: 'DaemonSet kube-proxy in kube-system written by kubectl',
    obj: inKubeSystem('DaemonSet', 'kube-proxy', writtenBy('kubectl-create')),
    want: ['workload.system-namespace', 'workload.control-plane-name-non-system-writer'],
  },
  {
    name: 'mirror Pod kube-apiserver-node1 written by the kubelet',
    obj: inKubeSystem('Pod', 'kube-apiserver-node1', writtenBy('kubelet')),
    want: ['workload.system-namespace'],
    negativeFor: 'workload.control-plane-name-non-system-writer',
  },
  {
    name: 'DaemonSet kube-proxy written by kubeadm',
    obj: inKubeSystem('DaemonSet', 'kube-proxy', writtenBy('kubeadm')),
    want: ['workload.system-namespace'],
    negativeFor: 'workload.control-plane-name-non-system-writer',
  },
  {
    name: 'Deployment etcd-backup written by helm (a controller is compared by its whole name)',
    obj: inKubeSystem('Deployment', 'etcd-backup', writtenBy('helm')),
    want: ['workload.system-namespace'],
    negativeFor: 'workload.control-plane-name-non-system-writer',
  },
];
