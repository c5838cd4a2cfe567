import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { endpoint } from '../../../src/notify/http.js';
import { DeliveryError } from '../../../src/notify/outbox.js';

/**
 * A sink that answers 200 at once and then trickles its body one byte at a time, never finishing:
 * each byte resets an idle timeout, so only a deadline on the whole exchange ends the delivery.
 */
async function tricklingSink(): Promise<{ url: URL; close: () => Promise<void> }> {
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    const t = setInterval(() => res.write('.'), 20);
    timers.add(t);
    res.on('close', () => clearInterval(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/hook`),
    close: async () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('notify endpoint', () => {
  it('ends a delivery whose answer never completes at the deadline, as a retryable failure', async () => {
    const sink = await tricklingSink();
    const ep = endpoint(300);
    try {
      await assert.rejects(ep.post(sink.url, '{}'), (err: unknown) => {
        assert.ok(err instanceof DeliveryError);
        assert.equal(err.retryable, true);
        assert.match(String((err.cause as Error).message), /no complete answer within 300ms/);
        return true;
      });
    } finally {
      ep.close();
      await sink.close();
    }
  });
});
