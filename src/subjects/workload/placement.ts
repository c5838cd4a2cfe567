/**
 * Masquerading: images from Docker Hub names that imitate well-known publishers or official
 * images, and workloads placed in a control-plane namespace under the name of a control-plane
 * component. The writer of a workload is the first field manager in managedFields, which the
 * client chooses: a hint, not proof. Offline (`tripline analyze` on files, no managedFields) the
 * writer is unknown: then only a name that imitates a component without being it is flagged, never
 * the component's own name (the manifests of a real kube-proxy look just like that).
 */

import { doc } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';
import { editDistance, type ImageRef, skeleton } from './images.js';
import type { PodView } from './pod.js';
import { imagesWhere, SYSTEM_NAMESPACES } from './pod-checks.js';
import { type HubLookalike, hubLookalikeOf } from './publishers.js';

/** Control-plane components and the add-ons every cluster runs in kube-system, by workload name. */
export const CONTROL_PLANE_COMPONENTS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-proxy',
  'etcd',
  'coredns',
  'kube-dns',
  'metrics-server',
  'cloud-controller-manager',
  'konnectivity-agent',
  'konnectivity-server',
  'kube-addon-manager',
] as const;

/**
 * Field managers of the components that create control-plane workloads: kubeadm and the kubelet
 * (static Pods and their mirror Pods), the controller manager (Pods of system controllers), the
 * API server and the addon manager.
 */
const SYSTEM_WORKLOAD_WRITERS = new Set([
  'kubeadm',
  'kubelet',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-addon-manager',
]);

const isSystemWriter = (writer: string | undefined): boolean =>
  writer !== undefined && SYSTEM_WORKLOAD_WRITERS.has(writer);

/**
 * The part of a workload's name that is compared: the whole name of a controller (its author
 * chose it), the first dash-separated parts of a Pod's (static Pods carry the node name, a
 * controller's Pods a generated suffix: `kube-proxy-x7k2p`).
 */
function comparedName(pod: PodView, component: string): string {
  if (pod.kind !== 'Pod') return pod.name;
  return pod.name.split('-').slice(0, component.split('-').length).join('-');
}

/** Whether `name` imitates `component` without being it: a homoglyph, or one typo for longer names. */
function imitates(name: string, component: string): boolean {
  if (name === component) return false;
  if (skeleton(name) === skeleton(component)) return true;
  return component.length > 4 && editDistance(name, component, 1) === 1;
}

/** The component a workload in a system namespace is named as (`exact`) or imitates. */
export function componentNamed(pod: PodView): { component: string; exact: boolean } | undefined {
  if (!SYSTEM_NAMESPACES.has(pod.namespace) || pod.name === '') return undefined;
  for (const c of CONTROL_PLANE_COMPONENTS)
    if (comparedName(pod, c) === c) return { component: c, exact: true };
  for (const c of CONTROL_PLANE_COMPONENTS)
    if (imitates(comparedName(pod, c), c)) return { component: c, exact: false };
  return undefined;
}

const MASQUERADE_REF = doc(
  'MITRE ATT&CK T1036.005 (Masquerading: Match Legitimate Name or Location)',
  'https://attack.mitre.org/techniques/T1036/005/',
);
const SUPPLY_CHAIN_REF = doc(
  'MITRE ATT&CK T1195.002 (Compromise Software Supply Chain)',
  'https://attack.mitre.org/techniques/T1195/002/',
);

/** Images that imitate a Docker Hub publisher or official image (`what`), as `why` says how. */
const lookalikeImages = (what: HubLookalike['what'], why: (ref: ImageRef, how: string) => string) =>
  imagesWhere((ref) => {
    const like = hubLookalikeOf(ref);
    return like?.what === what ? why(ref, like.how) : undefined;
  });

const writerText = (pod: PodView): string => pod.writer ?? 'a manifest (no field manager)';

/**
 * A workload in a system namespace named as a control-plane component (`exact`) or imitating one,
 * not written by a system writer. A component's own name counts only with a known writer: offline
 * (no managedFields) the manifests of the real component look just like that.
 */
const namedAsComponent =
  (exact: boolean, says: string) =>
  (pod: PodView): string[] => {
    const named = componentNamed(pod);
    if (!named || named.exact !== exact || isSystemWriter(pod.writer)) return [];
    if (exact && pod.writer === undefined) return [];
    return [
      `${pod.kind} ${pod.namespace}/${pod.name} ${says} ${named.component}, written by ${writerText(pod)}`,
    ];
  };

/** Look-alike images on Docker Hub and control-plane look-alike placement. */
export const PLACEMENT_RULES: readonly RiskRule<PodView>[] = [
  {
    id: 'workload.image-lookalike-publisher',
    severity: 'High',
    title: 'Image comes from a Docker Hub namespace that imitates a well-known publisher',
    description:
      'A Docker Hub namespace one typo or homoglyph (0/o, 1/l/i, rn/m) away from bitnami, grafana, prom, jetstack and the like can be registered by anyone; typosquatted images are a known way to ship miners and backdoors.',
    reference: SUPPLY_CHAIN_REF,
    check: lookalikeImages('publisher', (ref, how) => `namespace ${ref.repository.split('/')[0]} ${how}`),
  },
  {
    id: 'workload.image-lookalike-official',
    severity: 'Medium',
    title: 'Image name imitates an official Docker Hub image',
    description:
      'A single image name one typo or homoglyph away from nginx, redis, postgres, busybox and the like is no official image: at best a typo that fails to pull, at worst served by a pull-through mirror or a registry mirror that someone filled.',
    reference: SUPPLY_CHAIN_REF,
    check: lookalikeImages('official', (_ref, how) => how),
  },
  {
    id: 'workload.control-plane-lookalike-name',
    severity: 'High',
    title: 'Named like a control-plane component in a system namespace, but is not one',
    description:
      'A workload in kube-system one typo or homoglyph away from kube-proxy, coredns, etcd, kube-apiserver, metrics-server and the like hides among the real components; no system component uses such a name.',
    reference: MASQUERADE_REF,
    check: namedAsComponent(false, 'imitates'),
  },
  {
    id: 'workload.control-plane-name-non-system-writer',
    severity: 'Medium',
    title: 'Named as a control-plane component in a system namespace, written by a non-system writer',
    description:
      'kube-proxy, coredns, etcd and the other components are created by kubeadm, the kubelet or the cloud provider; the same name written by another field manager (a person, a chart) may be a legitimate add-on install or a replacement in disguise. The field manager is chosen by the client: a hint, not proof. Not raised without managedFields (files).',
    reference: MASQUERADE_REF,
    check: namedAsComponent(true, 'is named as'),
  },
];
