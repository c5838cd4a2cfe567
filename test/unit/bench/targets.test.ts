import assert from 'node:assert/strict';
import { burstBesideCopier, latencyBesideCopier } from '../../../test/bench/copier.js';
import { copierRows, formatReport, targetRows } from '../../../test/bench/report.js';
import type { BenchResults, BurstResult, LatencyResult, ScaleResult } from '../../../test/bench/results.js';
import type { Summary } from '../../../test/bench/stats.js';
import { evaluateTargets, type TargetInput, type TargetStatus } from '../../../test/bench/targets.js';

const summary = (p50: number, p95: number, p99: number): Summary => ({
  n: 100,
  min: 0,
  p50,
  p95,
  p99,
  max: p99,
  mean: p50,
});
const counts = (missed = 0, duplicates = 0) => ({ expected: 100, missed, duplicates, unexpected: 0 });
const cpu = {
  wallSeconds: 1,
  cores: 2,
  seconds: {},
  machine: { busySeconds: 0, otherSeconds: 0, stealSeconds: 0, topOthers: [] },
};

function latency(p99: number, c = counts()): LatencyResult {
  return {
    measured: 100,
    warmup: 0,
    ratePerSecond: 100,
    achievedRatePerSecond: 100,
    scheduleLagMs: summary(0, 0, 0),
    createErrors: 0,
    floorMs: summary(0.2, 0.5, 1),
    latencyMs: summary(p99 / 4, p99 / 2, p99),
    p50Ratio: 0,
    p99Ratio: 0,
    fromSend: { floorMs: summary(1, 2, 3), latencyMs: summary(1, 2, 3), p99Ratio: 1 },
    missingObjectEvents: 0,
    missingAlertEvents: 0,
    counts: c,
    cpu,
    watchProblems: [],
    samples: { floorMs: [], latencyMs: [] },
    series: [[0, 1, 2]],
  };
}

function burst(alertSeconds: number, peakRssMB: number, c = counts()): BurstResult {
  return {
    objects: 10000,
    namespaces: 20,
    concurrency: 64,
    createErrors: 0,
    createSeconds: 20,
    alertSeconds,
    ratio: alertSeconds / 20,
    createsPerSecond: 500,
    alertsPerSecond: 10000 / alertSeconds,
    alertsSeen: 10000,
    operator: { connectionsOpened: 1, requests: 10000, alertsRaised: 10000, peakRssMB },
    counts: c,
    cpu,
    watchProblems: [],
  };
}

function scale(peakRssMB: number, readySeconds: number, alertsRaised = 0): ScaleResult {
  return {
    objects: 100000,
    pods: 97900,
    namespaces: 100,
    fillSeconds: 100,
    fillPerSecond: 1000,
    operator: {
      readySeconds,
      peakRssMBAtReady: peakRssMB,
      peakRssMB,
      rssMBAfterIdle: peakRssMB,
      apiRequests: 200,
      alertsRaised,
      alertsListed: 0,
      cpuToReady: cpu,
    },
    informer: { readySeconds: 10, cpuSecondsToReady: 10, peakRssMB: 900, objects: 97900 },
    rssVsInformer: 0.1,
  };
}

const container = { nodeFlags: ['--max-old-space-size=128'], memoryLimitMiB: 256, heapCapMB: 128 };
const copierCounters = {
  events: 10000,
  created: 10000,
  conflicts: 0,
  errors: 0,
  connectionsOpened: 33,
  requests: 10004,
};

/** A run where every target is met. */
const good = (): TargetInput => ({
  latency: latencyBesideCopier(latency(30), latency(25)),
  burst: burstBesideCopier(burst(24, 150), burst(20, 60), copierCounters),
  cost: {
    count: 1,
    rounds: 1,
    inFlight: 1,
    variants: [],
    alertVsPod: 1,
    alertVsRealistic: 1.2,
    realistic: 'deployment',
    sample: {
      detection: 'd',
      subjectKind: 'Deployment',
      requestBytes: 1,
      storedBytes: 3000,
      managedFieldsBytes: 1,
      parts: {},
      alert: {},
    },
    apiserverMemory: { alerts: 1, heapBeforeMb: 1, heapAfterMb: 1 },
  },
  stored: { bytesPerAlert: 3000 },
  scale: scale(110, 9),
  container,
});

const statuses = (r: TargetInput): TargetStatus[] => evaluateTargets(r).map((t) => t.status);

describe('bench targets', () => {
  it('are all met by a run inside every target', () => {
    assert.deepEqual(new Set(statuses(good())), new Set(['met']));
    assert.equal(evaluateTargets(good()).length, 9);
  });

  it('are not measured when the run has no figure for them', () => {
    assert.deepEqual(new Set(statuses({})), new Set(['not measured']));
    // A run recorded before the copier existed: latency and burst figures, but nothing to hold them against.
    const old = { latency: latency(30), burst: burst(24, 150) };
    const byName = new Map(evaluateTargets(old).map((t) => [t.name, t.status]));
    assert.equal(byName.get('latency p99 at 100 creates/s over the reference copier’s p99'), 'not measured');
    assert.equal(
      byName.get('burst: operator peak RSS with the shipped container’s Node flags'),
      'not measured',
    );
    assert.equal(byName.get('missed / duplicate alerts (latency and burst)'), 'met');
  });

  const misses: [string, (r: TargetInput) => TargetInput, number][] = [
    [
      'API-server CPU per alert',
      (r) => ({ ...r, cost: { ...(r.cost as NonNullable<TargetInput['cost']>), alertVsRealistic: 1.6 } }),
      0,
    ],
    [
      'latency p99 over the copier',
      (r) => ({ ...r, latency: latencyBesideCopier(latency(40), latency(25)) }),
      1,
    ],
    [
      'burst drain over the copier',
      (r) => ({ ...r, burst: burstBesideCopier(burst(26, 150), burst(20, 60), copierCounters) }),
      2,
    ],
    [
      'a burst whose alerts never all came (no drain time)',
      (r) => ({ ...r, burst: burstBesideCopier(burst(Number.NaN, 150), burst(20, 60), copierCounters) }),
      2,
    ],
    [
      'a missed alert',
      (r) => ({ ...r, latency: latencyBesideCopier(latency(30, counts(1)), latency(25)) }),
      3,
    ],
    [
      'a duplicate alert',
      (r) => ({
        ...r,
        burst: burstBesideCopier(burst(24, 150, counts(0, 1)), burst(20, 60), copierCounters),
      }),
      3,
    ],
    ['scale peak RSS', (r) => ({ ...r, scale: scale(121, 9) }), 4],
    ['scale time to ready', (r) => ({ ...r, scale: scale(110, 10.5) }), 5],
    ['scale alerts raised', (r) => ({ ...r, scale: scale(110, 9, 1) }), 6],
    [
      'burst peak RSS',
      (r) => ({ ...r, burst: burstBesideCopier(burst(24, 161), burst(20, 60), copierCounters) }),
      7,
    ],
    ['stored bytes', (r) => ({ ...r, stored: { bytesPerAlert: 4097 } }), 8],
  ];
  for (const [name, spoil, index] of misses) {
    it(`are NOT MET for ${name}, and only that one`, () => {
      const got = statuses(spoil(good()));
      const want = got.map((_, i) => (i === index ? 'NOT MET' : 'met'));
      assert.deepEqual(got, want);
    });
  }

  it('set the copier beside Tripline: its figures, Tripline’s ratios, its own counters', () => {
    const l = latencyBesideCopier(latency(30), latency(20));
    assert.deepEqual(l.vsCopier, { p50: 1.5, p95: 1.5, p99: 1.5 });
    assert.equal(l.copier?.latencyMs.p99, 20);
    assert.equal('series' in (l.copier ?? {}), false, 'the copier keeps no per-object series');
    const b = burstBesideCopier(burst(30, 150), burst(20, 60), copierCounters);
    assert.equal(b.vsCopier, 1.5);
    assert.deepEqual(b.copier?.operator, {
      connectionsOpened: 33,
      requests: 10004,
      alertsRaised: 10000,
      peakRssMB: 60,
    });
  });
});

describe('bench report', () => {
  const run = (extra: Partial<BenchResults>): BenchResults =>
    ({
      date: '2026-12-08T00:00:00Z',
      commit: 'abcdef1234567890',
      dirty: false,
      machine: {
        cpuModel: 'CPU',
        cores: 2,
        memoryMB: 1000,
        nodeVersion: 'v24',
        platform: 'linux',
        kernel: '6',
      },
      durationSeconds: 1,
      ...extra,
    }) as unknown as BenchResults;

  it('prints the copier side by side with the old floor, and every target with met / NOT MET / not measured', () => {
    const r = good();
    const text = formatReport(
      run({ ...r, cost: undefined, burst: burstBesideCopier(burst(30, 150), burst(20, 60), copierCounters) }),
    );
    assert.match(text, /Tripline against the reference copier/);
    assert.match(
      text,
      /operator Node flags \(Dockerfile\): --max-old-space-size=128; Deployment memory limit 256 Mi/,
    );
    const rows = copierRows(r);
    assert.deepEqual(rows[2]?.slice(1), ['30.0', '25.0', '1.20×', '1.0', '30.00×']);
    assert.deepEqual(rows[3]?.slice(1), ['24.00', '20.00', '1.20×', '20.00 creation', '1.20×']);
    const targets = text.slice(text.indexOf('Targets (DESIGN §9):'));
    assert.match(targets, /API-server CPU per alert .* not measured/);
    assert.match(
      targets,
      /all alerts over the copier’s drain time +1\.50× \(30\.00 vs 20\.00 s\) +≤ 1\.25× +NOT MET/,
    );
    assert.match(targets, /latency p99 .* 1\.20× \(30\.0 vs 25\.0 ms\) +≤ 1\.5× +met/);
  });

  it('has one targets row per target, with a dash for what was not measured', () => {
    const rows = targetRows({});
    assert.equal(rows.length, 9);
    for (const row of rows) assert.deepEqual([row[1], row[3]], ['—', 'not measured']);
  });
});
