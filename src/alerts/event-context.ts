/**
 * Facts about the event that the subject alone does not hold: who made an update (the newest
 * managedFields write) and which objects refer to the subject (`match.referencedBy`). Merged into
 * the built alert before enrichment; pure.
 */

import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { Referrers } from '../detections/references.js';
import { truncateUtf8 } from '../subjects/read.js';
import type { Write } from '../subjects/writes.js';

/** What is known about the event beyond the subject. */
export interface EventContext {
  /** For updates: the newest write to the object. */
  writer?: Write;
  /** For detections with `match.referencedBy`: the objects naming the subject. */
  referrers?: Referrers;
}

/** The summary's limit in the AuditAlert CRD. */
const MAX_SUMMARY_BYTES = 1024;
/** Referring objects named in the summary; the evidence lists up to MAX_REFERRERS. */
const SUMMARY_REFERRERS = 3;

/**
 * The alert with `evidence.changedBy` (for updates) and `evidence.referencedBy` (plus
 * `referencedByTotal` when more exist than are listed), and the referring objects named at the end
 * of the summary, so `kubectl get aal -o wide` shows which Ingress a Secret alert is about.
 */
export function withEventContext(alert: AuditAlert, ctx: EventContext): AuditAlert {
  const evidence: Record<string, unknown> = { ...(alert.spec.evidence ?? {}) };
  let summary = alert.spec.summary;
  if (ctx.writer) evidence.changedBy = { ...ctx.writer, source: 'managedFields (newest write)' };
  const refs = ctx.referrers;
  if (refs && refs.total > 0) {
    evidence.referencedBy = refs.items;
    if (refs.total > refs.items.length) evidence.referencedByTotal = refs.total;
    summary = truncateUtf8(`${summary}; referenced by ${referrerList(refs)}`, MAX_SUMMARY_BYTES);
  }
  if (!ctx.writer && !(refs && refs.total > 0)) return alert;
  return { ...alert, spec: { ...alert.spec, summary, evidence } };
}

/** `Ingress shop (a.example.com), Ingress api +2 more`. */
function referrerList(refs: Referrers): string {
  const named = refs.items.slice(0, SUMMARY_REFERRERS).map((r) => {
    const hosts = r.context?.hosts;
    const detail = Array.isArray(hosts) && hosts.length > 0 ? ` (${hosts.slice(0, 3).join(', ')})` : '';
    return `${r.kind} ${r.name}${detail}`;
  });
  const more = refs.total - named.length;
  return more > 0 ? `${named.join(', ')} +${more} more` : named.join(', ');
}
