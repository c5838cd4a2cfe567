/**
 * RBAC rules for the escalation and cover-up paths that need neither wildcards nor escalate, bind
 * or impersonate: running Pods, debugging into them, rewriting policy objects, removing traces.
 * Part of the ClusterRole and Role rules (src/subjects/role/risks.ts); a Role gets every
 * one of them that a namespace can grant.
 */
import { doc, rbacGoodPractice } from '../risks/references.js';
import type { RiskRule } from '../risks/types.js';
import { granting, type Permission, type RoleView, WRITE } from './view.js';

const RBAC = 'rbac.authorization.k8s.io';
/** Verbs that make a controller run a Pod of the writer's choosing (a new object or a new template). */
const SPAWN = ['create', 'update', 'patch'] as const;

/** Every rule that grants one of `perms`, in order. */
const anyOf =
  (...perms: Permission[]) =>
  (role: RoleView): string[] =>
    perms.flatMap((p) => granting(p)(role));

/** Kinds that run Pods from a template, by API group (`extensions` for clusters that still serve it). */
const POD_SPAWNERS: ReadonlyArray<[string, string[]]> = [
  ['apps', ['deployments', 'daemonsets', 'statefulsets', 'replicasets']],
  ['extensions', ['deployments', 'daemonsets', 'replicasets']],
  ['batch', ['jobs', 'cronjobs']],
  ['', ['replicationcontrollers']],
];

/** Rules for escalation paths without escalate/bind, for events and for policy objects. */
export const ROLE_PATH_RULES: readonly RiskRule<RoleView>[] = [
  {
    id: 'clusterrole.workload-create',
    severity: 'Medium',
    title: 'Can create Pods or workloads that run Pods',
    description:
      'Whoever creates a Pod (or a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob or ReplicationController, or changes one’s template or a Pod’s image) runs code as any service account of the namespace and mounts any of its Secrets; with a permissive Pod Security level, on the node itself. Normal for deployers and operators, and the first step of most in-cluster attacks.',
    reference: rbacGoodPractice('workload-creation', 'Workload creation'),
    check: anyOf(
      { group: '', resources: ['pods'], verbs: SPAWN },
      ...POD_SPAWNERS.map(([group, resources]) => ({ group, resources, verbs: SPAWN })),
    ),
  },
  {
    id: 'clusterrole.pods-ephemeral-containers',
    severity: 'High',
    title: 'Can add ephemeral containers to running Pods',
    description:
      'Writing pods/ephemeralcontainers (kubectl debug) starts a container of any image inside a running Pod, with its service account, volumes and namespaces: the same reach as pods/exec.',
    reference: doc(
      'Kubernetes: Ephemeral Containers',
      'https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/',
    ),
    check: granting({
      group: '',
      resources: ['pods/ephemeralcontainers'],
      verbs: ['create', 'update', 'patch'],
    }),
  },
  {
    id: 'clusterrole.events-delete',
    severity: 'Medium',
    title: 'Can delete Events (covers tracks)',
    description:
      'Deleting Events removes what responders read first (failed mounts, image pulls, evictions, admission warnings) after an intrusion; controllers create and patch Events, none needs to delete them.',
    reference: doc('MITRE ATT&CK T1070 (Indicator Removal)', 'https://attack.mitre.org/techniques/T1070/'),
    check: anyOf(
      { group: '', resources: ['events'], verbs: ['delete', 'deletecollection'] },
      { group: 'events.k8s.io', resources: ['events'], verbs: ['delete', 'deletecollection'] },
    ),
  },
  {
    id: 'clusterrole.crd-write',
    severity: 'Medium',
    title: 'Can write CustomResourceDefinitions',
    description:
      'Deleting a CRD deletes every object of its kind (policies of admission controllers included); changing one can point its conversion webhook at a Service that then reads and rewrites every such object.',
    reference: doc(
      'Kubernetes: CustomResourceDefinition webhook conversion',
      'https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definition-versioning/#webhook-conversion',
    ),
    check: granting({
      group: 'apiextensions.k8s.io',
      resources: ['customresourcedefinitions'],
      verbs: WRITE,
      clusterOnly: true,
    }),
  },
  {
    id: 'clusterrole.networkpolicy-write',
    severity: 'Medium',
    title: 'Can write network policies',
    description:
      'Writing NetworkPolicies (or admin, Calico or Cilium network policies) removes the isolation between workloads, or opens a path out for exfiltration and in for lateral movement.',
    reference: doc(
      'MITRE ATT&CK T1562.007 (Impair Defenses: Disable or Modify Cloud Firewall)',
      'https://attack.mitre.org/techniques/T1562/007/',
    ),
    check: anyOf(
      { group: 'networking.k8s.io', resources: ['networkpolicies'], verbs: WRITE },
      { group: 'extensions', resources: ['networkpolicies'], verbs: WRITE },
      { group: 'crd.projectcalico.org', resources: ['networkpolicies'], verbs: WRITE },
      { group: 'projectcalico.org', resources: ['networkpolicies'], verbs: WRITE },
      { group: 'cilium.io', resources: ['ciliumnetworkpolicies'], verbs: WRITE },
      {
        group: 'policy.networking.k8s.io',
        resources: ['adminnetworkpolicies', 'baselineadminnetworkpolicies'],
        verbs: WRITE,
        clusterOnly: true,
      },
      {
        group: 'crd.projectcalico.org',
        resources: ['globalnetworkpolicies'],
        verbs: WRITE,
        clusterOnly: true,
      },
      { group: 'projectcalico.org', resources: ['globalnetworkpolicies'], verbs: WRITE, clusterOnly: true },
      {
        group: 'cilium.io',
        resources: ['ciliumclusterwidenetworkpolicies'],
        verbs: WRITE,
        clusterOnly: true,
      },
    ),
  },
  {
    id: 'clusterrole.rbac-write',
    severity: 'Medium',
    title: 'Can write roles or bindings',
    description:
      'Without escalate or bind the API server only lets a subject grant what it holds itself, but that is enough to hand its permissions to a new identity (a backdoor service account, a group) that survives its own removal, or to delete other subjects’ access.',
    reference: doc(
      'Kubernetes RBAC: Privilege escalation prevention',
      'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping',
    ),
    check: anyOf(
      { group: RBAC, resources: ['roles', 'rolebindings'], verbs: WRITE },
      { group: RBAC, resources: ['clusterroles', 'clusterrolebindings'], verbs: WRITE, clusterOnly: true },
    ),
  },
];
