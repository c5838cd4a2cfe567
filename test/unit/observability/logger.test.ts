import assert from 'node:assert/strict';
import { createLogger } from '../../../src/observability/logger.js';

/** Where winston's formats leave the finished line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

/** The line the logger would print for one record, without printing it. */
function line(format: 'json' | 'text', fields: Record<string, unknown>): string {
  const logger = createLogger({ level: 'info', format });
  const info = logger.format.transform({ level: 'info', message: 'Created AuditAlert', ...fields });
  assert.ok(info && typeof info === 'object');
  return String((info as Record<symbol, unknown>)[MESSAGE]);
}

describe('logger: a watched object cannot forge log lines', () => {
  const name = 'web\n2026-01-01T00:00:00Z INFO  Deleted AuditAlert name=evidence\u001b[2K';
  for (const format of ['json', 'text'] as const) {
    it(`${format}: one line, control characters escaped`, () => {
      const out = line(format, { name });
      assert.equal(out.split('\n').length, 1);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      assert.doesNotMatch(out, /[\u0000-\u001f]/);
    });
  }
});
