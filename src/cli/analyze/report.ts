import { checkBackends, type ServiceExists } from '../../alerts/ingress-backends.js';
import { SEVERITIES, type Severity } from '../../api/constants.js';
import { groupOf } from '../../api/kube-object.js';
import { type LooseRule, looseRules } from '../../subjects/binding/view.js';
import { asRecord, asString, type Json } from '../../subjects/read.js';
import {
  type AlertRisk,
  analyseRisks,
  hasRiskRules,
  type RoleRulesOf,
  type RuleFailure,
  ruleFailureNote,
} from '../../subjects/risks/index.js';
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

/** The Services of the input by namespace: names only. */
class ServiceIndex {
  private readonly byNamespace = new Map<string, Set<string>>();

  add(obj: Json, ref: ObjectRef): void {
    if (obj.kind !== 'Service' || groupOf(ref.apiVersion) !== '') return;
    const names = this.byNamespace.get(ref.namespace ?? '') ?? new Set<string>();
    names.add(ref.name);
    this.byNamespace.set(ref.namespace ?? '', names);
  }

  /**
   * The input is taken as the whole of a namespace it declares Services for: a name missing there
   * does not exist. For a namespace with no Service in the input, nothing can be said (`undefined`).
   */
  readonly exists: ServiceExists = (namespace, name) => {
    const names = this.byNamespace.get(namespace);
    return names === undefined ? undefined : names.has(name);
  };
}

/** The rules of the Roles and ClusterRoles of the input, in their compact form (not the objects). */
class RoleIndex {
  private readonly roles = new Map<string, LooseRule[]>();

  private static key(kind: string, namespace: string | undefined, name: string): string {
    return `${kind}/${kind === 'Role' ? (namespace ?? '') : ''}/${name}`;
  }

  add(obj: Json, ref: ObjectRef): void {
    if (groupOf(ref.apiVersion) !== RBAC_GROUP) return;
    if (ref.kind !== 'Role' && ref.kind !== 'ClusterRole') return;
    this.roles.set(RoleIndex.key(ref.kind, ref.namespace, ref.name), detach(looseRules(obj.rules)));
  }

  /**
   * A Role is looked up in the binding's namespace. A role not in the input is unknown
   * (`undefined`): bindings to it are judged by the role's name only. Aggregated ClusterRoles count
   * with their own rules (what the aggregation collects is only known in a cluster).
   */
  readonly rulesOf: RoleRulesOf = (kind, name, namespace) =>
    this.roles.get(RoleIndex.key(kind, namespace, name));
}

/** Answers "does this Service exist" from the Services of `objects` (see ServiceIndex). */
export function servicesIn(objects: InputObject[]): ServiceExists {
  const index = new ServiceIndex();
  for (const { obj } of objects) index.add(obj, refOf(obj));
  return index.exists;
}

/** Answers "what does the role a binding refers to grant" from the Roles of `objects` (see RoleIndex). */
export function rolesIn(objects: InputObject[]): RoleRulesOf {
  const index = new RoleIndex();
  for (const { obj } of objects) index.add(obj, refOf(obj));
  return index.rulesOf;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/**
 * A copy that shares no memory with the parsed document: V8 keeps a whole source string alive
 * for any slice of it, and a finding must not keep its document.
 */
const detach = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Distinct strings a report shares between findings at most (ids, severities, references, messages). */
const MAX_INTERNED = 65_536;

/**
 * One copy of each string the findings repeat (the same rule on the same template says the same
 * thing thousands of times), detached from its document; bounded, then strings are only detached.
 */
class Interner {
  private readonly seen = new Map<string, string>();

  get(s: string): string {
    const found = this.seen.get(s);
    if (found !== undefined) return found;
    const copy = detach(s);
    if (this.seen.size < MAX_INTERNED) this.seen.set(copy, copy);
    return copy;
  }
}

/** A binding as its rules read it (name, namespace, writer, roleRef, subjects): nothing else is kept. */
function compactBinding(obj: Json): Json {
  const meta = asRecord(obj.metadata);
  const managed = Array.isArray(meta?.managedFields) ? meta.managedFields : [];
  return detach({
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: meta?.name,
      namespace: meta?.namespace,
      managedFields: managed.map((m) => {
        const e = asRecord(m);
        return { manager: e?.manager, operation: e?.operation, time: e?.time, subresource: e?.subresource };
      }),
    },
    roleRef: obj.roleRef,
    subjects: obj.subjects,
  });
}

/** An Ingress as its backend check reads it: name, namespace and spec (no annotations, no status). */
const compactIngress = (obj: Json, ref: ObjectRef): Json =>
  detach({
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, namespace: ref.namespace },
    spec: obj.spec,
  });

interface Deferred {
  object: ObjectRef;
  location: Location;
  obj: Json;
}

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

/**
 * Builds the report one object at a time, holding no object: what it keeps is the findings, the
 * names of the Services, the rules of the Roles, and the compact form of what can only be judged
 * once the input has ended (bindings whose role was not seen yet, Ingress backends).
 */
export class ReportBuilder {
  private readonly services = new ServiceIndex();
  private readonly roles = new RoleIndex();
  private readonly bindings: Deferred[] = [];
  private readonly ingresses: Deferred[] = [];
  private readonly strings = new Interner();
  private readonly report: Report = {
    objects: 0,
    analysed: 0,
    findings: [],
    notAnalysed: {},
    warnings: [],
    notes: [],
    errors: [],
  };

  /** Analyses one object now, or keeps its compact form to judge at the end. */
  object({ obj, location }: InputObject): void {
    const ref = refOf(obj);
    const object: ObjectRef = {
      apiVersion: this.strings.get(ref.apiVersion),
      kind: this.strings.get(ref.kind),
      ...(ref.namespace === undefined ? {} : { namespace: this.strings.get(ref.namespace) }),
      name: detach(ref.name),
    };
    const loc: Location = { ...location, file: this.strings.get(location.file) };
    this.report.objects++;
    const removed = removedApi(object.apiVersion, object.kind);
    if (removed) this.report.warnings.push({ object, location: loc, message: removed });
    this.services.add(obj, object);
    this.roles.add(obj, object);
    if (!hasRiskRules(groupOf(object.apiVersion), object.kind, obj)) {
      this.report.notAnalysed[object.kind] = (this.report.notAnalysed[object.kind] ?? 0) + 1;
      return;
    }
    this.report.analysed++;
    if (isBinding(object)) {
      const ref = asRecord(obj.roleRef);
      const ns = object.kind === 'RoleBinding' ? object.namespace : undefined;
      const known = this.roles.rulesOf(asString(ref?.kind) ?? '', asString(ref?.name) ?? '', ns);
      // Its role may come later in the input: judged at the end, from its compact form.
      if (!known) {
        this.bindings.push({ object, location: loc, obj: compactBinding(obj) });
        return;
      }
    }
    // Without serviceExists, an Ingress yields every risk but the backend check, made at the end.
    const failed: RuleFailure[] = [];
    this.keep(object, loc, analyseRisks(obj, { roleRules: this.roles.rulesOf }, failed), failed);
    if (object.kind === 'Ingress')
      this.ingresses.push({ object, location: loc, obj: compactIngress(obj, object) });
  }

  /** A document that could not be read. */
  error(e: DocumentError): void {
    this.report.errors.push(e);
  }

  /** A document skipped as no Kubernetes object. */
  skipped(s: NotAnObject): void {
    this.report.warnings.push({ location: s.location, message: s.message });
  }

  /** Judges what waited for the whole input, and returns the report, findings sorted. */
  finish(): Report {
    for (const b of this.bindings) {
      const failed: RuleFailure[] = [];
      this.keep(b.object, b.location, analyseRisks(b.obj, { roleRules: this.roles.rulesOf }, failed), failed);
    }
    for (const i of this.ingresses) {
      const { risks, unknown, failed } = checkBackends(i.obj, this.services.exists);
      this.keep(i.object, i.location, risks, failed);
      if (unknown.length === 0) continue;
      const one = unknown.length === 1;
      this.report.notes.push({
        object: i.object,
        location: i.location,
        message: `backend Service${one ? '' : 's'} ${unknown.join(', ')} ${one ? 'is' : 'are'} not in the input; whether ${one ? 'it exists' : 'they exist'} is unknown`,
      });
    }
    this.bindings.length = 0;
    this.ingresses.length = 0;
    this.report.findings.sort(compareFindings);
    return this.report;
  }

  /** The object's risks as findings; a rule that threw is a note (fail open: the other rules still count). */
  private keep(object: ObjectRef, location: Location, risks: AlertRisk[], failed: RuleFailure[] = []): void {
    for (const f of failed) this.report.notes.push({ object, location, message: ruleFailureNote(f) });
    for (const r of risks) {
      const risk: AlertRisk = {
        id: this.strings.get(r.id),
        severity: r.severity,
        message: this.strings.get(r.message),
      };
      if (r.reference !== undefined) risk.reference = this.strings.get(r.reference);
      this.report.findings.push({ object, location, risk });
    }
  }
}

const isBinding = (o: ObjectRef): boolean =>
  groupOf(o.apiVersion) === RBAC_GROUP && (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');

/** Runs the operator's risk analysis over every object and gathers what to report. */
export function buildReport(
  objects: InputObject[],
  errors: DocumentError[],
  notObjects: NotAnObject[],
): Report {
  const builder = new ReportBuilder();
  for (const n of notObjects) builder.skipped(n);
  for (const o of objects) builder.object(o);
  for (const e of errors) builder.error(e);
  return builder.finish();
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
