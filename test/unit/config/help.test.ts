import assert from 'node:assert/strict';
import { envName, flagName, settingsHelp } from '../../../src/config/load.js';
import { SETTINGS_SCHEMA } from '../../../src/config/schema.js';

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
