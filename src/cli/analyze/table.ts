import { SEVERITIES } from '../../api/constants.js';
import { printable } from '../../subjects/read.js';
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

/** Rows written per chunk: the output is never one string of every row. */
const ROWS_PER_CHUNK = 512;

const cells = (f: Report['findings'][number]): string[] => [
  f.risk.severity,
  f.risk.id,
  objectText(f.object),
  shortLocation(f.location),
  printable(f.risk.message),
];

/**
 * The report for people, in chunks to write one after the other: one row per risk, most severe
 * first, then a summary, the kinds that have no rules, warnings (removed API versions, skipped
 * documents) and notes (what could not be decided offline). Every value from the input is
 * escaped, so a manifest cannot forge terminal output. Rows are made twice (once to measure the
 * columns) rather than held: a report of many thousands of risks stays small in memory.
 */
export function* tableChunks(report: Report): Generator<string> {
  if (report.findings.length > 0) {
    const widths = HEADER.map((h) => h.length);
    for (const f of report.findings)
      cells(f).forEach((c, i) => {
        widths[i] = Math.max(widths[i] ?? 0, c.length);
      });
    const line = (row: string[]): string =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('   ')
        .trimEnd();
    yield `${line(HEADER)}\n`;
    for (let at = 0; at < report.findings.length; at += ROWS_PER_CHUNK)
      yield `${report.findings
        .slice(at, at + ROWS_PER_CHUNK)
        .map((f) => line(cells(f)))
        .join('\n')}\n`;
    yield '\n';
  }
  const lines: string[] = [summary(report)];
  const kinds = Object.entries(report.notAnalysed).sort(([a], [b]) => a.localeCompare(b));
  if (kinds.length > 0)
    lines.push(
      `Not analysed (no risk rules for these kinds): ${kinds.map(([k, n]) => `${printable(k)} (${n})`).join(', ')}`,
    );
  lines.push(...remarks('Warnings', report.warnings), ...remarks('Notes', report.notes));
  yield `${lines.join('\n')}\n`;
}

/** {@link tableChunks} as one string. */
export const renderTable = (report: Report): string => [...tableChunks(report)].join('');
