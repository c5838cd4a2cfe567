import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Registry } from 'prom-client';
import { PROBE_LIMITS, startProbeServer } from '../../../src/observability/server.js';

function request(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'x'.repeat(1000) : undefined);
  });
}

describe('probe server', () => {
  let server: { port: number; close(): Promise<void> };
  let ready = false;

  beforeEach(async () => {
    ready = false;
    server = await startProbeServer('127.0.0.1:0', { registry: new Registry(), ready: () => ready });
  });
  afterEach(async () => {
    await server.close();
  });

  const answers: { method: string; path: string; ready: boolean; want: number }[] = [
    { method: 'GET', path: '/healthz', ready: false, want: 200 },
    { method: 'GET', path: '/readyz', ready: false, want: 503 },
    { method: 'GET', path: '/readyz', ready: true, want: 200 },
    { method: 'GET', path: '/metrics', ready: false, want: 200 },
    { method: 'HEAD', path: '/healthz', ready: false, want: 200 },
    { method: 'GET', path: '/other', ready: false, want: 404 },
    { method: 'POST', path: '/healthz', ready: false, want: 405 },
  ];
  for (const a of answers) {
    it(`answers ${a.method} ${a.path}${a.ready ? ' (ready)' : ''} with ${a.want}`, async () => {
      ready = a.ready;
      assert.equal(await request(server.port, a.method, a.path), a.want);
    });
  }

  it('refuses a request whose headers pass the header limit', async () => {
    const big = 'x'.repeat(PROBE_LIMITS.maxHeaderBytes + 1);
    const status = await new Promise<number>((resolve) => {
      const req = http.get(
        { host: '127.0.0.1', port: server.port, path: '/healthz', headers: { 'x-big': big }, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', () => resolve(0));
    });
    assert.equal(status, 431);
  });

  it('closes connections beyond the cap at once, and still serves within it', async () => {
    const extra = 10;
    const sockets: net.Socket[] = [];
    let closed = 0;
    await Promise.all(
      Array.from(
        { length: PROBE_LIMITS.maxConnections + extra },
        () =>
          new Promise<void>((resolve) => {
            const s = net.connect(server.port, '127.0.0.1', () => resolve());
            s.on('close', () => closed++);
            s.on('error', () => resolve());
            sockets.push(s);
          }),
      ),
    );
    try {
      // Well inside the headers deadline: only the cap can have closed them.
      for (let i = 0; i < 50 && closed < extra; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(closed, extra);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await request(server.port, 'GET', '/healthz'), 200);
  });
});
