import { SEVERITIES, type Severity } from '../../detections/severity.js';
import { asRecord, asString, type Json } from '../../subjects/read.js';
import { type LooseRule, looseRules } from '../../subjects/risks/binding-view.js';
import { type AlertRisk, analyseRisks, hasRiskRules, type RoleRulesOf } from '../../subjects/risks/index.js';
import { checkBackends, type ServiceExists } from '../../subjects/risks/ingress-backends.js';
import { removedApi } from './api-versions.js';
import type { DocumentError, InputObject, Location, NotAnObject } from './documents.js';

/** The object a finding is about. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** One risk of one object, with where the object is. */
export interface Finding {
  object: ObjectRef;
  location: Location;
  risk: AlertRisk;
}

/** Something to tell about an object that is not a risk: removed API, kind without rules, unknown backend. */
export interface Remark {
  object?: ObjectRef;
  location: Location;
  message: string;
}

/** Everything `tripline analyze` found, for any output format. */
export interface Report {
  /** Objects read (after List expansion). */
  objects: number;
  /** Objects of a kind with risk rules. */
  analysed: number;
  /** Most severe first, then by file, line and id. */
  findings: Finding[];
  /** Objects of kinds without risk rules, by kind (`Service`: 3). */
  notAnalysed: Record<string, number>;
  /** Removed API versions and documents that are no Kubernetes objects. */
  warnings: Remark[];
  /** What could not be decided offline (backend Services not in the input). */
  notes: Remark[];
  /** Unreadable documents; `tripline analyze` exits 2 when there is any. */
  errors: DocumentError[];
}

const groupOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

function refOf(obj: Json): ObjectRef {
  const meta = asRecord(obj.metadata);
  const namespace = asString(meta?.namespace);
  return {
    apiVersion: asString(obj.apiVersion) ?? '',
    kind: asString(obj.kind) ?? '',
    ...(namespace ? { namespace } : {}),
    name: asString(meta?.name) ?? asString(meta?.generateName) ?? '?',
  };
}

/**
 * Answers "does this Service exist" from the Services of the input. The input is taken as the
 * whole of a namespace it declares Services for: a name missing there does not exist. For a
 * namespace with no Service in the input, nothing can be said (`undefined`).
 */
export function servicesIn(objects: InputObject[]): ServiceExists {
  const byNamespace = new Map<string, Set<string>>();
  for (const { obj } of objects) {
    if (obj.kind !== 'Service' || groupOf(asString(obj.apiVersion) ?? '') !== '') continue;
    const ref = refOf(obj);
    const names = byNamespace.get(ref.namespace ?? '') ?? new Set<string>();
    names.add(ref.name);
    byNamespace.set(ref.namespace ?? '', names);
  }
  return (namespace, name) => {
    const names = byNamespace.get(namespace);
    return names === undefined ? undefined : names.has(name);
  };
}

/**
 * Answers "what does the role a binding refers to grant" from the Roles and ClusterRoles of the
 * input (a Role in the binding's namespace). A role not in the input is unknown (`undefined`):
 * bindings to it are judged by the role's name only. Aggregated ClusterRoles count with their own
 * rules (what the aggregation collects is only known in a cluster).
 */
export function rolesIn(objects: InputObject[]): RoleRulesOf {
  const roles = new Map<string, LooseRule[]>();
  const key = (kind: string, namespace: string | undefined, name: string): string =>
    `${kind}/${kind === 'Role' ? (namespace ?? '') : ''}/${name}`;
  for (const { obj } of objects) {
    if (groupOf(asString(obj.apiVersion) ?? '') !== RBAC_GROUP) continue;
    if (obj.kind !== 'Role' && obj.kind !== 'ClusterRole') continue;
    const ref = refOf(obj);
    roles.set(key(obj.kind, ref.namespace, ref.name), looseRules(obj.rules));
  }
  return (kind, name, namespace) => roles.get(key(kind, namespace, name));
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

const severityRank = (s: string): number => SEVERITIES.indexOf(s as Severity);

function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.risk.severity) - severityRank(b.risk.severity) ||
    a.location.file.localeCompare(b.location.file) ||
    a.location.document - b.location.document ||
    (a.location.item ?? -1) - (b.location.item ?? -1) ||
    a.risk.id.localeCompare(b.risk.id)
  );
}

/** Runs the operator's risk analysis over every object and gathers what to report. */
export function buildReport(
  objects: InputObject[],
  errors: DocumentError[],
  notObjects: NotAnObject[],
): Report {
  const serviceExists = servicesIn(objects);
  const roleRules = rolesIn(objects);
  const report: Report = {
    objects: objects.length,
    analysed: 0,
    findings: [],
    notAnalysed: {},
    warnings: [],
    notes: [],
    errors,
  };
  for (const n of notObjects)
    report.warnings.push({
      location: n.location,
      message: 'has no apiVersion or kind: not a Kubernetes object; skipped',
    });
  for (const { obj, location } of objects) {
    const object = refOf(obj);
    const removed = removedApi(object.apiVersion, object.kind);
    if (removed) report.warnings.push({ object, location, message: removed });
    if (!hasRiskRules(groupOf(object.apiVersion), object.kind, obj)) {
      report.notAnalysed[object.kind] = (report.notAnalysed[object.kind] ?? 0) + 1;
      continue;
    }
    report.analysed++;
    const risks = analyseRisks(obj, { serviceExists, roleRules });
    for (const risk of risks) report.findings.push({ object, location, risk });
    const unknown = object.kind === 'Ingress' ? checkBackends(obj, serviceExists).unknown : [];
    if (unknown.length > 0) {
      const one = unknown.length === 1;
      report.notes.push({
        object,
        location,
        message: `backend Service${one ? '' : 's'} ${unknown.join(', ')} ${one ? 'is' : 'are'} not in the input; whether ${one ? 'it exists' : 'they exist'} is unknown`,
      });
    }
  }
  report.findings.sort(compareFindings);
  return report;
}

/** Findings per severity, every severity present (zero when none). */
export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.risk.severity]++;
  return counts;
}

/** Whether any finding is at least as severe as `threshold`. */
export const anyAtLeast = (findings: Finding[], threshold: Severity): boolean =>
  findings.some((f) => severityRank(f.risk.severity) <= severityRank(threshold));
