import assert from 'node:assert/strict';
import { OpenAlerts } from '../../../src/notify/open-alerts.js';
import type { AlertView } from '../../../src/notify/sink.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { alertFixture } from './fixtures.js';

function store(max?: number) {
  const changes: [string, boolean][] = [];
  const s = new OpenAlerts((a: AlertView, open) => changes.push([a.name, open]), silentLogger(), max);
  return { s, changes };
}

describe('OpenAlerts', () => {
  it('holds Open and Acknowledged alerts as small views, and drops Resolved and deleted ones', () => {
    const { s, changes } = store();
    s.observe('LISTED', alertFixture({ name: 'a' }));
    s.observe('LISTED', alertFixture({ name: 'b', state: 'Acknowledged' }));
    s.observe('LISTED', alertFixture({ name: 'c', state: 'Resolved' }));
    s.listed();
    assert.deepEqual(
      s
        .values()
        .map((v) => v.name)
        .sort(),
      ['a', 'b'],
    );
    assert.ok(!JSON.stringify(s.values()).includes('xxxx'), 'no evidence in views');
    s.observe('MODIFIED', alertFixture({ name: 'a', state: 'Resolved' }));
    s.observe('DELETED', alertFixture({ name: 'b', state: 'Acknowledged' }));
    assert.equal(s.size, 0);
    assert.deepEqual(changes, [
      ['a', true],
      ['b', true],
      ['a', false],
      ['b', false],
    ]);
  });

  it('tells about state changes, not about unchanged re-deliveries', () => {
    const { s, changes } = store();
    s.observe('ADDED', alertFixture({ name: 'a' }));
    s.observe('MODIFIED', alertFixture({ name: 'a' }));
    s.observe('MODIFIED', alertFixture({ name: 'a', state: 'Acknowledged' }));
    assert.deepEqual(changes, [
      ['a', true],
      ['a', true],
    ]);
    assert.equal(s.values()[0]?.state, 'Acknowledged');
  });

  it('forgets alerts a relist no longer hands over (deleted while the watch was away)', () => {
    const { s, changes } = store();
    s.observe('LISTED', alertFixture({ name: 'a' }));
    s.observe('LISTED', alertFixture({ name: 'b' }));
    s.listed();
    s.observe('ADDED', alertFixture({ name: 'c' }));
    s.observe('LISTED', alertFixture({ name: 'a' }));
    s.listed();
    assert.deepEqual(
      s.values().map((v) => v.name),
      ['a'],
    );
    assert.deepEqual(
      changes
        .filter(([, open]) => !open)
        .map(([n]) => n)
        .sort(),
      ['b', 'c'],
    );
  });

  it('treats a relist that hands over nothing as no alerts at all', () => {
    const { s } = store();
    s.observe('LISTED', alertFixture({ name: 'a' }));
    s.listed();
    assert.equal(s.synced, true);
    s.listed();
    assert.equal(s.size, 0);
  });

  it('indexes by subject namespace ("" for cluster-scoped) and counts by severity', () => {
    const { s } = store();
    s.observe('ADDED', alertFixture({ name: 'a', namespace: 'shop', severity: 'High' }));
    s.observe(
      'ADDED',
      alertFixture({ name: 'b', namespace: undefined, kind: 'ClusterRole', severity: 'High' }),
    );
    s.observe('ADDED', alertFixture({ name: 'c', namespace: 'shop', severity: 'Low' }));
    assert.deepEqual(
      s
        .inNamespace('shop')
        .map((v) => v.name)
        .sort(),
      ['a', 'c'],
    );
    assert.deepEqual(
      s.inNamespace('').map((v) => v.name),
      ['b'],
    );
    assert.deepEqual(s.counts(), { Critical: 0, High: 2, Medium: 0, Low: 1, Info: 0 });
    s.observe(
      'MODIFIED',
      alertFixture({ name: 'a', namespace: 'shop', severity: 'High', state: 'Resolved' }),
    );
    assert.equal(s.counts().High, 1);
    assert.deepEqual(s.inNamespace('nowhere'), []);
  });

  it('is bounded: beyond max, new alerts are not tracked', () => {
    const { s } = store(2);
    for (const n of ['a', 'b', 'c']) s.observe('ADDED', alertFixture({ name: n }));
    assert.equal(s.size, 2);
    s.observe('MODIFIED', alertFixture({ name: 'a', state: 'Acknowledged' }));
    assert.equal(s.size, 2, 'known alerts still update');
  });
});
