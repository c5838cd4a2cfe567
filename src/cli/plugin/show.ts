import YAML from 'yaml';
import { LABELS } from '../../api/constants.js';
import type { AlertStep, AuditAlert, AuditAlertStatus } from '../../api/generated/audit-alert.js';
import type { AuditDetection } from '../../api/generated/audit-detection.js';
import { morePointer } from '../../rbac/question.js';
import { explainSteps } from './step-details.js';
import { alignColumns, humanDuration } from './table.js';
import { terminalSafe } from './terminal.js';

const WIDTH = 100;
type Field = [label: string, value: string | number | undefined];

/**
 * A readable rendering of one alert, top to bottom in the order a responder reads it. Every string
 * in it passes through {@link terminalSafe} first: notes, annotations and names come from people
 * Tripline watches, and a raw escape sequence could rewrite what the responder's terminal shows.
 */
export function renderAlert(raw: AuditAlert, now: number, detection?: AuditDetection): string {
  const { investigation, resolution, note } = explainSteps(raw, detection);
  const a = terminalSafe({ ...raw, spec: { ...raw.spec, investigation, resolution } });
  const stepsNote = note === undefined ? undefined : terminalSafe(note);
  const sections = [
    overview(a, now),
    section('Subject', fields(subjectFields(a))),
    section('Actor', fields(actorFields(a))),
    section('Evidence', indent(evidenceYaml(a.spec.evidence))),
    section('Risks', risks(a)),
    section('Who can do the same', whoCan(a)),
    section('Investigation', steps(a.spec.investigation)),
    section('Resolution', steps(a.spec.resolution)),
    stepsNote ? `  (${stepsNote})` : '',
    section('Notes', (a.spec.notes ?? []).map((n) => `  - ${n}`).join('\n')),
    section('Status', status(a.status)),
    section('History', history(a.status)),
  ];
  return `${sections.filter(Boolean).join('\n\n')}\n`;
}

function overview(a: AuditAlert, now: number): string {
  const det = a.spec.detection;
  return fields([
    ['Cluster', a.metadata.labels?.[LABELS.cluster]],
    ['Name', a.metadata.name],
    ['Summary', a.spec.summary],
    ['State', a.status?.state ?? 'Open'],
    ['Severity', a.spec.severity],
    ['Category', a.spec.category],
    ['Event', a.spec.event],
    ['Detection', det.generation === undefined ? det.name : `${det.name} (generation ${det.generation})`],
    ['Detected', when(a.spec.detectedAt, now)],
  ]).replace(/^ {2}/gm, '');
}

function subjectFields(a: AuditAlert): Field[] {
  const s = a.spec.subject;
  return [
    ['Kind', `${s.kind} (${s.apiVersion})`],
    ['Namespace', s.namespace],
    ['Name', s.name],
    ['UID', s.uid],
    ['Created', s.creationTimestamp],
    ['Resource version', s.resourceVersion],
  ];
}

function actorFields(a: AuditAlert): Field[] {
  const x = a.spec.actor ?? {};
  return [
    ['User', x.username],
    ['Groups', x.groups?.join(', ')],
    ['Field manager', x.fieldManager],
    ['Operation', x.operation],
    ['User agent', x.userAgent],
    ['Source IPs', x.sourceIPs?.join(', ')],
    ['Time', x.time],
    ['Known from', x.source?.join(', ')],
  ];
}

function evidenceYaml(evidence: Record<string, unknown> | undefined): string {
  if (!evidence || Object.keys(evidence).length === 0) return '';
  return YAML.stringify(evidence, { lineWidth: 0 }).trimEnd();
}

function risks(a: AuditAlert): string {
  return (a.spec.risks ?? [])
    .map((r) => {
      const ref = r.reference ? `\n${wrap(`see ${r.reference}`, 6)}` : '';
      return `  - [${r.severity}] ${r.id}\n${wrap(r.message, 6)}${ref}`;
    })
    .join('\n');
}

/**
 * The grants the alert lists, then how many there are in all and the command that prints the rest
 * (from `evidence.whoCanSummary`, whose total counts every grant the operator found).
 */
function whoCan(a: AuditAlert): string {
  const listed = a.spec.whoCan ?? [];
  const rows = listed.map((w) => [
    w.kind,
    w.namespace ? `${w.namespace}/${w.name}` : w.name,
    w.via ? `via ${w.via}` : '',
  ]);
  const lines = rows.length > 0 ? [indent(alignColumns(rows))] : [];
  const summary = a.spec.evidence?.whoCanSummary as { total?: unknown } | undefined;
  const total = typeof summary?.total === 'number' ? summary.total : undefined;
  if (total !== undefined && total > listed.length)
    lines.push(
      `  ${listed.length} of ${total} listed; ${morePointer(a.metadata.name ?? 'NAME', total - listed.length)}`,
    );
  return lines.join('\n');
}

/** Numbered steps: the title, the detail wrapped, and the command to run on a `$` line. */
export function steps(list: AlertStep[] | undefined): string {
  return (list ?? [])
    .map((s, i) => {
      const head = `  ${i + 1}. ${s.title}`;
      const detail = s.detail ? `\n${wrap(s.detail, 5)}` : '';
      const cmd = s.command ? `\n     $ ${s.command.trimEnd().replace(/\n/g, '\n       ')}` : '';
      return head + detail + cmd;
    })
    .join('\n');
}

function status(st: AuditAlertStatus | undefined): string {
  const rem = st?.remediation;
  const remediation = rem?.action
    ? `${rem.action}${rem.result ? ` → ${rem.result}` : ' (requested)'}${rem.message ? `: ${rem.message}` : ''}${rem.requestedBy ? ` (asked by ${rem.requestedBy})` : ''}`
    : undefined;
  const lines = fields([
    ['State', st?.state ?? 'Open'],
    ['Resolved at', st?.resolvedAt],
    ['Reason', st?.reason],
    ['Note', st?.note],
    ['Assignee', st?.assignee],
    ['Remediation', remediation],
  ]);
  const conds = (st?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]);
  return conds.length > 0 ? `${lines}\n  Conditions:\n${indent(alignColumns(conds), 4)}` : lines;
}

function history(st: AuditAlertStatus | undefined): string {
  const rows = (st?.history ?? []).map((h) => [
    h.time,
    `${h.from ?? ''} → ${h.to}`,
    h.reason ?? '',
    h.by ? `by ${h.by}` : '',
    h.note ? `"${h.note}"` : '',
  ]);
  return rows.length > 0 ? indent(alignColumns(rows)) : '';
}

function section(title: string, body: string): string {
  return body ? `${title}:\n${body}` : '';
}

/** `  Label:  value` lines for the fields that have a value, labels aligned. */
function fields(list: Field[]): string {
  const present = list.filter(([, v]) => v !== undefined && v !== '');
  const width = Math.max(0, ...present.map(([l]) => l.length + 1));
  return present.map(([l, v]) => `  ${`${l}:`.padEnd(width)}  ${v}`).join('\n');
}

function when(time: string | undefined, now: number): string | undefined {
  if (!time) return undefined;
  return `${time} (${humanDuration(now - new Date(time).getTime())} ago)`;
}

function indent(text: string, by = 2): string {
  if (!text) return '';
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

/** Word-wraps prose to the page width at the given indentation. */
export function wrap(text: string, by: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.trim().split(/\s+/)) {
    if (line && by + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return indent(lines.join('\n'), by);
}
