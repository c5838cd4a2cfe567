import assert from 'node:assert/strict';
import { loadSettings, SettingsError } from '../../../src/config/load.js';
import { poolNeeds } from '../../../src/config/pool.js';

describe('connection pool size', () => {
  it('the defaults fit', () => {
    const s = loadSettings([], {});
    assert.ok(s.maxConnections >= poolNeeds(s).total);
  });

  const refused = [
    { name: 'fewer connections than workers', argv: ['--max-connections', '20', '--workers', '32'] },
    {
      name: 'workers plus watches plus the Lease one over',
      // 3 watches + 4 RBAC index watches + 10 workers + 1 Lease = 18.
      argv: ['--max-connections', '17', '--workers', '10', '--leader-elect', 'true'],
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}, naming the settings`, () => {
      assert.throws(
        () => loadSettings(c.argv, {}),
        (err: unknown) =>
          err instanceof SettingsError &&
          /--max-connections \d+ is smaller/.test(err.message) &&
          /--workers/.test(err.message),
      );
    });
  }

  it('accepts exactly watches + workers + Lease', () => {
    const s = loadSettings(['--max-connections', '18', '--workers', '10', '--leader-elect', 'true'], {});
    assert.deepEqual(
      { watches: poolNeeds(s).watches, lease: poolNeeds(s).lease, total: poolNeeds(s).total },
      { watches: 7, lease: 1, total: 18 },
    );
  });
});
