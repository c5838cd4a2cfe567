import assert from 'node:assert/strict';
import { envName, flagName, loadSettings, SettingsError } from '../../../src/config/load.js';

describe('settings', () => {
  it('applies defaults', () => {
    const s = loadSettings([], {});
    assert.equal(s.workers, 32);
    assert.equal(s.logFormat, 'auto');
  });
  it('flags beat env which beats defaults', () => {
    const s = loadSettings(['--workers', '3'], { TRIPLINE_WORKERS: '5', TRIPLINE_LOG_LEVEL: 'debug' });
    assert.equal(s.workers, 3);
    assert.equal(s.logLevel, 'debug');
  });
  const bad: { name: string; argv: string[]; msg: RegExp }[] = [
    { name: 'unknown flag', argv: ['--nope', 'x'], msg: /nope/ },
    { name: 'wrong type', argv: ['--workers', 'many'], msg: /workers: must be integer/ },
    { name: 'out of range', argv: ['--workers', '0'], msg: /workers: must be >= 1/ },
    { name: 'bad enum', argv: ['--log-level', 'loud'], msg: /logLevel/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(
        () => loadSettings(c.argv, {}),
        (e: unknown) => e instanceof SettingsError && c.msg.test(e.message),
      );
    });
  }
  it('derives flag and env names', () => {
    assert.equal(flagName('watchStallSeconds'), '--watch-stall-seconds');
    assert.equal(envName('watchStallSeconds'), 'TRIPLINE_WATCH_STALL_SECONDS');
  });
});
