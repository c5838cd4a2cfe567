import type { AlertStep } from '../api/generated/audit-alert.js';
import type { Step } from '../detections/steps.js';
import { truncateUtf8 } from '../subjects/read.js';

/**
 * Limits of the AuditAlert CRD that a value from a subject, a request or an access log could
 * exceed, for every source of alerts (objects, traffic, actions). crds/tripline.dev_auditalerts.yaml
 * is the source; a unit test fails when these drift from it.
 */
export const ALERT_LIMITS = {
  /** `spec.summary` maxLength. */
  summary: 1024,
  /** `spec.notes` maxItems, and each note's maxLength. */
  notes: 64,
  note: 1024,
  /** `spec.investigation` / `spec.resolution` maxItems. */
  steps: 32,
  /** A step's `title` maxLength, and `detail` and `command` maxLength. */
  stepTitle: 256,
  stepText: 4096,
  /** `spec.risks[].message` maxLength. */
  riskMessage: 2048,
  /** `spec.actor.sourceIPs` maxItems and each address's maxLength. */
  sourceIPs: 16,
  sourceIP: 64,
} as const;

const L = ALERT_LIMITS;

/** A rendered step within the CRD's limits; a command too long to keep whole is withheld, not cut. */
export function fitStep(step: Step): AlertStep {
  const out: AlertStep = { title: truncateUtf8(step.title, L.stepTitle) };
  if (step.detail !== undefined) out.detail = truncateUtf8(step.detail, L.stepText);
  if (step.command !== undefined && Buffer.byteLength(step.command) <= L.stepText) out.command = step.command;
  else if (step.command !== undefined)
    out.detail = truncateUtf8(`${out.detail ?? ''}\n(command withheld: too long)`.trim(), L.stepText);
  return out;
}

/** Rendered steps within the CRD's limits: at most {@link ALERT_LIMITS.steps}, each fitted. */
export const fitSteps = (steps: readonly Step[]): AlertStep[] => steps.slice(0, L.steps).map(fitStep);

/** Notes within the CRD's limits; when there are too many, the last one says how many were left out. */
export function fitNotes(notes: readonly string[]): string[] {
  const kept = notes.slice(0, L.notes).map((n) => truncateUtf8(n, L.note));
  if (notes.length > L.notes) kept[L.notes - 1] = `${notes.length - L.notes + 1} more notes left out`;
  return kept;
}
