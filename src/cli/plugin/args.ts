import { parseArgs } from 'node:util';
import {
  ALERT_STATES,
  REMEDIATION_ACTIONS,
  RESOLUTION_REASONS,
  SEVERITIES,
  type Severity,
} from '../../api/constants.js';

/** A command line that cannot be run as typed; the plugin exits with code 2. */
export class UsageError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'UsageError';
  }
}

/** One of the alert states. */
export type AlertState = (typeof ALERT_STATES)[number];
/** One of the resolution reasons. */
export type Reason = (typeof RESOLUTION_REASONS)[number];
/** One of the remediation actions. */
export type Action = (typeof REMEDIATION_ACTIONS)[number];
/** Output format of `list` and `who-can`. */
export type OutputFormat = 'table' | 'json';

/** Filters of `list`, each a server-side field selector. */
export interface ListFilters {
  state?: AlertState;
  severity?: Severity;
  detection?: string;
  namespace?: string;
}

/** Flags every cluster command accepts. */
interface Common {
  kubeconfig?: string;
}

/** A command that patches the alert's status subresource. */
export type PatchInvocation = Common &
  (
    | { command: 'ack'; name: string; note?: string }
    | { command: 'resolve'; name: string; reason: Reason; note?: string }
    | { command: 'reopen'; name: string }
    | { command: 'assign'; name: string; user: string }
    | { command: 'remediate'; name: string; action: Action }
  );

/** A command that talks to the API server. */
export type ClusterInvocation =
  | (Common & { command: 'list'; filters: ListFilters; output: OutputFormat })
  | (Common & { command: 'show'; name: string })
  | (Common & { command: 'who-can'; name: string; output: OutputFormat })
  | PatchInvocation;

/** What the user asked for, parsed and validated. */
export type Invocation =
  | { command: 'help'; topic?: CommandName }
  | { command: 'version' }
  | ClusterInvocation;

type Values = Record<string, string | boolean | undefined>;
type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** One row of the command table: its usage line, summary, flags and how to build the invocation. */
interface CommandSpec {
  usage: string;
  summary: string;
  positionals: string[];
  options: OptionSpec;
  build(pos: string[], v: Values): ClusterInvocation;
}

const str = (v: Values, k: string): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
const withNote = (v: Values): { note?: string } =>
  str(v, 'note') === undefined ? {} : { note: str(v, 'note') };

/** The plugin's commands; help text and parsing are both generated from this table. */
export const COMMANDS = {
  list: {
    usage: 'list [--state S] [--severity S] [--detection D] [--namespace NS] [-o table|json]',
    summary: 'List alerts, filtered by the API server (field selectors)',
    positionals: [],
    options: {
      state: { type: 'string' },
      severity: { type: 'string' },
      detection: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
    },
    build: (_pos, v) => ({ command: 'list', filters: listFilters(v), output: outputFormat(v) }),
  },
  show: {
    usage: 'show NAME',
    summary: 'Show an alert: summary, subject, actor, evidence, risks, steps, status, history',
    positionals: ['NAME'],
    options: {},
    build: ([name], _v) => ({ command: 'show', name: alertName(name) }),
  },
  'who-can': {
    usage: 'who-can NAME [-o table|json]',
    summary: "Everyone RBAC allows to do what the alert's actor did there (an alert lists the first few)",
    positionals: ['NAME'],
    options: { output: { type: 'string', short: 'o' } },
    build: ([name], v) => ({ command: 'who-can', name: alertName(name), output: outputFormat(v) }),
  },
  ack: {
    usage: 'ack NAME [--note TEXT]',
    summary: 'Acknowledge: someone is on it (state Acknowledged)',
    positionals: ['NAME'],
    options: { note: { type: 'string' } },
    build: ([name], v) => ({ command: 'ack', name: alertName(name), ...withNote(v) }),
  },
  resolve: {
    usage: `resolve NAME --reason ${RESOLUTION_REASONS.join('|')} [--note TEXT]`,
    summary: 'Resolve with a reason (Other also needs --note)',
    positionals: ['NAME'],
    options: { reason: { type: 'string' }, note: { type: 'string' } },
    build: ([name], v) => ({
      command: 'resolve',
      name: alertName(name),
      reason: required('reason', oneOf('reason', str(v, 'reason'), RESOLUTION_REASONS)),
      ...withNote(v),
    }),
  },
  reopen: {
    usage: 'reopen NAME',
    summary: 'Reopen: state Open, reason cleared',
    positionals: ['NAME'],
    options: {},
    build: ([name], _v) => ({ command: 'reopen', name: alertName(name) }),
  },
  assign: {
    usage: 'assign NAME USER',
    summary: 'Set the assignee (free text: a user, a team)',
    positionals: ['NAME', 'USER'],
    options: {},
    build: ([name, user], _v) => ({ command: 'assign', name: alertName(name), user: user ?? '' }),
  },
  remediate: {
    usage: `remediate NAME --action ${REMEDIATION_ACTIONS.join('|')}`,
    summary: 'Ask the operator to remediate (only actions the detection allows are executed)',
    positionals: ['NAME'],
    options: { action: { type: 'string' } },
    build: ([name], v) => ({
      command: 'remediate',
      name: alertName(name),
      action: required('action', oneOf('action', str(v, 'action'), REMEDIATION_ACTIONS)),
    }),
  },
} satisfies Record<string, CommandSpec>;

/** Name of a plugin command. */
export type CommandName = keyof typeof COMMANDS;

const COMMON_OPTIONS: OptionSpec = { kubeconfig: { type: 'string' }, help: { type: 'boolean', short: 'h' } };

/** Parses the plugin's arguments (everything after `kubectl tripline`); throws {@link UsageError}. */
export function parseInvocation(argv: string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined)
    throw new UsageError(`no command given; commands: ${Object.keys(COMMANDS).join(', ')}`);
  if (first === '--help' || first === '-h') return { command: 'help' };
  if (first === 'version' || first === '--version') return { command: 'version' };
  if (first === 'help')
    return { command: 'help', topic: rest[0] === undefined ? undefined : commandName(rest[0]) };
  const name = commandName(first);
  const spec: CommandSpec = COMMANDS[name];
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help', topic: name };
  const { values, positionals } = parseFlags(name, spec, rest);
  if (positionals.length !== spec.positionals.length) {
    const want = spec.positionals.length === 0 ? 'no arguments' : spec.positionals.join(' and ');
    throw new UsageError(`"${name}" takes ${want}: kubectl tripline ${spec.usage}`);
  }
  const inv = spec.build(positionals, values);
  const kubeconfig = str(values, 'kubeconfig');
  return kubeconfig === undefined ? inv : { ...inv, kubeconfig };
}

function commandName(word: string): CommandName {
  if (Object.hasOwn(COMMANDS, word)) return word as CommandName;
  throw new UsageError(`unknown command "${word}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
}

function parseFlags(
  name: string,
  spec: CommandSpec,
  args: string[],
): { values: Values; positionals: string[] } {
  try {
    return parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...spec.options },
      strict: true,
      allowPositionals: true,
    });
  } catch (err: unknown) {
    const msg = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']+)'/.exec(msg);
    throw new UsageError(unknown ? `unknown flag "${unknown[1]}" for "${name}"` : msg, { cause: err });
  }
}

function listFilters(v: Values): ListFilters {
  const f: ListFilters = {};
  const state = oneOf('state', str(v, 'state'), ALERT_STATES);
  const severity = oneOf('severity', str(v, 'severity'), SEVERITIES);
  if (state) f.state = state;
  if (severity) f.severity = severity;
  const detection = str(v, 'detection');
  const namespace = str(v, 'namespace');
  if (detection !== undefined) f.detection = detection;
  if (namespace !== undefined) f.namespace = namespace;
  return f;
}

function outputFormat(v: Values): OutputFormat {
  return oneOf('output', str(v, 'output'), ['table', 'json'] as const) ?? 'table';
}

/** Matches a value case-insensitively against the allowed ones and returns the canonical spelling. */
function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  const hit = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (hit) return hit;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
}

function required<T>(flag: string, value: T | undefined): T {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  return value;
}

const RESOURCE_PREFIX = /^(auditalerts?(\.tripline\.dev)?|aal)\//;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Accepts `NAME` and the `auditalert.tripline.dev/NAME` form `kubectl get -o name` prints. */
function alertName(raw: string | undefined): string {
  const name = (raw ?? '').replace(RESOURCE_PREFIX, '');
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    throw new UsageError(`"${raw}" is not a valid alert name`);
  return name;
}
