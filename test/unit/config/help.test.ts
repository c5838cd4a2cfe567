import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envName, flagName, settingsHelp } from '../../../src/config/load.js';
import { SETTINGS_SCHEMA } from '../../../src/config/schema.js';
import { ROOT } from '../support/fixtures.js';

describe('tripline run --help', () => {
  const help = settingsHelp();
  for (const [key, prop] of Object.entries(SETTINGS_SCHEMA.properties)) {
    it(`documents ${flagName(key)} with its default and env variable`, () => {
      assert.ok(help.includes(flagName(key)), flagName(key));
      assert.ok(help.includes(envName(key)), envName(key));
      assert.ok(help.includes(`default: ${JSON.stringify(prop.default)}`));
      assert.ok(help.includes(prop.description));
    });
  }
});

describe('docs/configuration.md settings table', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
  const start = doc.indexOf('<!-- BEGIN GENERATED: settings -->');
  const section = doc.slice(start, doc.indexOf('<!-- END GENERATED -->', start));
  for (const key of Object.keys(SETTINGS_SCHEMA.properties)) {
    it(`has a row for ${flagName(key)}`, () => {
      assert.ok(start >= 0, 'docs/configuration.md has the generated settings block');
      assert.ok(
        section.includes(`| \`${flagName(key)}\` |`),
        `${flagName(key)} is not in docs/configuration.md (run make docs)`,
      );
    });
  }
});
