import { subjectRef } from '../generic.js';
import { asRecord, compact, type Json, type Notes, rec, str } from '../read.js';
import type { KindAnalysis } from '../types.js';

/** Label prefix of Pod Security admission. */
const POD_SECURITY = 'pod-security.kubernetes.io/';
/** The three Pod Security modes, each with an optional `-version` label. */
const MODES = ['enforce', 'audit', 'warn'] as const;

/** The Pod Security labels, by mode (`enforce`, `enforce-version`, ...). */
function podSecurity(labels: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith(POD_SECURITY) && typeof v === 'string') out[k.slice(POD_SECURITY.length)] = v;
  }
  return out;
}

/** Namespace: its labels with the Pod Security ones called out, and its phase. */
export function analyseNamespace(obj: Json, notes: Notes): KindAnalysis {
  const labels = asRecord(asRecord(obj.metadata)?.labels) ?? {};
  const pss = podSecurity(labels);
  const missing = MODES.filter((m) => pss[m] === undefined);
  const status = rec(obj, 'status', 'status', notes);
  const evidence = compact({
    podSecurity: pss,
    podSecurityModesMissing: missing.length > 0 ? missing : undefined,
    phase: str(status, 'phase', 'status.phase', notes),
  });
  const enforce =
    pss.enforce === undefined ? 'no Pod Security enforce label' : `Pod Security enforce=${pss.enforce}`;
  const count = Object.keys(labels).length;
  return {
    evidence,
    summary: `Namespace ${subjectRef(obj)}: ${enforce}; ${count} label${count === 1 ? '' : 's'}`,
  };
}
