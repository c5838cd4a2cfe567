import { compileGlob, type Glob } from './glob.js';

/** A metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Matches labels against a label selector with Kubernetes semantics (an empty selector matches all). */
export function matchesSelector(
  sel: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!sel) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) if (!matchesExpression(e, l)) return false;
  return true;
}

function matchesExpression(
  e: { key: string; operator: string; values?: string[] },
  l: Record<string, string>,
): boolean {
  const has = Object.hasOwn(l, e.key);
  const values = e.values ?? [];
  switch (e.operator) {
    case 'In':
      return has && values.includes(l[e.key] as string);
    case 'NotIn':
      return !has || !values.includes(l[e.key] as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/** Validates a selector's operators; returns readable errors. */
export function selectorErrors(sel: LabelSelector | undefined, path: string): string[] {
  const ops = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);
  const errs: string[] = [];
  for (const [i, e] of (sel?.matchExpressions ?? []).entries()) {
    if (!ops.has(e.operator))
      errs.push(`${path}.matchExpressions[${i}].operator: unknown operator "${e.operator}"`);
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (needsValues && !(e.values && e.values.length > 0)) {
      errs.push(`${path}.matchExpressions[${i}].values: required for ${e.operator}`);
    }
  }
  return errs;
}

/**
 * Shell-style glob (`*`, `?`) to a matcher with a `test` method, as the regular expression it used
 * to return had; kept for callers outside detections/. New code uses {@link compileGlob}.
 */
export function globToRegExp(glob: string): Glob {
  return compileGlob(glob);
}
