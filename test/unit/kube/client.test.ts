import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient } from '../../../src/kube/client.js';
import { AnswerTooLargeError } from '../../../src/kube/errors.js';

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

describe('KubeClient answer size bound', () => {
  /** A server answering a JSON body of `bytes` bytes, streamed in 64 kB chunks (no content-length). */
  async function serving(
    bytes: number,
  ): Promise<{ server: http.Server; client: KubeClient; sent: () => number }> {
    let sent = 0;
    const server = http.createServer(async (_req, res) => {
      res.setHeader('content-type', 'application/json');
      const body = Buffer.from(JSON.stringify({ items: ['x'.repeat(bytes - 14)] }));
      for (let at = 0; at < body.length && !res.destroyed; at += 65_536) {
        const chunk = body.subarray(at, at + 65_536);
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        sent += chunk.length;
      }
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const client = new KubeClient(
      { server: `http://127.0.0.1:${port}`, headers: async () => ({}) },
      { maxSockets: 1, userAgent: 'test', requestTimeoutMs: 5000 },
    );
    return { server, client, sent: () => sent };
  }

  it('abandons an answer past maxBytes without reading it whole', async () => {
    const { server, client, sent } = await serving(50_000_000);
    try {
      await assert.rejects(
        client.request('GET', '/api/v1/pods', { maxBytes: 1_000_000 }),
        AnswerTooLargeError,
      );
      // The server stops once the client closed the socket, long before its 50 MB were written.
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(sent() < 50_000_000, `${sent()} bytes sent`);
    } finally {
      client.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it('tells the size of an answer within maxBytes', async () => {
    const { server, client } = await serving(300_000);
    try {
      let told = 0;
      const page = await client.request<{ items: string[] }>('GET', '/api/v1/pods', {
        maxBytes: 1_000_000,
        onBodyBytes: (n) => {
          told = n;
        },
      });
      assert.equal(told, 300_000);
      assert.equal(page.items[0]?.length, 300_000 - 14);
    } finally {
      client.close();
      server.close();
    }
  });
});
