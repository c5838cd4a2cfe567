import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/observability/logger.js';
import { FileTailer } from '../../../src/traffic/tailer.js';

/** A tailer on a temp file, polled by hand (no timers). */
async function harness(opts: { fromStart?: boolean; maxLineBytes?: number; create?: string } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'tripline-tail-'));
  const file = path.join(dir, 'access.log');
  if (opts.create !== undefined) await writeFile(file, opts.create);
  const lines: string[] = [];
  let oversized = 0;
  const t = new FileTailer(
    {
      path: file,
      fromStart: opts.fromStart ?? false,
      pollMs: 10_000,
      maxLineBytes: opts.maxLineBytes ?? 1000,
    },
    { line: (l) => lines.push(l), oversized: () => oversized++ },
    silentLogger(),
  );
  return {
    file,
    lines,
    oversized: () => oversized,
    poll: () => t.poll(),
    done: async () => {
      await t.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('traffic/tailer FileTailer', () => {
  it('starts at the end of an existing file and follows appends', async () => {
    const h = await harness({ create: 'old-1\nold-2\n' });
    await h.poll();
    assert.deepEqual(h.lines, []);
    await appendFile(h.file, 'new-1\nnew-');
    await h.poll();
    assert.deepEqual(h.lines, ['new-1']);
    await appendFile(h.file, '2\n');
    await h.poll();
    assert.deepEqual(h.lines, ['new-1', 'new-2']);
    await h.done();
  });

  it('reads an existing file from the start when asked', async () => {
    const h = await harness({ create: 'old-1\nold-2\n', fromStart: true });
    await h.poll();
    assert.deepEqual(h.lines, ['old-1', 'old-2']);
    await h.done();
  });

  it('waits for a file that does not exist yet, then reads it from its start', async () => {
    const h = await harness();
    await h.poll();
    await writeFile(h.file, 'first\n');
    await h.poll();
    assert.deepEqual(h.lines, ['first']);
    await h.done();
  });

  it('starts over after truncation in place (copytruncate)', async () => {
    const h = await harness({ create: '' });
    await h.poll();
    await appendFile(h.file, 'a-long-line-before\n');
    await h.poll();
    await truncate(h.file, 0);
    await appendFile(h.file, 'b\n');
    await h.poll();
    assert.deepEqual(h.lines, ['a-long-line-before', 'b']);
    await h.done();
  });

  it('follows rotation by rename: finishes the old file, then reads the new one from its start', async () => {
    const h = await harness({ create: '' });
    await h.poll();
    await appendFile(h.file, 'one\n');
    await h.poll();
    await appendFile(h.file, 'two\n'); // written before the rename, not yet read
    await rename(h.file, `${h.file}.1`);
    await appendFile(`${h.file}.1`, 'three\n'); // nginx keeps writing the old file until reopened
    await h.poll(); // the new file does not exist yet
    await writeFile(h.file, 'four\n');
    await h.poll();
    await appendFile(h.file, 'five\n');
    await h.poll();
    assert.deepEqual(h.lines, ['one', 'two', 'three', 'four', 'five']);
    await h.done();
  });

  it('drops lines above the bound and keeps going', async () => {
    const h = await harness({ create: '', maxLineBytes: 10 });
    await h.poll();
    await appendFile(h.file, `${'x'.repeat(50)}\nok\n`);
    await h.poll();
    assert.deepEqual(h.lines, ['ok']);
    assert.equal(h.oversized(), 1);
    await h.done();
  });

  it('reads a large backlog completely over several polls', async () => {
    const h = await harness({ create: '' });
    await h.poll();
    const line = `${'y'.repeat(99)}\n`;
    await appendFile(h.file, line.repeat(60_000)); // 6 MB: more than one poll's budget
    await h.poll();
    await h.poll();
    assert.equal(h.lines.length, 60_000);
    await h.done();
  });
});
