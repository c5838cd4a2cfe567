import { maxSeverity, SEVERITIES, type Severity } from '../api/constants.js';
import type { KubeObject } from '../api/kube-object.js';
import { type CelCondition, compileCel } from './cel.js';

/** An entry of `spec.severityOverrides`. */
export interface SeverityOverride {
  condition: string;
  severity: string;
}

/** Told about an expression that failed (or ran out of budget) for an object. */
type Reporter = (where: string, message: string, obj: KubeObject) => void;

/** Severity overrides compiled once per detection generation. */
export type CompiledSeverity =
  | {
      ok: true;
      /**
       * The base severity raised by the first override whose condition holds; never lower than
       * the base. An override whose evaluation its budget stopped applies (told to `overBudget`):
       * a tenant must not be able to lower an alert's severity by making its object costly.
       */
      severityFor(obj: KubeObject, report: Reporter, overBudget?: Reporter): Severity;
    }
  | { ok: false; errors: string[] };

/**
 * Compiles `spec.severityOverrides`. An override whose condition fails to evaluate for an object
 * does not apply (and is reported); the next one is tried.
 */
export function compileSeverity(base: Severity, overrides: readonly SeverityOverride[]): CompiledSeverity {
  const errors: string[] = [];
  const compiled: { where: string; cond: CelCondition; severity: Severity }[] = [];
  for (const [i, o] of overrides.entries()) {
    const where = `spec.severityOverrides[${i}].condition`;
    const c = compileCel(o.condition);
    if (!c.ok) errors.push(`${where}: ${c.error}`);
    else if (!SEVERITIES.includes(o.severity as Severity))
      errors.push(`spec.severityOverrides[${i}].severity: unknown severity "${o.severity}"`);
    else compiled.push({ where, cond: c.condition, severity: o.severity as Severity });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    severityFor(obj, report, overBudget) {
      for (const o of compiled) {
        const r = o.cond.evaluate(obj);
        if (r.ok && r.value) return maxSeverity(base, o.severity);
        if (r.ok) continue;
        if (!r.overBudget) report(o.where, r.error, obj);
        else {
          overBudget?.(o.where, r.error, obj);
          return maxSeverity(base, o.severity);
        }
      }
      return base;
    },
  };
}
