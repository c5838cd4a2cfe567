import assert from 'node:assert/strict';
import type { TrafficSpec } from '../../../src/detections/traffic-settings.js';
import { type HoldState, RULES, type RuleId, stepHold, type WindowView } from '../../../src/traffic/rules.js';
import { settingsOf } from './fixtures.js';

function view(over: Partial<WindowView>): WindowView {
  return { requests: 0, classes: [0, 0, 0, 0, 0, 0], disallowed: 0, baseline: undefined, ...over };
}

const rule = (id: RuleId) => RULES.find((r) => r.id === id)!;

describe('traffic/rules', () => {
  const cases: Array<{
    rule: RuleId;
    name: string;
    traffic: TrafficSpec;
    w: Partial<WindowView>;
    fires: boolean;
    reason?: RegExp;
  }> = [
    {
      rule: 'disallowed-source',
      name: 'one request from outside the ranges',
      traffic: { disallowedSource: { allowedCIDRs: ['10.0.0.0/8'] } },
      w: { requests: 10, disallowed: 1 },
      fires: true,
      reason: /1 of 10 requests came from addresses outside the allowed ranges \(10\.0\.0\.0\/8\)/,
    },
    {
      rule: 'disallowed-source',
      name: 'none from outside',
      traffic: { disallowedSource: { allowedCIDRs: ['10.0.0.0/8'] } },
      w: { requests: 10, disallowed: 0 },
      fires: false,
    },
    {
      rule: 'disallowed-source',
      name: 'below minRequests',
      traffic: { disallowedSource: { allowedCIDRs: ['10.0.0.0/8'], minRequests: 5 } },
      w: { requests: 10, disallowed: 4 },
      fires: false,
    },
    {
      rule: 'disallowed-source',
      name: 'no allow-list: off',
      traffic: {},
      w: { requests: 10, disallowed: 10 },
      fires: false,
    },
    {
      rule: 'request-rate',
      name: 'above the absolute limit',
      traffic: { requestRate: { maxRequests: 100 } },
      w: { requests: 101 },
      fires: true,
      reason: /101 requests in one window, above the limit of 100/,
    },
    {
      rule: 'request-rate',
      name: 'at the absolute limit',
      traffic: { requestRate: { maxRequests: 100, baseline: { enabled: false } } },
      w: { requests: 100 },
      fires: false,
    },
    {
      rule: 'request-rate',
      name: 'more than multiplier × baseline',
      traffic: { requestRate: { baseline: { multiplier: 5, minRequests: 100 } } },
      w: { requests: 600, baseline: 100 },
      fires: true,
      reason: /600 requests in one window, more than 5× the learned baseline of 100/,
    },
    {
      rule: 'request-rate',
      name: 'at multiplier × baseline',
      traffic: { requestRate: { baseline: { multiplier: 5 } } },
      w: { requests: 500, baseline: 100 },
      fires: false,
    },
    {
      rule: 'request-rate',
      name: 'a big ratio on a tiny window (below minRequests)',
      traffic: { requestRate: { baseline: { minRequests: 100 } } },
      w: { requests: 50, baseline: 0.5 },
      fires: false,
    },
    {
      rule: 'request-rate',
      name: 'no baseline yet (warm-up)',
      traffic: {},
      w: { requests: 100000, baseline: undefined },
      fires: false,
    },
    {
      rule: 'client-error-ratio',
      name: 'half of the requests 4xx',
      traffic: {},
      w: { requests: 40, classes: [0, 0, 20, 0, 20, 0] },
      fires: true,
      reason: /20 of 40 requests \(50%\) were answered 4xx; the threshold is 50% of at least 20 requests/,
    },
    {
      rule: 'client-error-ratio',
      name: 'all 4xx but too few requests',
      traffic: {},
      w: { requests: 19, classes: [0, 0, 0, 0, 19, 0] },
      fires: false,
    },
    {
      rule: 'server-error-ratio',
      name: '5xx above the ratio',
      traffic: { serverErrorRatio: { ratio: 0.2, minRequests: 10 } },
      w: { requests: 10, classes: [0, 0, 7, 0, 0, 3] },
      fires: true,
    },
    {
      rule: 'server-error-ratio',
      name: '4xx do not count as 5xx',
      traffic: { serverErrorRatio: { ratio: 0.2, minRequests: 10 } },
      w: { requests: 10, classes: [0, 0, 0, 0, 10, 0] },
      fires: false,
    },
  ];
  for (const c of cases) {
    it(`${c.rule}: ${c.name} → ${c.fires ? 'fires' : 'quiet'}`, () => {
      const f = rule(c.rule).evaluate(view(c.w), settingsOf(c.traffic));
      assert.equal(f !== undefined, c.fires);
      if (c.reason) assert.match(f?.reason ?? '', c.reason);
    });
  }

  const matches: Array<[RuleId, number, 'allowed' | 'disallowed' | undefined, boolean]> = [
    ['disallowed-source', 200, 'disallowed', true],
    ['disallowed-source', 200, 'allowed', false],
    ['request-rate', 200, undefined, true],
    ['client-error-ratio', 404, undefined, true],
    ['client-error-ratio', 500, undefined, false],
    ['server-error-ratio', 502, undefined, true],
    ['server-error-ratio', 200, undefined, false],
  ];
  for (const [id, status, verdict, m] of matches)
    it(`${id} matches ${status}/${verdict}: ${m}`, () => assert.equal(rule(id).matches(status, verdict), m));

  it('summaries name the Ingress and the window', () => {
    const f = rule('server-error-ratio').evaluate(
      view({ requests: 20, classes: [0, 0, 0, 0, 0, 20] }),
      settingsOf({}),
    );
    assert.equal(
      rule('server-error-ratio').summary('shop/web', f!, '60s'),
      '5xx burst on Ingress shop/web: 100% of requests answered 5xx within 60s',
    );
  });

  describe('stepHold', () => {
    // [condition, time] steps and the outcome of each, with a 10 s hold.
    const cases: Array<{ name: string; steps: Array<[boolean, number]>; out: Array<string | undefined> }> = [
      {
        name: 'fires after the hold',
        steps: [
          [true, 0],
          [true, 5],
          [true, 10],
        ],
        out: [undefined, undefined, 'fire'],
      },
      {
        name: 'a gap resets the hold',
        steps: [
          [true, 0],
          [false, 5],
          [true, 6],
          [true, 15],
          [true, 16],
        ],
        out: [undefined, undefined, undefined, undefined, 'fire'],
      },
      {
        name: 'fires once while it holds',
        steps: [
          [true, 0],
          [true, 10],
          [true, 20],
        ],
        out: [undefined, 'fire', undefined],
      },
      {
        name: 'clears after the hold',
        steps: [
          [true, 0],
          [true, 10],
          [false, 11],
          [false, 21],
        ],
        out: [undefined, 'fire', undefined, 'clear'],
      },
      {
        name: 'a blip does not clear',
        steps: [
          [true, 0],
          [true, 10],
          [false, 11],
          [true, 12],
          [false, 13],
          [false, 22],
        ],
        out: [undefined, 'fire', undefined, undefined, undefined, undefined],
      },
      {
        name: 'and fires again after clearing',
        steps: [
          [true, 0],
          [true, 10],
          [false, 11],
          [false, 21],
          [true, 22],
          [true, 32],
        ],
        out: [undefined, 'fire', undefined, 'clear', undefined, 'fire'],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const st: HoldState = { firing: false };
        assert.deepEqual(
          c.steps.map(([holds, t]) => stepHold(st, holds, t * 1000, 10_000)),
          c.out,
        );
      });
    }

    it('hold 0 fires and clears at once', () => {
      const st: HoldState = { firing: false };
      assert.equal(stepHold(st, true, 0, 0), 'fire');
      assert.equal(stepHold(st, false, 1, 0), 'clear');
    });
  });
});
