/**
 * The risk id tables of docs/risks.md: the subject rules (src/subjects/risks, the same entries the
 * operator, `tripline analyze` and SARIF read) and the service-account rules of the RBAC index
 * (src/rbac/service-account-risks.ts).
 */
import { SERVICE_ACCOUNT_RISKS } from '../../src/rbac/service-account-risks.js';
import { RULES } from '../../src/subjects/risks/index.js';
import { linkUrls, table } from './markdown.js';

/** The heading of each rule family, by id prefix, in the order the tables appear. */
const FAMILIES: ReadonlyArray<[prefix: string, heading: string]> = [
  ['clusterrole', 'ClusterRole and Role'],
  [
    'workload',
    'Workloads (Pod and the pod template of Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, CronJob and of any other kind that carries one; every container, init and ephemeral ones included)',
  ],
  [
    'heuristic',
    'Heuristics (command, args, probe and lifecycle-hook exec commands, literal env values and image name of every container of a workload; shapes of known techniques, not proof)',
  ],
  ['ingress', 'Ingress'],
  ['namespace', 'Namespace'],
  [
    'configmap',
    "ConfigMap (the ingress-nginx controller's settings; analysed by `tripline analyze`, and by the operator when a detection names configmaps)",
  ],
  ['binding', 'ClusterRoleBinding and RoleBinding'],
];

const prefixOf = (id: string): string => id.slice(0, id.indexOf('.'));

/** Every subject risk rule: one table per family, rows in rule order. */
export function riskRuleTables(): string {
  const known = new Set(FAMILIES.map(([p]) => p));
  const orphans = RULES.filter((r) => !known.has(prefixOf(r.id))).map((r) => r.id);
  if (orphans.length > 0)
    throw new Error(`risk ids with no family in hack/docs/risks.ts FAMILIES: ${orphans.join(', ')}`);
  return FAMILIES.map(([prefix, heading]) => {
    const rows = RULES.filter((r) => prefixOf(r.id) === prefix).map((r) => [
      `\`${r.id}\``,
      r.severity,
      r.title,
      `[${r.reference.label}](${r.reference.url})`,
    ]);
    return `**${heading}**\n\n${table(['risk id', 'severity', 'raised when', 'reference'], rows)}`;
  }).join('\n\n');
}

/** What a service-account risk looks for: the permissions, or the ClusterRole bound. */
function checked(r: (typeof SERVICE_ACCOUNT_RISKS)[number]): string {
  const perms = (r.checks ?? []).map((c) => {
    const res = `${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.group ? `.${c.group}` : ''}`;
    return `${c.verbs.map((v) => `\`${v}\``).join(', ')} on \`${res}\``;
  });
  const roles = (r.clusterRoles ?? []).map((n) => `bound to ClusterRole \`${n}\``);
  return [...perms, ...roles].join('; ');
}

/** The service-account risks of a new workload, with the severity in its namespace / cluster-wide. */
export function serviceAccountRiskTable(): string {
  const rows = SERVICE_ACCOUNT_RISKS.map((r) => [
    `\`${r.id}\``,
    r.capability,
    checked(r),
    r.severity.namespace === r.severity.cluster
      ? r.severity.cluster
      : `${r.severity.namespace} / ${r.severity.cluster}`,
    linkUrls(r.reference),
  ]);
  return table(
    [
      'risk id',
      'the service account can',
      'raised by any of',
      'severity (namespace / cluster-wide)',
      'reference',
    ],
    rows,
  );
}
