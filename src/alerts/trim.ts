import type { AuditAlert } from '../api/generated/audit-alert.js';
import { type Caps, type Cuts, cap } from '../subjects/bound.js';
import { printable, truncateUtf8 } from '../subjects/read.js';

/** How hard to trim: each level is tried when the API server refused the previous one as too large. */
export type TrimLevel = 1 | 2 | 3;

/** Per level: the longest string (bytes) and the most items of a list or entries of a map kept. */
const CAPS: Record<1 | 2, Caps> = {
  1: { bytes: 1024, items: 50 },
  2: { bytes: 256, items: 10 },
};
/** The CRD's `maxItems` on `spec.notes`. */
const MAX_NOTES = 64;

function describe(level: TrimLevel, cuts: Cuts): string {
  const head = `evidence trimmed (level ${level}) because the API server refused the alert as too large`;
  if (level === 3) return `${head}: all evidence left out; read the subject itself`;
  const { bytes, items } = CAPS[level];
  return `${head}: ${cuts.strings} strings cut to ${bytes} bytes, ${cuts.lists} lists or maps cut to ${items} entries`;
}

function addNote(notes: string[] | undefined, note: string): string[] {
  const out = [...(notes ?? [])];
  if (out.length >= MAX_NOTES) out[MAX_NOTES - 1] = note;
  else out.push(note);
  return out;
}

/**
 * A copy of `alert` with smaller evidence, for when the API server refuses to store it (413, or
 * etcd's "request is too large"). Level 1 caps strings at 1 KiB and lists (and maps) at 50 entries;
 * level 2 at 256 bytes and 10; level 3 replaces evidence with `{ trimmed: true }`. A note says what
 * was cut. Pure: the input is not changed.
 */
export function trimEvidence(alert: AuditAlert, level: TrimLevel): AuditAlert {
  const out = structuredClone(alert);
  const cuts: Cuts = { strings: 0, lists: 0 };
  out.spec.evidence =
    level === 3
      ? { trimmed: true }
      : (cap(out.spec.evidence ?? {}, CAPS[level], cuts) as Record<string, unknown>);
  out.spec.notes = addNote(out.spec.notes, describe(level, cuts));
  return out;
}

/** Longest summary kept in the minimal form (the CRD allows 1024 bytes; this leaves no doubt). */
const MINIMAL_SUMMARY_BYTES = 256;
/** The CRD's `maxLength` of one note. */
const MAX_NOTE_BYTES = 1024;
/** How much of the API server's answer the reduction note quotes. */
const QUOTED_REASON_BYTES = 512;

/**
 * The alert in its minimal form, for when the API server refused it as invalid (422) or too large
 * even with evidence trimmed: only what the CRD requires (detection, severity, category, event, a
 * short summary, subject, detectedAt) plus the name, labels and changeKey that make it the same
 * alert, `evidence: { reduced: true }` and one note saying it was reduced and why (`reason`, the
 * API server's answer, quoted in part). Risks, actor, whoCan, steps and the other notes are left
 * out: the subject itself holds the facts. Pure: the input is not changed.
 */
export function minimalAlert(alert: AuditAlert, reason: string): AuditAlert {
  const s = alert.spec;
  const quoted = truncateUtf8(printable(reason), QUOTED_REASON_BYTES);
  const note = truncateUtf8(
    `alert reduced to its minimal form because the API server refused it (${quoted}); evidence, risks, actor, steps and other notes left out: read the subject itself`,
    MAX_NOTE_BYTES,
  );
  return {
    apiVersion: alert.apiVersion,
    kind: alert.kind,
    metadata: { name: alert.metadata?.name, labels: { ...alert.metadata?.labels } },
    spec: {
      detection: { ...s.detection },
      severity: s.severity,
      category: s.category,
      event: s.event,
      summary: truncateUtf8(s.summary, MINIMAL_SUMMARY_BYTES),
      subject: { ...s.subject },
      detectedAt: s.detectedAt,
      ...(s.changeKey !== undefined ? { changeKey: s.changeKey } : {}),
      evidence: { reduced: true },
      notes: [note],
    },
  };
}
