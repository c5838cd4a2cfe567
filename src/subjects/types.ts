import type { Json, Notes } from './read.js';
import type { AlertRisk, RuleFailure } from './risks/types.js';

/** What one kind's analyser reads from an object. */
export interface KindAnalysis {
  /** Kind-specific facts; merged with the common metadata evidence. */
  evidence: Json;
  /** One line a human understands, starting with the kind and the object's name. */
  summary: string;
  /** Extra template variables this kind knows (e.g. `serviceAccount` for workloads). */
  vars?: Record<string, string>;
}

/** Reads one kind. Must not throw: what it cannot read goes into `notes`. */
export type KindAnalyser = (obj: Json, notes: Notes) => KindAnalysis;

/** Everything the alert needs from its subject. */
export interface SubjectAnalysis {
  /** Facts about the subject: `metadata` plus kind-specific keys. Never holds secret values. */
  evidence: Record<string, unknown>;
  /** What could not be read. */
  notes: string[];
  /** One line a human understands. */
  summary: string;
  /** Template variables known from the subject alone (name, namespace, kind, apiVersion, uid, nsFlag, ...). */
  vars: Record<string, string>;
  /** What is risky in the subject itself (src/subjects/risks), most severe first; never secret values. */
  risks: AlertRisk[];
  /** Risk rules whose check threw (each also has a note): left out, to be logged and counted. */
  ruleFailures: RuleFailure[];
}
