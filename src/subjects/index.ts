import { groupOf } from '../api/kube-object.js';
import { boundEvidence } from './bound.js';
import { analyseGeneric, readMetadata } from './generic.js';
import { byGroupKind, SUBJECT_KINDS } from './kinds.js';
import { asRecord, asString, type Json, Notes, printable, truncateUtf8 } from './read.js';
import { analyseRisks, type RuleFailure, ruleFailureNote } from './risks/index.js';
import type { KindAnalyser, SubjectAnalysis } from './types.js';
import { podSpecPath } from './workload/pod-template.js';

export type { KindAnalyser, KindAnalysis, SubjectAnalysis } from './types.js';

/** Subject analysers by `group/Kind` (core group empty: `/Pod`), from the subject kinds table. */
const ANALYSERS = byGroupKind((k) => k.analyse);
/** The analyser of objects that carry a pod spec, whatever their kind. */
const BY_SHAPE_ROW = SUBJECT_KINDS.find((k) => k.byShape);
const BY_SHAPE = BY_SHAPE_ROW?.analyse;
/** Evidence budgets by `group/Kind`, from the subject kinds table. */
const EVIDENCE_BYTES = byGroupKind((k) => k.evidenceBytes);
/** The evidence budget of a kind without a row, or whose row sets none (ADR 27). */
export const DEFAULT_EVIDENCE_BYTES = 2048;

/** Longest summary line (the CRD's limit). */
const MAX_SUMMARY_BYTES = 1024;
/** Longest string kept anywhere in evidence, in bytes. */
const MAX_EVIDENCE_STRING_BYTES = 4096;
/** Deepest nesting kept in evidence. */
const MAX_DEPTH = 24;

/** The analyser for a group and kind; the generic one when the kind has none of its own. */
export function analyserFor(group: string, kind: string): KindAnalyser {
  return ANALYSERS.get(`${group}/${kind}`) ?? analyseGeneric;
}

/** The analyser for an object: its kind's own, the workload one when it carries a pod spec, else the generic one. */
function analyserOf(obj: Json, group: string, kind: string): KindAnalyser {
  const own = ANALYSERS.get(`${group}/${kind}`);
  if (own) return own;
  return (podSpecPath(obj) ? BY_SHAPE : undefined) ?? analyseGeneric;
}

/**
 * The most bytes of evidence (JSON) an alert about an object of `group`/`kind` carries, enrichers'
 * facts included: its kind's own budget, else the workload one for a kind found by the shape of its
 * pod spec, else {@link DEFAULT_EVIDENCE_BYTES} (ADR 27).
 */
export function evidenceBudget(group: string, kind: string, carriesPodSpec: boolean): number {
  const own = EVIDENCE_BYTES.get(`${group}/${kind}`);
  if (own !== undefined) return own;
  if (carriesPodSpec && !ANALYSERS.has(`${group}/${kind}`) && BY_SHAPE_ROW?.evidenceBytes !== undefined)
    return BY_SHAPE_ROW.evidenceBytes;
  return DEFAULT_EVIDENCE_BYTES;
}

/** Whether a group and kind has an analyser of its own. */
export const hasAnalyser = (group: string, kind: string): boolean => ANALYSERS.has(`${group}/${kind}`);

/**
 * A copy of evidence safe to show and store: control characters escaped, strings capped, nesting
 * capped. Counts what it cut into `notes`.
 */
function sanitize(value: unknown, notes: Notes, depth = 0): unknown {
  if (typeof value === 'string') {
    const cut = truncateUtf8(value, MAX_EVIDENCE_STRING_BYTES);
    if (cut !== value)
      notes.add(`a ${Buffer.byteLength(value)}-byte string was cut to ${MAX_EVIDENCE_STRING_BYTES} bytes`);
    return printable(cut);
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) {
    notes.add(`evidence nested deeper than ${MAX_DEPTH} levels was left out`);
    return '(too deep)';
  }
  if (Array.isArray(value)) return value.map((v) => sanitize(v, notes, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [printable(k), sanitize(v, notes, depth + 1)]),
  );
}

/** Template variables every subject has. */
function baseVars(obj: Json): Record<string, string> {
  const meta = asRecord(obj.metadata);
  const vars: Record<string, string> = {
    name: asString(meta?.name) ?? '',
    namespace: asString(meta?.namespace) ?? '',
    kind: asString(obj.kind) ?? '',
    apiVersion: asString(obj.apiVersion) ?? '',
    uid: asString(meta?.uid) ?? '',
  };
  return vars;
}

function runAnalyser(obj: Json, notes: Notes): ReturnType<KindAnalyser> {
  const kind = asString(obj.kind) ?? '';
  const analyser = analyserOf(obj, groupOf(asString(obj.apiVersion) ?? ''), kind);
  try {
    return analyser(obj, notes);
  } catch (err: unknown) {
    // Odd input must never stop an alert: fall back to what the generic reader gets.
    notes.add(
      `the ${kind || 'object'} analyser failed (${err instanceof Error ? err.message : String(err)}); generic facts only`,
    );
    return analyseGeneric(obj, notes);
  }
}

/**
 * Everything an alert needs from its subject: evidence (`metadata` plus kind-specific facts),
 * notes on what could not be read, a summary line, template variables and the risks found in it
 * (checks that need the cluster, such as missing Ingress backends, are enrichers). Never throws.
 */
export function analyseSubject(obj: unknown): SubjectAnalysis {
  const notes = new Notes();
  const o = asRecord(obj) ?? {};
  if (o !== obj) notes.add('the subject is not a JSON object; nothing could be read');
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string')
    notes.add('apiVersion or kind is missing');
  const metadata = readMetadata(o, notes);
  const part = runAnalyser(o, notes);
  const kind = asString(o.kind) ?? '';
  const budget = evidenceBudget(groupOf(asString(o.apiVersion) ?? ''), kind, podSpecPath(o) !== undefined);
  const bounded = boundEvidence(
    sanitize({ ...part.evidence, metadata }, notes) as Record<string, unknown>,
    budget,
    kind,
  );
  if (bounded.note) notes.add(bounded.note);
  const evidence = bounded.evidence;
  const ruleFailures: RuleFailure[] = [];
  const risks = analyseRisks(o, {}, ruleFailures);
  for (const f of ruleFailures) notes.add(ruleFailureNote(f));
  return {
    evidence,
    notes: notes.all(),
    summary: truncateUtf8(printable(part.summary), MAX_SUMMARY_BYTES),
    vars: { ...baseVars(o), ...part.vars },
    risks,
    ruleFailures,
  };
}
