import type { LooseRule } from './binding/view.js';
import type { Json } from './read.js';
import type { AlertRisk, RuleFailure, RuleInfo } from './risks/types.js';
import type { KindAnalyser } from './types.js';

/** The rules of a Role (in `namespace`) or ClusterRole, or `undefined` when unknown. */
export type RoleRulesOf = (
  kind: string,
  name: string,
  namespace: string | undefined,
) => LooseRule[] | undefined;

/** What the risk analysis may know beyond the object itself. */
export interface RiskContext {
  /**
   * Whether a Service exists (`undefined`: cannot tell). Given by `tripline analyze` from the
   * Services in its input, and by the operator's backend enricher from the API server.
   */
  serviceExists?: (namespace: string, name: string) => boolean | undefined;
  /**
   * The rules of the role a binding refers to (`undefined`: unknown, then the role is judged by
   * its name). Given by `tripline analyze` from the roles in its input; the operator's binding
   * enricher judges by the RBAC index instead.
   */
  roleRules?: RoleRulesOf;
}

/**
 * The risks of one object of a kind (unsorted, unbounded: the caller ranks and caps); rules whose
 * check threw are pushed on `failed`.
 */
export type KindRisks = (obj: Json, ctx: RiskContext, failed: RuleFailure[]) => AlertRisk[];

/**
 * One kind of subject Tripline knows in depth: one folder under `src/subjects/` exports it, and
 * one row of {@link SUBJECT_KINDS} (src/subjects/kinds.ts) wires it. Kinds without a row get the
 * generic analyser and no risks.
 */
export interface SubjectKind {
  /** Short id, the folder's name. */
  id: string;
  /**
   * `group/Kind` keys (core group empty: `/Pod`). Removed API versions of a kind (`extensions`
   * Ingress and Deployment) share the row: its readers take both shapes.
   */
  kinds: readonly string[];
  /** Evidence and summary; the generic analyser when absent. */
  analyse?: KindAnalyser;
  /** The risks of one object; none when absent. */
  risks?: KindRisks;
  /** The rules behind {@link risks}, described for the docs table and SARIF (checks dropped). */
  rules?: readonly RuleInfo[];
  /** Also the analyser of any other kind whose objects carry a pod spec (found by shape). */
  byShape?: boolean;
  /**
   * The most bytes of evidence (as JSON) an alert about this kind carries: enough for a typical
   * object whole; a larger one is capped, with a note (ADR 27). 2048 when absent.
   */
  evidenceBytes?: number;
}
