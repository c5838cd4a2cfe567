import { SEVERITIES } from '../../detections/severity.js';
import { printable } from '../../subjects/read.js';
import { alignColumns } from '../plugin/table.js';
import { describeLocation, type Location } from './documents.js';
import { countBySeverity, type ObjectRef, type Remark, type Report } from './report.js';

const HEADER = ['SEVERITY', 'RISK', 'OBJECT', 'LOCATION', 'MESSAGE'];

/** `Kind namespace/name`, or `Kind name` when cluster-scoped or the namespace is left to kubectl. */
export const objectText = (o: ObjectRef): string =>
  printable(`${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`);

/** `file:line`, or `file#document` when the line is unknown. */
export const shortLocation = (l: Location): string =>
  printable(l.line === undefined ? `${l.file}#${l.document}` : `${l.file}:${l.line}`);

function remarks(title: string, list: Remark[]): string[] {
  if (list.length === 0) return [];
  return [
    '',
    `${title}:`,
    ...list.map(
      (r) =>
        `  ${printable(describeLocation(r.location))}${r.object ? ` ${objectText(r.object)}` : ''}: ${printable(r.message)}`,
    ),
  ];
}

function summary(report: Report): string {
  const counts = countBySeverity(report.findings);
  const bySeverity = SEVERITIES.map((s) => `${counts[s]} ${s}`).join(', ');
  const objects = `${report.analysed} analysed object${report.analysed === 1 ? '' : 's'} (of ${report.objects})`;
  return report.findings.length === 0
    ? `No risks found in ${objects}.`
    : `${report.findings.length} risk${report.findings.length === 1 ? '' : 's'} in ${objects}: ${bySeverity}.`;
}

/**
 * The report for people: one row per risk, most severe first, then a summary, the kinds that have
 * no rules, warnings (removed API versions) and notes (what could not be decided offline). Every
 * value from the input is escaped, so a manifest cannot forge terminal output.
 */
export function renderTable(report: Report): string {
  const rows = report.findings.map((f) => [
    f.risk.severity,
    f.risk.id,
    objectText(f.object),
    shortLocation(f.location),
    printable(f.risk.message),
  ]);
  const lines: string[] = [];
  if (rows.length > 0) lines.push(alignColumns([HEADER, ...rows]), '');
  lines.push(summary(report));
  const kinds = Object.entries(report.notAnalysed).sort(([a], [b]) => a.localeCompare(b));
  if (kinds.length > 0)
    lines.push(
      `Not analysed (no risk rules for these kinds): ${kinds.map(([k, n]) => `${printable(k)} (${n})`).join(', ')}`,
    );
  lines.push(...remarks('Warnings', report.warnings), ...remarks('Notes', report.notes));
  return `${lines.join('\n')}\n`;
}
