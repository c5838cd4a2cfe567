import type { Severity } from '../api/constants.js';
import { ACTION_EVENTS, isActionEvent } from '../api/constants.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import type { GroupVersionResource } from '../kube/resources.js';
import { type CelCondition, compileCel } from './cel.js';
import { type ChangeProfile, changeProfile, changesErrors } from './change-profile.js';
import {
  type CompiledExceptions,
  compileExceptions,
  exceptionErrors,
  type KnownActor,
} from './exceptions.js';
import { compileGlob } from './glob.js';
import { compileReference, type ReferenceRule } from './references.js';
import { type LabelSelector, matchesSelector, selectorErrors } from './selectors.js';
import { compileSeverity } from './severity.js';
import { validateTemplates } from './steps.js';

/** Events the operator raises from watches. */
/** Raised from ingress access logs by src/traffic, not from watches (the CRD makes it the only event then). */
export const TRAFFIC_EVENT = 'TrafficAnomaly';

const SUPPORTED_EVENTS = new Set<string>(['Created', 'Updated', 'Deleted', TRAFFIC_EVENT, ...ACTION_EVENTS]);

/**
 * True for a detection of action events (src/actions): it starts no watch. The CRD keeps action
 * events apart from object and traffic events.
 */
export const isActionDetection = (events: ReadonlySet<string>): boolean => [...events].some(isActionEvent);

/** Labels of a namespace by name; undefined while the namespace is not (yet) known. */
export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

/**
 * A detection checked and prepared once per generation: everything the hot path needs, with no
 * parsing left to do per event.
 */
export interface CompiledDetection {
  name: string;
  uid: string;
  generation: number;
  source: AuditDetection;
  resources: GroupVersionResource[];
  events: ReadonlySet<string>;
  skipControlled: boolean;
  /** Which parts of an object count as a change for Updated events (`spec.changes`). */
  changes: ChangeProfile;
  /**
   * `match.referencedBy`: only objects some object of this resource names count. Checked with a
   * lookup when an alert is about to be raised (see references.ts), not in {@link filter}.
   */
  referencedBy?: ReferenceRule;
  /** True when `match.namespaceSelector` is set: matching needs namespace labels. */
  usesNamespaceSelector: boolean;
  /** Things that do not stop the detection but that its owner should know (shown in Ready). */
  warnings: string[];
  /**
   * True when the object passes the namespace, label and namespace-label filters and the CEL
   * condition; 'pending' when its namespace's labels are not known yet. `oldObject` is the
   * previous state for updates, when known (CEL's `oldObject`, null otherwise).
   */
  filter(obj: KubeObject, nsLabels?: NamespaceLabels, oldObject?: KubeObject): boolean | 'pending';
  /** Index of the first exception that suppresses the object (expired ones do not), or undefined. */
  exception(obj: KubeObject): number | undefined;
  /** The alert severity for the object: the base, raised by the first matching override. */
  severity(obj: KubeObject): Severity;
  /**
   * Notes for the alert of this very object (the same JS object {@link filter} and
   * {@link severity} saw): CEL evaluations its budget stopped, which were taken as a match.
   */
  notes(obj: KubeObject): string[];
}

/** Called when a CEL expression fails for an object (a non-match); `where` names the field. */
export type CelErrorHandler = (where: string, message: string, obj: KubeObject) => void;

/**
 * Called each time a CEL evaluation is stopped by its budget (ADR 0014); `where` names the field.
 * The detection then fails open: the condition counts as matched and the alert carries a note.
 */
export type CelBudgetHandler = (where: string, message: string, obj: KubeObject) => void;

/** The outcome of {@link compileDetection}: a detection or the reasons it cannot run. */
export type CompileResult = { ok: true; detection: CompiledDetection } | { ok: false; errors: string[] };

/**
 * Validates what the CRD schema cannot express and prepares the matchers, CEL programs included
 * (compiled here once, never per event). Unsupported fields are errors rather than silently
 * ignored, so a detection never runs with less filtering than declared. A CEL expression that
 * fails for an object counts as no match and is reported once per compiled detection.
 */
/** The creator of an object as request attribution saw it (users and groups for exceptions). */
export type ActorLookup = (obj: KubeObject) => KnownActor | undefined;

export function compileDetection(
  d: AuditDetection,
  onCelError?: CelErrorHandler,
  actorOf?: ActorLookup,
  onBudget?: CelBudgetHandler,
  now?: () => number,
): CompileResult {
  const spec = d.spec;
  const match = spec.match ?? {};
  const errors: string[] = [];
  const events = new Set<string>(spec.events && spec.events.length > 0 ? spec.events : ['Created']);
  for (const e of events) if (!SUPPORTED_EVENTS.has(e)) errors.push(`spec.events: "${e}" is not supported`);
  const condition = match.condition ? compileCel(match.condition) : undefined;
  if (condition && !condition.ok) errors.push(`spec.match.condition: ${condition.error}`);
  const severity = compileSeverity(spec.severity as Severity, spec.severityOverrides ?? []);
  if (!severity.ok) errors.push(...severity.errors);
  const nsSelector = match.namespaceSelector as LabelSelector | undefined;
  const objSelector = match.objectSelector as LabelSelector | undefined;
  errors.push(...selectorErrors(objSelector, 'spec.match.objectSelector'));
  errors.push(...selectorErrors(nsSelector, 'spec.match.namespaceSelector'));
  errors.push(...exceptionErrors(spec.exceptions));
  errors.push(...changesErrors(spec.changes));
  const reference = compileReference(match.referencedBy);
  errors.push(...reference.errors);
  errors.push(...validateTemplates([...(spec.investigation ?? []), ...(spec.resolution ?? [])]));
  if (isActionDetection(events)) errors.push(...actionErrors(spec));
  if (events.has(TRAFFIC_EVENT)) errors.push(...trafficErrors(spec));
  if (errors.length > 0 || (condition && !condition.ok) || !severity.ok) return { ok: false, errors };
  const report = reportOnce(onCelError);
  const budget = budgetNotes(onBudget);
  const exceptions: CompiledExceptions = compileExceptions(spec.exceptions, {
    actorsKnown: !!actorOf,
    ...(now ? { now } : {}),
  });
  return {
    ok: true,
    detection: {
      name: d.metadata?.name ?? '',
      uid: d.metadata?.uid ?? '',
      generation: d.metadata?.generation ?? 0,
      source: d,
      resources: spec.resources.map((r) => ({
        group: r.group ?? '',
        version: r.version,
        resource: r.resource,
      })),
      events,
      skipControlled: match.skipControlled === true,
      changes: changeProfile(spec.changes),
      ...(reference.rule ? { referencedBy: reference.rule } : {}),
      usesNamespaceSelector: nsSelector !== undefined,
      warnings: [...exceptions.warnings, ...changesWarnings(spec, events)],
      filter: makeFilter(match, condition?.condition, report, budget),
      exception: (obj) => exceptions.match(obj, actorOf?.(obj)),
      severity: (obj) => severity.severityFor(obj, report, budget.exceeded),
      notes: (obj) => budget.notes(obj),
    },
  };
}

/** The object-only fields set in a spec: labels, owners and changes, which requests and log lines lack. */
function objectOnlyFields(spec: AuditDetection['spec']): string[] {
  const m = spec.match ?? {};
  const fields: Array<[string, unknown]> = [
    ['spec.match.objectSelector', m.objectSelector],
    ['spec.match.namespaceSelector', m.namespaceSelector],
    ['spec.match.referencedBy', m.referencedBy],
    ['spec.match.skipControlled', m.skipControlled],
    ['spec.changes', spec.changes],
  ];
  return fields.filter(([, v]) => v !== undefined).map(([f]) => f);
}

/** Fields an action detection cannot use: its events are requests, not objects with labels or owners. */
function actionErrors(spec: AuditDetection['spec']): string[] {
  return objectOnlyFields(spec).map(
    (f) => `${f} does not apply to action events (Exec, Attach, PortForward, TokenRequest, SecretRead)`,
  );
}

/**
 * Fields a traffic detection cannot use: an access-log line names an Ingress by namespace and name
 * only, so only match.namespaces and exceptions by namespace or name apply (settings.ts). The CRD
 * refuses these too; this covers detections read from files and older CRDs.
 */
function trafficErrors(spec: AuditDetection['spec']): string[] {
  const fields = objectOnlyFields(spec);
  if (spec.match?.condition !== undefined) fields.push('spec.match.condition');
  if (spec.severityOverrides !== undefined) fields.push('spec.severityOverrides');
  return fields.map(
    (f) =>
      `${f} does not apply to TrafficAnomaly (an access-log line names only the Ingress's namespace and name)`,
  );
}

/** Things in `spec.changes` that are valid but do nothing, for the detection's Ready message. */
function changesWarnings(spec: AuditDetection['spec'], events: ReadonlySet<string>): string[] {
  if (!spec.changes || events.has('Updated')) return [];
  return ['spec.changes has no effect: the detection does not take Updated events'];
}

/** Reports only the first CEL failure of a compiled detection (one per generation), never throws. */
function reportOnce(handler: CelErrorHandler | undefined): CelErrorHandler {
  let reported = false;
  return (where, message, obj) => {
    if (reported || !handler) return;
    reported = true;
    handler(where, message, obj);
  };
}

/** Budget overruns of one compiled detection: notes per object, and the handler told of each. */
interface BudgetNotes {
  exceeded: CelBudgetHandler;
  notes(obj: KubeObject): string[];
}

function budgetNotes(handler: CelBudgetHandler | undefined): BudgetNotes {
  const byObject = new WeakMap<KubeObject, string[]>();
  return {
    exceeded(where, message, obj) {
      const notes = byObject.get(obj) ?? [];
      const note = `${where}: ${message}; taken as a match (fail open)`;
      if (!notes.includes(note)) byObject.set(obj, [...notes, note]);
      handler?.(where, message, obj);
    },
    notes: (obj) => byObject.get(obj) ?? [],
  };
}

type MatchSpec = NonNullable<AuditDetection['spec']['match']>;

function makeFilter(
  match: MatchSpec,
  condition: CelCondition | undefined,
  report: CelErrorHandler,
  budget: BudgetNotes,
): CompiledDetection['filter'] {
  const include = (match.namespaces?.include ?? []).map(compileGlob);
  const exclude = (match.namespaces?.exclude ?? []).map(compileGlob);
  const objSelector = match.objectSelector as LabelSelector | undefined;
  const nsSelector = match.namespaceSelector as LabelSelector | undefined;
  return (obj, nsLabels, oldObject) => {
    const ns = obj.metadata.namespace ?? '';
    if (include.length > 0 && !include.some((r) => r.test(ns))) return false;
    if (exclude.some((r) => r.test(ns))) return false;
    if (!matchesSelector(objSelector, obj.metadata.labels)) return false;
    if (nsSelector && obj.kind === 'Namespace') {
      // A Namespace is matched on its own labels, as admission webhooks' namespaceSelector does.
      if (!matchesSelector(nsSelector, obj.metadata.labels)) return false;
    } else if (nsSelector && ns) {
      const labels = nsLabels?.(ns);
      if (labels === undefined) return 'pending';
      if (!matchesSelector(nsSelector, labels)) return false;
    }
    if (!condition) return true;
    const r = condition.evaluate(obj, oldObject);
    if (r.ok) return r.value;
    // Fail open: an expression stopped by its budget may have matched (a tenant can make any
    // object costly), so the object counts and its alert says why.
    if (r.overBudget) budget.exceeded('spec.match.condition', r.error, obj);
    else report('spec.match.condition', r.error, obj);
    return r.overBudget === true;
  };
}
