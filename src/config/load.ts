import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { poolTooSmall } from './pool.js';
import { nestedKey, SETTINGS_SCHEMA, type SettingGroup, type Settings } from './schema.js';

type Props = typeof SETTINGS_SCHEMA.properties;
type Key = keyof Props;

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true });
const validate = ajv.compile<Settings>(SETTINGS_SCHEMA);

/** `watchStallSeconds` → `--watch-stall-seconds`. */
export const flagName = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
/** `watchStallSeconds` → `TRIPLINE_WATCH_STALL_SECONDS`. */
export const envName = (k: string): string =>
  `TRIPLINE_${flagName(k).slice(2).replace(/-/g, '_').toUpperCase()}`;

/** A settings error a user can act on (bad flag, bad value, unreadable file). */
export class SettingsError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'SettingsError';
  }
}

/**
 * Reads settings from, in increasing precedence: defaults, `--config FILE` (YAML or JSON),
 * `TRIPLINE_*` environment variables, flags. This is the only module that reads `process.env`.
 */
export function loadSettings(argv: string[], env: NodeJS.ProcessEnv = process.env): Settings {
  const options: Record<string, { type: 'string' }> = { config: { type: 'string' } };
  for (const k of Object.keys(SETTINGS_SCHEMA.properties)) options[flagName(k).slice(2)] = { type: 'string' };
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string
    >;
  } catch (err: unknown) {
    throw new SettingsError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const merged: Record<string, unknown> = { ...readFile(values.config ?? env.TRIPLINE_CONFIG) };
  for (const k of Object.keys(SETTINGS_SCHEMA.properties) as Key[]) {
    const fromEnv = env[envName(k)];
    if (fromEnv !== undefined) merged[k] = fromEnv;
    const fromFlag = values[flagName(k).slice(2)];
    if (fromFlag !== undefined) merged[k] = fromFlag;
  }
  if (!validate(merged)) {
    const msg = (validate.errors ?? [])
      .map((e) =>
        e.keyword === 'additionalProperties'
          ? `${String(e.params.additionalProperty)}: not a setting`
          : `${e.instancePath.slice(1) || 'settings'}: ${e.message}`,
      )
      .join('; ');
    throw new SettingsError(`invalid settings: ${msg}`);
  }
  const broken = CROSS_CHECKS.filter(([holds]) => !holds(merged)).map(([, message]) => message);
  const pool = poolTooSmall(merged);
  if (pool) broken.push(pool);
  if (broken.length > 0) throw new SettingsError(`invalid settings: ${broken.join('; ')}`);
  return merged;
}

/** Rules across several settings, which JSON Schema cannot express. */
const CROSS_CHECKS: ReadonlyArray<[(s: Settings) => boolean, string]> = [
  [
    (s) => s.leaseDurationSeconds > s.renewDeadlineSeconds && s.renewDeadlineSeconds > s.retryPeriodSeconds,
    'leader election needs leaseDurationSeconds > renewDeadlineSeconds > retryPeriodSeconds',
  ],
  [
    // Fail closed: an endpoint anyone who reaches the port could feed would let them forge traffic.
    (s) => s.trafficListenAddress === 'off' || s.trafficTokenFile !== '',
    '--traffic-listen-address needs --traffic-token-file: the access-log endpoint does not run without authentication',
  ],
];

function readFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let parsed: unknown;
  try {
    parsed = YAML.parse(readFileSync(path, 'utf8'));
  } catch (err: unknown) {
    throw new SettingsError(`cannot read config file ${path}`, { cause: err });
  }
  return parsed && typeof parsed === 'object' ? flatten(parsed as Record<string, unknown>, path) : {};
}

/** Each group's settings by their nested key: `traffic` → `maxIngresses` → `trafficMaxIngresses`. */
const NESTED: ReadonlyMap<string, ReadonlyMap<string, string>> = (() => {
  const m = new Map<SettingGroup, Map<string, string>>();
  for (const name of Object.keys(SETTINGS_SCHEMA.properties)) {
    const { group, key } = nestedKey(name);
    const names = m.get(group) ?? new Map<string, string>();
    if (names.has(key))
      throw new Error(`settings ${names.get(key)} and ${name} nest as the same ${group}.${key}`);
    names.set(key, name);
    m.set(group, names);
  }
  return m;
})();

/**
 * The config file's settings by their flat names. The file may nest them by feature
 * (`traffic: { maxIngresses: 100 }`, core ones under `core:` or at the top level) or give them
 * flat (`trafficMaxIngresses: 100`), or both; a setting given twice, or a nested key that is not a
 * setting of its group, is refused. Unknown flat keys are refused by the schema.
 */
function flatten(file: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const spelled = new Map<string, string>();
  const set = (name: string, value: unknown, as: string): void => {
    const before = spelled.get(name);
    if (before !== undefined)
      throw new SettingsError(`config file ${path}: ${name} is given twice (${before} and ${as})`);
    spelled.set(name, as);
    out[name] = value;
  };
  for (const [k, v] of Object.entries(file)) {
    const names = NESTED.get(k);
    if (!names) {
      set(k, v, k);
      continue;
    }
    const known = [...names.keys()].join(', ');
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new SettingsError(`config file ${path}: ${k} must be a map of its settings (${known})`);
    for (const [nk, nv] of Object.entries(v)) {
      const name = names.get(nk);
      if (name === undefined)
        throw new SettingsError(`config file ${path}: ${k}.${nk} is not a setting; ${k} takes ${known}`);
      set(name, nv, `${k}.${nk}`);
    }
  }
  return out;
}

/** `--help` text for `tripline run`, generated from the schema so it cannot drift. */
export function settingsHelp(): string {
  const lines = [
    '  --config FILE                      YAML/JSON file with any of the settings below (env: TRIPLINE_CONFIG),',
    '                                     flat or nested by feature (traffic: {maxIngresses: 100}; docs/configuration.md)',
  ];
  for (const [k, p] of Object.entries(SETTINGS_SCHEMA.properties)) {
    const prop = p as { description: string; default: unknown };
    lines.push(`  ${`${flagName(k)} VALUE`.padEnd(34)} ${prop.description}`);
    lines.push(`  ${''.padEnd(34)} default: ${JSON.stringify(prop.default)}; env: ${envName(k)}`);
  }
  return lines.join('\n');
}

/** True when stderr is a terminal (text logs for people). */
export const isTerminal = (): boolean => process.stderr.isTTY === true;

/** Where the API server is, from settings and the environment a Pod or a shell provides. */
export interface ApiLocation {
  kubeconfig?: string;
  inCluster?: { host: string; port: string };
}

/**
 * Resolves cluster access like kubectl and client-go: `--kubeconfig`, else in a Pod the service
 * account (KUBERNETES_SERVICE_HOST/PORT), else the first file of $KUBECONFIG, else ~/.kube/config.
 */
export function apiLocation(settings: Settings, env: NodeJS.ProcessEnv = process.env): ApiLocation {
  if (settings.kubeconfig) return { kubeconfig: settings.kubeconfig };
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host) return { inCluster: { host, port: env.KUBERNETES_SERVICE_PORT ?? '443' } };
  const fromEnv = env.KUBECONFIG?.split(':').find(Boolean);
  if (fromEnv) return { kubeconfig: fromEnv };
  return env.HOME ? { kubeconfig: `${env.HOME}/.kube/config` } : {};
}
