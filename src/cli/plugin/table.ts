import { LABELS } from '../../api/constants.js';
import type { AuditAlert } from '../../api/generated/audit-alert.js';
import type { ListFilters } from './args.js';
import { terminalSafe } from './terminal.js';

/** The field selector for `list` filters, e.g. `status.state=Open,spec.severity=High`. */
export function fieldSelector(f: ListFilters): string | undefined {
  const parts: [string, string | undefined][] = [
    ['status.state', f.state],
    ['spec.severity', f.severity],
    ['spec.detection.name', f.detection],
    ['spec.subject.namespace', f.namespace],
  ];
  const terms = parts.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${escapeValue(v as string)}`);
  return terms.length > 0 ? terms.join(',') : undefined;
}

/** Escapes a field selector value as apimachinery's `fields.EscapeValue` does. */
function escapeValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

const HEADER = ['NAME', 'STATE', 'SEVERITY', 'DETECTION', 'KIND', 'NAMESPACE', 'SUBJECT', 'AGE'];

/** The `--cluster-name` of the operator that raised the alert (its label), or undefined. */
export const clusterOf = (a: AuditAlert): string | undefined => a.metadata?.labels?.[LABELS.cluster];

/**
 * Alerts as the columns of `kubectl get auditalerts`, aligned like kubectl's table printer; a
 * CLUSTER column leads when any alert carries the cluster label (`--cluster-name`).
 */
export function alertTable(alerts: AuditAlert[], now: number): string {
  const withCluster = alerts.some((a) => clusterOf(a) !== undefined);
  const rows = alerts
    .map((raw) => terminalSafe(raw))
    .map((a) => [
      ...(withCluster ? [clusterOf(a) ?? ''] : []),
      a.metadata.name ?? '',
      a.status?.state ?? 'Open',
      a.spec.severity,
      a.spec.detection.name,
      a.spec.subject.kind,
      a.spec.subject.namespace ?? '',
      a.spec.subject.name,
      age(a.metadata.creationTimestamp, now),
    ]);
  return alignColumns([[...(withCluster ? ['CLUSTER'] : []), ...HEADER], ...rows]);
}

/** Left-aligned columns separated by three spaces, trailing blanks trimmed. */
export function alignColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((r) => `${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('   ')}`.trimEnd())
    .join('\n');
}

function age(created: Date | string | undefined, now: number): string {
  if (created === undefined) return '<unknown>';
  return humanDuration(now - new Date(created).getTime());
}

/** A duration the way kubectl prints ages: `45s`, `5m3s`, `12m`, `3h4m`, `20h`, `3d5h`, `40d`, `3y2d`. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return pair(m, 'm', s % 60, 's');
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return pair(h, 'h', m % 60, 'm');
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return pair(d, 'd', h % 24, 'h');
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (d < 365 * 8) return pair(y, 'y', d % 365, 'd');
  return `${y}y`;
}

const pair = (a: number, ua: string, b: number, ub: string): string =>
  b === 0 ? `${a}${ua}` : `${a}${ua}${b}${ub}`;
