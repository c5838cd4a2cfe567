import { SEVERITIES } from '../../detections/severity.js';
import { podSpecPath } from '../pod-template.js';
import { asRecord, asString, type Json } from '../read.js';
import { BINDING_RULES } from './binding.js';
import { type LooseRule, readBindingView } from './binding-view.js';
import { ROLE_RULES, readRole } from './clusterrole.js';
import { CONFIGMAP_RULES, readConfigMap } from './configmap.js';
import { INGRESS_RULES, type IngressView, readIngress } from './ingress.js';
import { NAMESPACE_RULES, readNamespace } from './namespace.js';
import { readPod } from './pod.js';
import {
  type AlertRisk,
  describeRules,
  evaluate,
  RISKS_READER,
  type RuleFailure,
  type RuleInfo,
} from './types.js';
import { WORKLOAD_RULES } from './workload.js';
import { WORKLOAD_PATH_RULES } from './workload-paths.js';

export type { AlertRisk, Reference, RiskRule, RuleFailure, RuleInfo } from './types.js';
export { ruleFailureNote } from './types.js';

/** What the analysis may know beyond the object itself. */
export interface RiskContext {
  /**
   * Whether a Service exists (`undefined`: cannot tell). Given by `tripline analyze` from the
   * Services in its input, and by the operator's backend enricher from the API server.
   */
  serviceExists?: IngressView['serviceExists'];
  /**
   * The rules of the role a binding refers to (`undefined`: unknown, then the role is judged by
   * its name). Given by `tripline analyze` from the roles in its input; the operator's binding
   * enricher judges by the RBAC index instead.
   */
  roleRules?: RoleRulesOf;
}

/** The rules of a Role (in `namespace`) or ClusterRole, or `undefined` when unknown. */
export type RoleRulesOf = (
  kind: string,
  name: string,
  namespace: string | undefined,
) => LooseRule[] | undefined;

/** Most risks one object yields (the AuditAlert CRD's limit). */
export const MAX_RISKS = 128;

/** The risks of one kind; rules that threw are pushed on `failed`. */
type KindRisks = (obj: Json, ctx: RiskContext, failed: RuleFailure[]) => AlertRisk[];

const ingressRisks: KindRisks = (obj, ctx, failed) =>
  evaluate(INGRESS_RULES, { ...readIngress(obj), serviceExists: ctx.serviceExists }, undefined, failed);
const workloadRisks: KindRisks = (obj, _ctx, failed) => {
  const pod = readPod(obj);
  return pod
    ? [
        ...evaluate(WORKLOAD_RULES, pod, undefined, failed),
        ...evaluate(WORKLOAD_PATH_RULES, pod, undefined, failed),
      ]
    : [];
};
const roleRisks: KindRisks = (obj, _ctx, failed) => {
  // A Role's rules hold in its namespace only: every message says which.
  const ns = obj.kind === 'Role' ? asString(asRecord(obj.metadata)?.namespace) : undefined;
  return evaluate(ROLE_RULES, readRole(obj), ns ? `in namespace ${ns}` : undefined, failed);
};
const bindingRisks: KindRisks = (obj, ctx, failed) => {
  const ref = asRecord(obj.roleRef);
  const ns = obj.kind === 'RoleBinding' ? asString(asRecord(obj.metadata)?.namespace) : undefined;
  const rules = ctx.roleRules?.(asString(ref?.kind) ?? '', asString(ref?.name) ?? '', ns);
  return evaluate(BINDING_RULES, readBindingView(obj, rules), undefined, failed);
};
const namespaceRisks: KindRisks = (obj, _ctx, failed) =>
  evaluate(NAMESPACE_RULES, readNamespace(obj), undefined, failed);
const configMapRisks: KindRisks = (obj, _ctx, failed) =>
  evaluate(CONFIGMAP_RULES, readConfigMap(obj), undefined, failed);

/**
 * Risk analysers by `group/Kind` (core group empty), the same kinds as the subject analysers.
 * Removed API versions of a kind (`extensions` Ingress and Deployment) share its rules.
 */
const BY_KIND: Readonly<Record<string, KindRisks>> = {
  'networking.k8s.io/Ingress': ingressRisks,
  'extensions/Ingress': ingressRisks,
  '/Pod': workloadRisks,
  'apps/Deployment': workloadRisks,
  'apps/ReplicaSet': workloadRisks,
  'apps/StatefulSet': workloadRisks,
  'apps/DaemonSet': workloadRisks,
  'extensions/Deployment': workloadRisks,
  'extensions/ReplicaSet': workloadRisks,
  'extensions/DaemonSet': workloadRisks,
  'batch/Job': workloadRisks,
  'batch/CronJob': workloadRisks,
  '/ReplicationController': workloadRisks,
  'rbac.authorization.k8s.io/ClusterRole': roleRisks,
  'rbac.authorization.k8s.io/Role': roleRisks,
  'rbac.authorization.k8s.io/ClusterRoleBinding': bindingRisks,
  'rbac.authorization.k8s.io/RoleBinding': bindingRisks,
  '/Namespace': namespaceRisks,
  '/ConfigMap': configMapRisks,
};

/** Every rule, for the README table, SARIF's rule list and the test that each id is covered. */
export const RULES: readonly RuleInfo[] = [
  ...describeRules('ClusterRole, Role', ROLE_RULES),
  ...describeRules(
    'Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, CronJob, any kind with a pod template',
    WORKLOAD_RULES,
  ),
  ...describeRules('Ingress', INGRESS_RULES),
  ...describeRules('Namespace', NAMESPACE_RULES),
  ...describeRules('ClusterRoleBinding, RoleBinding', BINDING_RULES),
  ...describeRules(
    'Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, CronJob, any kind with a pod template',
    WORKLOAD_PATH_RULES,
  ),
  ...describeRules('ConfigMap', CONFIGMAP_RULES),
];

const groupOf = (apiVersion: string): string => {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
};

/**
 * Whether risk rules exist for objects of this API group and kind, or (given the object) for this
 * object because it carries a pod spec (a third-party workload kind).
 */
export const hasRiskRules = (group: string, kind: string, obj?: Json): boolean =>
  `${group}/${kind}` in BY_KIND || (obj !== undefined && podSpecPath(obj) !== undefined);

/** The analyser of an object: its kind's, else the workload one when a pod spec is found by shape. */
const analyserOf = (o: Json): KindRisks | undefined =>
  BY_KIND[`${groupOf(asString(o.apiVersion) ?? '')}/${asString(o.kind) ?? ''}`] ??
  (podSpecPath(o) ? workloadRisks : undefined);

const rank = (r: AlertRisk): number => SEVERITIES.indexOf(r.severity);

/**
 * The risks of one object: one entry per rule that matched, most severe first, at most
 * {@link MAX_RISKS}. Total: odd shapes yield fewer risks, never an exception; a kind without rules
 * yields none. A rule whose check throws (or a reader that throws before any rule ran) is pushed
 * on `failed` when given, so the caller notes, logs and counts it. Messages name what matched,
 * never secret values.
 */
export function analyseRisks(obj: unknown, ctx: RiskContext = {}, failed: RuleFailure[] = []): AlertRisk[] {
  const o = asRecord(obj);
  if (!o) return [];
  try {
    const analyse = analyserOf(o);
    if (!analyse) return [];
    return analyse(o, ctx, failed)
      .sort((a, b) => rank(a) - rank(b))
      .slice(0, MAX_RISKS);
  } catch (err: unknown) {
    // A reader bug on odd input must not stop an alert, nor go unnoticed: the caller notes it.
    failed.push({ rule: RISKS_READER, cause: err });
    return [];
  }
}
