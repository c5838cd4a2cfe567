import { SEVERITIES } from '../../api/constants.js';
import { groupOf } from '../../api/kube-object.js';
import type { KindRisks, RiskContext } from '../kind.js';
import { byGroupKind, SUBJECT_KINDS } from '../kinds.js';
import { asRecord, asString, type Json } from '../read.js';
import { podSpecPath } from '../workload/pod-template.js';
import { type AlertRisk, RISKS_READER, type RuleFailure, type RuleInfo } from './types.js';

export type { KindRisks, RiskContext, RoleRulesOf } from '../kind.js';
export type { AlertRisk, Reference, RiskRule, RuleFailure, RuleInfo } from './types.js';
export { ruleFailureNote } from './types.js';

/** Most risks one object yields (the AuditAlert CRD's limit). */
export const MAX_RISKS = 128;

/** Risk analysers by `group/Kind` (core group empty), from the subject kinds table. */
const BY_KIND = byGroupKind((k) => k.risks);
/** The analyser of objects that carry a pod spec, whatever their kind. */
const BY_SHAPE = SUBJECT_KINDS.find((k) => k.byShape)?.risks;

/** Every rule, for the docs table, SARIF's rule list and the test that each id is covered. */
export const RULES: readonly RuleInfo[] = SUBJECT_KINDS.flatMap((k) => k.rules ?? []);

/**
 * Whether risk rules exist for objects of this API group and kind, or (given the object) for this
 * object because it carries a pod spec (a third-party workload kind).
 */
export const hasRiskRules = (group: string, kind: string, obj?: Json): boolean =>
  BY_KIND.has(`${group}/${kind}`) || (obj !== undefined && podSpecPath(obj) !== undefined);

/** The analyser of an object: its kind's, else the workload one when a pod spec is found by shape. */
const analyserOf = (o: Json): KindRisks | undefined =>
  BY_KIND.get(`${groupOf(o.apiVersion)}/${asString(o.kind) ?? ''}`) ??
  (podSpecPath(o) ? BY_SHAPE : undefined);

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
