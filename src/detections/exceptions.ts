import type { AuditDetection } from '../api/generated/audit-detection.js';
import type { KubeObject } from '../api/kube-object.js';
import { actorFromManagedFields } from '../subjects/actor.js';
import { compileGlob } from './glob.js';

/** An entry of `spec.exceptions`. */
export type ExceptionSpec = NonNullable<AuditDetection['spec']['exceptions']>[number];

/**
 * Who made an object, as far as is known. Users and groups come from request attribution (the
 * admission webhook, src/actors); without it they are undefined.
 */
export interface KnownActor {
  fieldManager?: string;
  username?: string;
  groups?: readonly string[];
}

/** Exceptions prepared once per detection generation. */
export interface CompiledExceptions {
  /**
   * Index of the first entry that matches the object and has not expired at this moment (the
   * injected clock, read at match time), or undefined when none does.
   */
  match(obj: KubeObject, actor?: KnownActor): number | undefined;
  /** Things a reader of the detection's status should know (entries that cannot match yet). */
  warnings: string[];
}

type Test = (obj: KubeObject, actor: () => KnownActor) => boolean;

/** The tests of one entry, ANDed; an entry with no fields at all would suppress everything and is refused. */
function entryTests(e: ExceptionSpec): Test[] {
  const tests: Test[] = [];
  const anyGlob = (globs: string[]) => {
    const res = globs.map(compileGlob);
    return (s: string) => res.some((r) => r.test(s));
  };
  if (e.namespaces?.length) {
    const m = anyGlob(e.namespaces);
    tests.push((o) => m(o.metadata.namespace ?? ''));
  }
  if (e.names?.length) {
    const m = anyGlob(e.names);
    tests.push((o) => m(o.metadata.name ?? ''));
  }
  if (e.fieldManagers?.length) {
    const set = new Set(e.fieldManagers);
    tests.push((_o, a) => set.has(a().fieldManager ?? ''));
  }
  if (e.users?.length) {
    const set = new Set(e.users);
    tests.push((_o, a) => a().username !== undefined && set.has(a().username as string));
  }
  if (e.groups?.length) {
    const set = new Set(e.groups);
    tests.push((_o, a) => (a().groups ?? []).some((g) => set.has(g)));
  }
  const labels = Object.entries(e.labels ?? {});
  if (labels.length > 0) tests.push((o) => labels.every(([k, v]) => o.metadata.labels?.[k] === v));
  return tests;
}

/** Validates `spec.exceptions`; returns readable errors. */
export function exceptionErrors(list: readonly ExceptionSpec[] | undefined): string[] {
  const errs: string[] = [];
  for (const [i, e] of (list ?? []).entries()) {
    if (entryTests(e).length === 0)
      errs.push(`spec.exceptions[${i}]: names no field to match (it would suppress every object)`);
    if (e.expires !== undefined && Number.isNaN(Date.parse(e.expires)))
      errs.push(`spec.exceptions[${i}].expires: "${e.expires}" is not an RFC 3339 date-time`);
  }
  return errs;
}

/** When the entry stops suppressing (ms since the epoch); Infinity when it never expires. */
export function expiresAt(e: ExceptionSpec): number {
  const t = e.expires === undefined ? Number.NaN : Date.parse(e.expires);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

/** True when the entry has expired at `nowMs`: from its `expires` instant on, it suppresses nothing. */
export const isExpired = (e: ExceptionSpec, nowMs: number): boolean => nowMs >= expiresAt(e);

/**
 * Compiles exceptions: fields inside one entry are ANDed, entries are ORed. An entry past its
 * `expires` is skipped, checked against `now` on every match (not once at compile time), so an
 * exception stops suppressing the moment it expires, without a new generation. The field manager is
 * the creator's (the earliest managedFields entry). Users and groups match only when the request's
 * user is known (the admission webhook recorded the create): an entry naming them does not match an
 * object whose creator is unknown, so the detection keeps alerting (fail loud, not silent). Without
 * attribution (`actorsKnown` false) such an entry never matches, and the Ready message says so.
 */
export function compileExceptions(
  list: readonly ExceptionSpec[] | undefined,
  opts: { actorsKnown?: boolean; now?: () => number } = {},
): CompiledExceptions {
  const entries = (list ?? []).map(entryTests);
  const ends = (list ?? []).map(expiresAt);
  // Without an injected clock (the traffic path), the system clock.
  const now = opts.now ?? Date.now;
  const warnings = opts.actorsKnown
    ? []
    : (list ?? []).flatMap((e, i) =>
        e.users?.length || e.groups?.length
          ? [
              `spec.exceptions[${i}] names users or groups, which are known only with the admission webhook (--admission-bind-address): it never matches`,
            ]
          : [],
      );
  return {
    warnings,
    match(obj, known) {
      let actor: KnownActor | undefined;
      const lazy = (): KnownActor => {
        actor ??= { fieldManager: actorFromManagedFields(obj).fieldManager, ...known };
        return actor;
      };
      const nowMs = now();
      const i = entries.findIndex(
        (tests, j) => nowMs < (ends[j] as number) && tests.every((t) => t(obj, lazy)),
      );
      return i >= 0 ? i : undefined;
    },
  };
}
