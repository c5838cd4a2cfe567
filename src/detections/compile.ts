import { validateTemplates } from '../alerts/steps.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import type { GroupVersionResource } from '../kube/resources.js';
import { globToRegExp, type LabelSelector, matchesSelector, selectorErrors } from './selectors.js';

/** Events the operator can raise from watches today. */
const SUPPORTED_EVENTS = new Set(['Created']);

/**
 * A detection checked and prepared once per generation: everything the hot path needs, with no
 * parsing left to do per event.
 */
export interface CompiledDetection {
  name: string;
  generation: number;
  source: AuditDetection;
  resources: GroupVersionResource[];
  events: ReadonlySet<string>;
  skipControlled: boolean;
  /** True when the object passes the namespace and label filters. */
  filter(obj: KubeObject): boolean;
}

/** The outcome of {@link compileDetection}: a detection or the reasons it cannot run. */
export type CompileResult = { ok: true; detection: CompiledDetection } | { ok: false; errors: string[] };

/**
 * Validates what the CRD schema cannot express and prepares the matchers. Unsupported fields are
 * errors rather than silently ignored, so a detection never runs with less filtering than declared.
 */
export function compileDetection(d: AuditDetection): CompileResult {
  const spec = d.spec;
  const match = spec.match ?? {};
  const errors: string[] = [];
  const events = new Set<string>(spec.events && spec.events.length > 0 ? spec.events : ['Created']);
  for (const e of events)
    if (!SUPPORTED_EVENTS.has(e)) errors.push(`spec.events: "${e}" is not supported yet`);
  if (match.condition) errors.push('spec.match.condition: CEL conditions are not supported yet');
  if (match.namespaceSelector) errors.push('spec.match.namespaceSelector: not supported yet');
  if (spec.exceptions && spec.exceptions.length > 0) errors.push('spec.exceptions: not supported yet');
  errors.push(
    ...selectorErrors(match.objectSelector as LabelSelector | undefined, 'spec.match.objectSelector'),
  );
  errors.push(...validateTemplates([...(spec.investigation ?? []), ...(spec.resolution ?? [])]));
  if (errors.length > 0) return { ok: false, errors };
  const include = (match.namespaces?.include ?? []).map(globToRegExp);
  const exclude = (match.namespaces?.exclude ?? []).map(globToRegExp);
  const selector = match.objectSelector as LabelSelector | undefined;
  const filter = (obj: KubeObject): boolean => {
    const ns = obj.metadata.namespace ?? '';
    if (include.length > 0 && !include.some((r) => r.test(ns))) return false;
    if (exclude.some((r) => r.test(ns))) return false;
    return matchesSelector(selector, obj.metadata.labels);
  };
  return {
    ok: true,
    detection: {
      name: d.metadata?.name ?? '',
      generation: d.metadata?.generation ?? 0,
      source: d,
      resources: spec.resources.map((r) => ({
        group: r.group ?? '',
        version: r.version,
        resource: r.resource,
      })),
      events,
      skipControlled: match.skipControlled === true,
      filter,
    },
  };
}
