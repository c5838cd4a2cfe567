import { countBySeverity, type Report } from './report.js';

/**
 * The report as one JSON document for scripts: a summary with counts per severity, the findings
 * (most severe first) with object and location, the kinds not analysed, warnings, notes and errors.
 */
export function renderJson(report: Report, version: string): string {
  const out = {
    tool: { name: 'tripline', version },
    summary: {
      objects: report.objects,
      analysed: report.analysed,
      risks: countBySeverity(report.findings),
    },
    findings: report.findings.map((f) => ({ ...f.risk, object: f.object, location: f.location })),
    notAnalysed: report.notAnalysed,
    warnings: report.warnings,
    notes: report.notes,
    errors: report.errors,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
