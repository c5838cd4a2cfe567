/** The settings table of docs/configuration.md, from the one schema every setting is read against. */
import { envName, flagName } from '../../src/config/load.js';
import {
  groupOf,
  nestedKey,
  SETTING_GROUPS,
  SETTINGS_SCHEMA,
  type SettingGroup,
} from '../../src/config/schema.js';
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

/** The groups in the order shown: core first, then each feature. */
const GROUPS: readonly { id: SettingGroup; title: string }[] = [
  { id: 'core', title: 'Core (top level, or under `core:`)' },
  ...Object.entries(SETTING_GROUPS).map(([id, g]) => ({ id: id as SettingGroup, title: g.title })),
];

/**
 * One table per group of settings (core, then each feature), one row per setting: flag,
 * environment variable, key in the config file's nested form, values, default, meaning.
 */
export function settingsTable(): string {
  const props = Object.entries(SETTINGS_SCHEMA.properties);
  return GROUPS.map(({ id, title }) => {
    const rows = props
      .filter(([key]) => groupOf(key) === id)
      .map(([key, raw]) => {
        const p = raw as Prop;
        const { group, key: nested } = nestedKey(key);
        return [
          `\`${flagName(key)}\``,
          `\`${envName(key)}\``,
          group === 'core' ? `\`${key}\`` : `\`${group}.${nested}\``,
          values(p),
          shown(p.default),
          p.description,
        ];
      });
    const header = ['flag', 'env', 'config file key', 'values', 'default', 'meaning'];
    return `### ${title}\n\n${table(header, rows)}`;
  }).join('\n\n');
}
