/** The settings table of docs/configuration.md, from the one schema every setting is read against. */
import { envName, flagName } from '../../src/config/load.js';
import { SETTINGS_SCHEMA } from '../../src/config/schema.js';
import { table } from './markdown.js';

interface Prop {
  type?: string;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
  default: unknown;
  description: string;
}

/** What values a setting takes, as its schema says. */
function values(p: Prop): string {
  if (p.enum) return p.enum.map((v) => `\`${v}\``).join(', ');
  const bounds = [
    p.minimum !== undefined ? `≥ ${p.minimum}` : '',
    p.exclusiveMinimum !== undefined ? `> ${p.exclusiveMinimum}` : '',
    p.maximum !== undefined ? `≤ ${p.maximum}` : '',
    p.maxLength !== undefined ? `at most ${p.maxLength} characters` : '',
  ].filter(Boolean);
  return [p.type ?? '', ...bounds].join(' ');
}

const shown = (v: unknown): string => (v === '' ? '`""`' : `\`${String(v)}\``);

/** One row per setting: flag, environment variable, config-file key, values, default, meaning. */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS_SCHEMA.properties).map(([key, raw]) => {
    const p = raw as Prop;
    return [
      `\`${flagName(key)}\``,
      `\`${envName(key)}\``,
      `\`${key}\``,
      values(p),
      shown(p.default),
      p.description,
    ];
  });
  return table(['flag', 'env', 'config file key', 'values', 'default', 'meaning'], rows);
}
