import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/observability/logger.js';
import {
  type Feature,
  type LeaderGate,
  type LeaderWork,
  LeaderWorkSet,
  startFeatures,
} from '../../../src/runtime/features.js';

interface Ctx {
  made: string[];
}
type Settings = { off: readonly string[] };

/** A feature that records its create, start and stop in `log`, and fails where told. */
function feature(
  id: string,
  log: string[],
  opts: { runs?: Feature<Settings, Ctx>['runs']; failCreate?: boolean; failStart?: boolean } = {},
): Feature<Settings, Ctx> {
  return {
    id,
    runs: opts.runs ?? 'every-replica',
    enabled: (s) => !s.off.includes(id),
    create: async (ctx) => {
      log.push(`create ${id}`);
      if (opts.failCreate) throw new Error(`${id} broke`);
      ctx.made.push(id);
      return {
        start: () => {
          log.push(`start ${id}`);
          if (opts.failStart) throw new Error(`${id} did not start`);
        },
        stop: async () => {
          log.push(`stop ${id}`);
        },
      };
    },
  };
}

/** A gate that leads from the start (no leader election), recording resignation. */
function leadingGate(log: string[]): LeaderGate {
  const set = new LeaderWorkSet();
  set.begin();
  let resigned = false;
  return {
    run: (w) => set.add(w),
    stopWork: async (w) => {
      if (!resigned) log.push('resign');
      resigned = true;
      set.resign();
      await set.stopOne(w);
    },
  };
}

const deps = (log: string[]) => ({ leader: leadingGate(log), log: silentLogger() });

describe('features table loop', () => {
  it('creates and starts the enabled features in table order and stops them in reverse', async () => {
    const log: string[] = [];
    const ctx: Ctx = { made: [] };
    const table = ['a', 'b', 'c'].map((id) => feature(id, log));
    const started = await startFeatures(table, { off: [] }, ctx, deps(log));
    assert.deepEqual(started.ids, ['a', 'b', 'c']);
    assert.deepEqual(ctx.made, ['a', 'b', 'c']);
    await started.stop();
    assert.deepEqual(log, [
      'create a',
      'start a',
      'create b',
      'start b',
      'create c',
      'start c',
      'stop c',
      'stop b',
      'stop a',
    ]);
  });

  it('never creates a disabled feature', async () => {
    const log: string[] = [];
    const table = ['a', 'b', 'c'].map((id) => feature(id, log));
    const started = await startFeatures(table, { off: ['b'] }, { made: [] }, deps(log));
    assert.deepEqual(started.ids, ['a', 'c']);
    assert.ok(!log.some((l) => l.endsWith(' b')), log.join(', '));
  });

  for (const failure of ['failCreate', 'failStart'] as const) {
    it(`a ${failure === 'failCreate' ? 'failing create' : 'failing start'} stops the features already started, in reverse, and names the feature`, async () => {
      const log: string[] = [];
      const table = [
        feature('a', log),
        feature('b', log, { runs: 'leader' }),
        feature('c', log, { [failure]: true }),
        feature('d', log),
      ];
      const err = await startFeatures(table, { off: [] }, { made: [] }, deps(log)).then(
        () => assert.fail('start-up should fail'),
        (e: unknown) => e as Error,
      );
      assert.match(err.message, /^feature c failed to start: c /);
      assert.ok(err.cause instanceof Error);
      assert.match((err.cause as Error).message, /^c /);
      const after = log.slice(log.indexOf(failure === 'failCreate' ? 'create c' : 'start c') + 1);
      assert.deepEqual(after, ['resign', 'stop b', 'stop a']);
      assert.ok(!log.includes('create d'));
    });
  }

  it('hands leader features to the gate, which starts them only while leading', async () => {
    const log: string[] = [];
    const set = new LeaderWorkSet();
    const gate: LeaderGate = { run: (w) => set.add(w), stopWork: (w) => set.stopOne(w) };
    const table = [feature('a', log), feature('b', log, { runs: 'leader' }), feature('c', log)];
    const started = await startFeatures(
      table,
      { off: [] },
      { made: [] },
      { leader: gate, log: silentLogger() },
    );
    assert.deepEqual(log, ['create a', 'start a', 'create b', 'create c', 'start c']);
    set.begin(); // the Lease is won
    assert.deepEqual(log.slice(5), ['start b']);
    await started.stop();
    assert.deepEqual(log.slice(6), ['stop c', 'stop b', 'stop a']);
  });

  it('reports every feature that failed to stop, after trying them all', async () => {
    const log: string[] = [];
    const broken = (id: string): Feature<Settings, Ctx> => ({
      id,
      runs: 'every-replica',
      enabled: () => true,
      create: () => ({
        stop: () => {
          log.push(`stop ${id}`);
          throw new Error(`${id} stuck`);
        },
      }),
    });
    const started = await startFeatures(
      [broken('a'), feature('b', log), broken('c')],
      { off: [] },
      { made: [] },
      deps(log),
    );
    const err = await started.stop().then(
      () => assert.fail('stop should fail'),
      (e: unknown) => e as Error,
    );
    assert.deepEqual(
      log.filter((l) => l.startsWith('stop')),
      ['stop c', 'stop b', 'stop a'],
    );
    assert.match(err.message, /features failed to stop: c, a/);
    assert.ok(err.cause instanceof AggregateError);
  });
});

describe('leader work', () => {
  const work = (id: string, log: string[]): LeaderWork => ({
    id,
    start: () => log.push(`start ${id}`),
    stop: async () => {
      log.push(`stop ${id}`);
    },
  });

  it('starts in order when leading begins, stops in reverse once, however many callers', async () => {
    const log: string[] = [];
    const set = new LeaderWorkSet();
    const [x, y] = [work('x', log), work('y', log)];
    set.add(x);
    set.add(y);
    assert.deepEqual(log, []);
    set.begin();
    await Promise.all([set.end(), set.stopOne(x), set.end()]);
    assert.deepEqual(log, ['start x', 'start y', 'stop y', 'stop x']);
    assert.equal(set.leading, false);
  });

  it('does not start work added after resigning', () => {
    const log: string[] = [];
    const set = new LeaderWorkSet();
    set.begin();
    set.resign();
    set.add(work('late', log));
    assert.deepEqual(log, []);
  });
});
