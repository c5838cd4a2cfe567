import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient } from '../../../src/kube/client.js';

/** An HTTP server whose clock runs `aheadMs` ahead of this process's, as its Date header says. */
async function serverAhead(aheadMs: number): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    res.setHeader('date', new Date(Date.now() + aheadMs).toUTCString());
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

describe('KubeClient server clock', () => {
  for (const aheadMs of [3_600_000, -90_000]) {
    it(`learns the offset from the Date header as a lower bound (server ${aheadMs} ms ahead)`, async () => {
      const server = await serverAhead(aheadMs);
      const { port } = server.address() as AddressInfo;
      const client = new KubeClient(
        { server: `http://127.0.0.1:${port}`, headers: async () => ({}) },
        { maxSockets: 1, userAgent: 'test', requestTimeoutMs: 5000 },
      );
      try {
        assert.equal(client.serverOffsetMs(), 0, 'no answer yet');
        await client.request('GET', '/api');
        const offset = client.serverOffsetMs();
        // Date has whole seconds: the estimate is at most 1 s (plus latency) early, never late.
        assert.ok(offset <= aheadMs && offset > aheadMs - 2000, `offset ${offset}`);
      } finally {
        client.close();
        server.close();
      }
    });
  }
});
