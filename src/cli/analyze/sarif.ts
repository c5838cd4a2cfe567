import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../../api/constants.js';
import { RULES, type RuleInfo } from '../../subjects/risks/index.js';
import { jsonChunks } from './chunks.js';
import type { Location } from './documents.js';
import type { Finding, Remark, Report } from './report.js';
import { STDIN_NAME } from './sources.js';
import { objectText } from './table.js';

/** SARIF `level` of each severity: High and Critical fail a code-scanning check by default. */
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  Critical: 'error',
  High: 'error',
  Medium: 'warning',
  Low: 'note',
  Info: 'note',
};
/**
 * GitHub's `security-severity` (CVSS-like, 0.1–10): ≥9 Critical, 7–8.9 High, 4–6.9 Medium, below
 * Low. Info carries none, so GitHub shows it as a plain note.
 */
const SECURITY_SEVERITY: Record<Severity, string | undefined> = {
  Critical: '9.5',
  High: '8.0',
  Medium: '5.5',
  Low: '3.0',
  Info: undefined,
};

/** `clusterrole.wildcard-verbs` → `ClusterroleWildcardVerbs`: SARIF's "friendly name" form. */
const friendlyName = (id: string): string =>
  id
    .split(/[.-]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

function rule(r: RuleInfo) {
  const securitySeverity = SECURITY_SEVERITY[r.severity];
  return {
    id: r.id,
    name: friendlyName(r.id),
    shortDescription: { text: `${r.title}.` },
    fullDescription: { text: r.description },
    helpUri: r.reference.url,
    help: {
      text: `${r.description} Applies to ${r.kinds}. Reference: ${r.reference.label} (${r.reference.url}).`,
    },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: {
      tags: ['security', 'kubernetes'],
      precision: 'high',
      ...(securitySeverity === undefined ? {} : { 'security-severity': securitySeverity }),
    },
  };
}

/**
 * The artifact URI of a source name: `stdin` as is, a relative path as a relative URI reference
 * (GitHub resolves it against the repository root), an absolute path as a `file:` URI.
 */
export function artifactUri(name: string): string {
  if (name === STDIN_NAME) return STDIN_NAME;
  if (path.isAbsolute(name)) return pathToFileURL(name).href;
  return name.split('/').map(encodeURIComponent).join('/');
}

function physicalLocation(l: Location) {
  return {
    physicalLocation: {
      artifactLocation: { uri: artifactUri(l.file) },
      ...(l.line === undefined ? {} : { region: { startLine: l.line } }),
    },
  };
}

/** A fingerprint that survives line moves: the rule and the object, not where it sits in the file. */
const fingerprint = (f: Finding): string =>
  createHash('sha256')
    .update(
      [f.risk.id, f.object.apiVersion, f.object.kind, f.object.namespace ?? '', f.object.name].join('\u0000'),
    )
    .digest('hex')
    .slice(0, 32);

function result(f: Finding, index: Map<string, number>) {
  return {
    ruleId: f.risk.id,
    ruleIndex: index.get(f.risk.id) ?? -1,
    level: LEVEL[f.risk.severity],
    message: { text: `${objectText(f.object)}: ${f.risk.message}` },
    locations: [
      {
        ...physicalLocation(f.location),
        logicalLocations: [
          {
            name: f.object.name,
            fullyQualifiedName: `${f.object.kind}/${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}`,
            kind: 'resource',
          },
        ],
      },
    ],
    partialFingerprints: { 'tripline/object/v1': fingerprint(f) },
  };
}

function notification(level: 'error' | 'warning' | 'note', location: Location, text: string) {
  return { level, message: { text }, locations: [physicalLocation(location)] };
}

const remarkText = (r: Remark): string => (r.object ? `${objectText(r.object)}: ${r.message}` : r.message);

/**
 * The report as a SARIF 2.1.0 log for GitHub code scanning: every rule in `tool.driver.rules`
 * (with `security-severity`), one result per risk located at the object's first line, and the
 * warnings, notes and errors as tool execution notifications.
 */
export function sarifChunks(report: Report, version: string): Generator<string> {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const notifications = [
    ...report.errors.map((e) => notification('error', e.location, e.message)),
    ...report.warnings.map((w) => notification('warning', w.location, remarkText(w))),
    ...report.notes.map((n) => notification('note', n.location, remarkText(n))),
  ];
  const log = (results: unknown[]) => ({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'tripline', version, semanticVersion: version, rules: RULES.map(rule) } },
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        results,
      },
    ],
  });
  return jsonChunks(log, report.findings, (f) => result(f, index));
}

/** {@link sarifChunks} as one string. */
export const renderSarif = (report: Report, version: string): string =>
  [...sarifChunks(report, version)].join('');
