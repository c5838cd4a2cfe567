import { jsonChunks } from './chunks.js';
import { countBySeverity, type Finding, type Report } from './report.js';

const finding = (f: Finding) => ({ ...f.risk, object: f.object, location: f.location });

/**
 * The report as one JSON document for scripts, in chunks: a summary with counts per severity, the
 * findings (most severe first) with object and location, the kinds not analysed, warnings, notes
 * and errors.
 */
export function jsonReportChunks(report: Report, version: string): Generator<string> {
  return jsonChunks(
    (findings) => ({
      tool: { name: 'tripline', version },
      summary: {
        objects: report.objects,
        analysed: report.analysed,
        risks: countBySeverity(report.findings),
      },
      findings,
      notAnalysed: report.notAnalysed,
      warnings: report.warnings,
      notes: report.notes,
      errors: report.errors,
    }),
    report.findings,
    finding,
  );
}

/** {@link jsonReportChunks} as one string. */
export const renderJson = (report: Report, version: string): string =>
  [...jsonReportChunks(report, version)].join('');
