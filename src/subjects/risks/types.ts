import type { Severity } from '../../api/constants.js';
import type { AlertRisk } from '../../api/generated/audit-alert.js';
import { printable, truncateUtf8 } from '../read.js';

export type { AlertRisk } from '../../api/generated/audit-alert.js';

/** Where a rule comes from: a Pod Security Standards control, a CIS control, a CVE or a guide. */
export interface Reference {
  /** What a responder searches for: `CVE-2021-25742`, `CIS Kubernetes Benchmark 5.1.3`, `PSS Baseline: Host Ports`. */
  label: string;
  /** Where to read about it; also the SARIF rule's `helpUri`. */
  url: string;
}

/**
 * One risk rule: a stable id, a fixed severity, what it means, where it comes from, and a small pure
 * function that lists what in the subject matches (empty when nothing does). Rules are data: the
 * operator, `tripline analyze`, the docs/risks.md table and the SARIF rule list all read the same entries.
 */
export interface RiskRule<T> {
  /** Stable id, `<kind>.<what>`; never reused for another meaning. */
  readonly id: string;
  readonly severity: Severity;
  /** Short title; the start of every message and the SARIF `shortDescription`. */
  readonly title: string;
  /** Why it matters, in a sentence or two (SARIF `fullDescription`). */
  readonly description: string;
  readonly reference: Reference;
  /** What matched, one short human-readable item each (`container web`, `rules[0]: get on secrets`). */
  readonly check: (subject: T) => string[];
}

/** The facts every rule needs to describe itself, without its check. */
export type RuleInfo = Omit<RiskRule<never>, 'check'> & {
  /** The kinds the rule applies to, for SARIF. */
  readonly kinds: string;
};

/** Longest risk message (the CRD's limit). */
const MAX_MESSAGE_BYTES = 2048;
/** Most matched items named in one message; the rest are counted. */
const MAX_ITEMS_IN_MESSAGE = 6;

/** The text of a reference as it goes into `risk.reference`: `label (url)`. */
export const referenceText = (r: Reference): string => truncateUtf8(`${r.label} (${r.url})`, 512);

/** `items` joined for a message: at most {@link MAX_ITEMS_IN_MESSAGE}, then `+N more`. */
function itemsText(items: string[]): string {
  const shown = items.slice(0, MAX_ITEMS_IN_MESSAGE).join('; ');
  return items.length > MAX_ITEMS_IN_MESSAGE
    ? `${shown}; +${items.length - MAX_ITEMS_IN_MESSAGE} more`
    : shown;
}

/** A rule whose check threw: the alert is raised without it (fail open), and says so. */
export interface RuleFailure {
  /** The rule id (`pod.privileged`), or `risks` when the kind's reader failed before any rule ran. */
  rule: string;
  cause: unknown;
}

/** The alert note for a rule that could not be evaluated. */
export function ruleFailureNote(f: RuleFailure): string {
  const why = f.cause instanceof Error ? f.cause.message : String(f.cause);
  const what = f.rule === RISKS_READER ? 'the risk rules' : `risk rule ${f.rule}`;
  return truncateUtf8(
    printable(`${what} could not be evaluated (${why}); the alert may lack that risk`),
    1024,
  );
}

/** {@link RuleFailure.rule} when the kind's reader failed, so no rule of the kind ran. */
export const RISKS_READER = 'risks';

/**
 * Runs every rule over one subject and returns one risk per rule that matched, in rule order. A
 * rule that throws is not skipped silently: it is left out (the others still run: fail open) and
 * pushed on `failed`, so the caller notes it in the alert, logs and counts it. `scope`, when
 * given, follows each title (`in namespace shop`): the same rule reads differently for a Role
 * than for a ClusterRole.
 */
export function evaluate<T>(
  rules: readonly RiskRule<T>[],
  subject: T,
  scope?: string,
  failed?: RuleFailure[],
): AlertRisk[] {
  const out: AlertRisk[] = [];
  for (const rule of rules) {
    let items: string[];
    try {
      items = rule.check(subject);
    } catch (err: unknown) {
      // Odd input must never stop an alert, nor go unnoticed: the caller notes and counts it.
      failed?.push({ rule: rule.id, cause: err });
      continue;
    }
    if (items.length === 0) continue;
    out.push({
      id: rule.id,
      severity: rule.severity,
      message: truncateUtf8(
        printable(`${rule.title}${scope ? ` ${scope}` : ''}: ${itemsText([...new Set(items)])}`),
        MAX_MESSAGE_BYTES,
      ),
      reference: referenceText(rule.reference),
    });
  }
  return out;
}

/** The description of rules for one kind (drops the check). */
export const describeRules = <T>(kinds: string, rules: readonly RiskRule<T>[]): RuleInfo[] =>
  rules.map(({ id, severity, title, description, reference }) => ({
    id,
    severity,
    title,
    description,
    reference,
    kinds,
  }));
