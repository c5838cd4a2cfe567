import assert from 'node:assert/strict';
import { AlertRateLimit, buildRateLimitedAlert } from '../../../src/traffic/alert-limit.js';
import { settingsOf } from './fixtures.js';

const M = 60_000;

describe('traffic/alert-limit AlertRateLimit', () => {
  const cases = [
    { name: 'a burst up to the limit passes', takes: [0, 0, 0], want: ['ok', 'ok', 'ok'] },
    {
      name: 'beyond it: refused, the first refusal starts an episode',
      takes: [0, 0, 0, 0, 0],
      want: ['ok', 'ok', 'ok', 'episode', 'no'],
    },
    {
      name: 'refills over a minute',
      takes: [0, 0, 0, 0, M / 3 + 1],
      want: ['ok', 'ok', 'ok', 'episode', 'ok'],
    },
    {
      name: 'a new episode only after a quiet minute without refusals',
      takes: [0, 0, 0, 0, 1, 2 * M, 2 * M, 2 * M, 2 * M],
      want: ['ok', 'ok', 'ok', 'episode', 'no', 'ok', 'ok', 'ok', 'episode'],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const l = new AlertRateLimit(3);
      const got = c.takes.map((t) => {
        const d = l.take('det', t);
        return d.allowed ? 'ok' : d.episodeMs !== undefined ? 'episode' : 'no';
      });
      assert.deepEqual(got, c.want);
    });

  it('limits each detection on its own', () => {
    const l = new AlertRateLimit(1);
    assert.equal(l.take('a', 0).allowed, true);
    assert.equal(l.take('b', 0).allowed, true);
    assert.equal(l.take('a', 0).allowed, false);
  });

  it('the aggregate alert names the detection as its subject, deterministically per episode', () => {
    const s = settingsOf({});
    const a = buildRateLimitedAlert(s, 20, 1234, new Date(0));
    const b = buildRateLimitedAlert(s, 20, 1234, new Date(5));
    assert.equal(a.metadata?.name, b.metadata?.name);
    assert.deepEqual(a.spec.subject, {
      apiVersion: 'tripline.dev/v1alpha1',
      kind: 'AuditDetection',
      name: s.name,
    });
    assert.match(a.spec.summary, /more than 20 new alerts per minute/);
    assert.notEqual(buildRateLimitedAlert(s, 20, 99, new Date(0)).metadata?.name, a.metadata?.name);
  });
});
