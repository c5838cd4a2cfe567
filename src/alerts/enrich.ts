import { LABELS, maxSeverity, type Severity } from '../api/constants.js';
import type {
  AlertActor,
  AlertRisk,
  AuditAlert,
  AuditAlertSpec,
  WhoCanEntry,
} from '../api/generated/audit-alert.js';
import { groupOf, type KubeObject } from '../api/kube-object.js';
import type { Logger } from '../observability/logger.js';
import { boundEvidence } from '../subjects/bound.js';
import { evidenceBudget } from '../subjects/index.js';
import type { RuleFailure } from '../subjects/risks/types.js';
import type { WatchedResource } from './build.js';
import { fitNotes } from './limits.js';

/** What an enricher sees: the alert as built from the subject, and the subject itself. */
export interface EnrichInput {
  alert: AuditAlert;
  subject: KubeObject;
  resource: WatchedResource;
}

/** What an enricher adds to an alert; every part optional. */
export interface Enrichment {
  /** Appended to `spec.risks`; the alert severity becomes the max of its own and theirs. */
  risks?: AlertRisk[];
  /** Appended to `spec.whoCan`. */
  whoCan?: WhoCanEntry[];
  /** Merged into `spec.actor`; `source` entries are appended, not replaced. */
  actor?: Partial<AlertActor>;
  /** Merged into `spec.evidence` under the enricher's own keys. */
  evidence?: Record<string, unknown>;
  notes?: string[];
  /** Risk rules whose check threw (each with a note in `notes`): logged and counted by the caller. */
  ruleFailures?: RuleFailure[];
}

/**
 * One source of facts the subject alone cannot give (who did it, who else could, what the
 * workload's identity may do). Enrichers run in table order before the alert is written; one
 * that fails or times out leaves a note and never blocks the alert.
 */
export interface Enricher {
  /** Short name for notes, logs and metrics (`rbac`, `actor`). */
  readonly name: string;
  enrich(input: EnrichInput): Promise<Enrichment | undefined>;
}

/** Longest an enricher may take before the alert is written without it. */
export const ENRICH_TIMEOUT_MS = 2000;

/** Options of {@link enrichAlert}. */
export interface EnrichOptions {
  /** Longest an enricher may take; default {@link ENRICH_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Told about every risk rule an enricher could not evaluate (for the log and the metric). */
  onRuleFailure?(failure: RuleFailure): void;
}

/**
 * The alert with every enricher's findings merged in. Enrichers run concurrently; a failure
 * becomes a note ("rbac: unavailable") and a warning log with the cause, never an exception.
 */
export async function enrichAlert(
  input: EnrichInput,
  enrichers: readonly Enricher[],
  log: Logger,
  opts: EnrichOptions = {},
): Promise<AuditAlert> {
  if (enrichers.length === 0) return input.alert;
  const timeoutMs = opts.timeoutMs ?? ENRICH_TIMEOUT_MS;
  const results = await Promise.all(
    enrichers.map(async (e): Promise<Enrichment | undefined> => {
      try {
        return await withTimeout(e.enrich(input), timeoutMs);
      } catch (err: unknown) {
        log.warn('Enricher failed; alert written without it', { enricher: e.name, err });
        return { notes: [`${e.name}: unavailable (${reason(err)})`] };
      }
    }),
  );
  for (const r of results) for (const f of r?.ruleFailures ?? []) opts.onRuleFailure?.(f);
  return mergeEnrichments(input.alert, results);
}

/** Pure merge of enrichments into an alert (exported for tests). */
export function mergeEnrichments(
  alert: AuditAlert,
  parts: ReadonlyArray<Enrichment | undefined>,
): AuditAlert {
  const spec: AuditAlertSpec = { ...alert.spec };
  let evidenceAdded = false;
  for (const part of parts) {
    if (!part) continue;
    if (part.risks?.length) spec.risks = [...(spec.risks ?? []), ...part.risks];
    if (part.whoCan?.length) spec.whoCan = [...(spec.whoCan ?? []), ...part.whoCan];
    if (part.notes?.length) spec.notes = [...(spec.notes ?? []), ...part.notes];
    if (part.evidence) {
      spec.evidence = { ...(spec.evidence ?? {}), ...part.evidence };
      evidenceAdded = true;
    }
    if (part.actor) spec.actor = mergeActor(spec.actor, part.actor);
  }
  // The subject's evidence was bounded when it was read; what enrichers added counts against the
  // same budget of the subject's kind (ADR 27), so a tenant who binds many roles to a workload's
  // service account cannot make its alert cost more than the kind allows.
  if (evidenceAdded && spec.evidence) {
    const { subject } = spec;
    const budget = evidenceBudget(groupOf(subject.apiVersion), subject.kind, 'pod' in spec.evidence);
    const bounded = boundEvidence(spec.evidence, budget, subject.kind);
    spec.evidence = bounded.evidence;
    if (bounded.note) spec.notes = fitNotes([...(spec.notes ?? []), bounded.note]);
  }
  spec.severity = (spec.risks ?? []).reduce<Severity>(
    (s, r) => maxSeverity(s, r.severity as Severity),
    spec.severity as Severity,
  );
  const labels = { ...(alert.metadata?.labels ?? {}), [LABELS.severity]: spec.severity };
  return { ...alert, metadata: { ...alert.metadata, labels }, spec };
}

function mergeActor(base: AlertActor | undefined, add: Partial<AlertActor>): AlertActor {
  const source = [...(base?.source ?? [])];
  for (const s of add.source ?? []) if (!source.includes(s)) source.push(s);
  return { ...(base ?? {}), ...add, source };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
}
