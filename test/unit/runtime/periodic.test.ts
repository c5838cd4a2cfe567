import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/observability/logger.js';
import { every } from '../../../src/runtime/periodic.js';

describe('every', () => {
  it('never runs two at once, survives failures, and stop waits for the run in progress', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let finished = 0;
    const p = every(
      2,
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        await new Promise((r) => setTimeout(r, 15));
        active--;
        finished++;
        if (runs === 1) throw new Error('first run fails');
      },
      silentLogger(),
      'test',
    );
    while (runs < 3) await new Promise((r) => setTimeout(r, 5));
    await p.stop();
    assert.equal(maxActive, 1);
    assert.equal(finished, runs, 'stop waited for the run in progress');
  });
});
