import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import * as x509 from '@peculiar/x509';
import { type CertBundle, createBundle, type KeyPair } from '../../../src/actors/certs.js';
import {
  parseBind,
  type RunningEndpoint,
  startTlsEndpoint,
  type TlsEndpoint,
} from '../../../src/actors/tls-server.js';
import { silentLogger } from '../../../src/observability/logger.js';

/** A client certificate signed by `ca` (the library's own key type is enough for a test). */
async function clientCert(ca: KeyPair, name: string): Promise<KeyPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const der = Buffer.from(ca.key.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const caKey = await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${name}`,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    cert: cert.toString('pem'),
    key: `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`,
  };
}

const TOKEN = 's3cret';

interface Answer {
  status: number;
  body: string;
}

function post(
  port: number,
  ca: string,
  opts: {
    path?: string;
    body?: string;
    headers?: Record<string, string>;
    client?: KeyPair;
    method?: string;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/hook',
        ca,
        ...(opts.client ?? {}),
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TOKEN}`,
          ...(opts.headers ?? {}),
        },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? '{"hello":"world"}');
  });
}

describe('TLS endpoints of the attribution receivers', () => {
  let bundle: CertBundle;
  const running: RunningEndpoint[] = [];
  const rejected: string[] = [];
  const endpoint = (o: Partial<TlsEndpoint> = {}): TlsEndpoint => ({
    name: 'test',
    bind: '127.0.0.1:0',
    path: '/hook',
    maxBodyBytes: 1024,
    maxInFlightBytes: 1500,
    token: TOKEN,
    handle: (body) => ({ status: 200, body: { echo: body } }),
    onRejected: (r) => rejected.push(r),
    ...o,
  });
  const start = async (o: Partial<TlsEndpoint> = {}, pair: KeyPair | null = bundle.serving) => {
    const ep = await startTlsEndpoint(endpoint(o), silentLogger());
    running.push(ep);
    if (pair) ep.setCertificate(pair);
    return ep;
  };

  before(async () => {
    bundle = await createBundle(['127.0.0.1'], new Date());
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.close()));
    rejected.length = 0;
  });

  it('answers a POST over TLS, the certificate verified by the generated CA', async () => {
    const ep = await start();
    assert.deepEqual(await post(ep.port, bundle.ca.cert), {
      status: 200,
      body: '{"echo":{"hello":"world"}}',
    });
  });

  it('never answers plain HTTP', async () => {
    const ep = await start();
    const plain = new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: ep.port, method: 'POST', path: '/hook' }, (res) =>
        resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end('{}');
    });
    await assert.rejects(plain);
  });

  it('fails every handshake until a certificate is set, then serves', async () => {
    const ep = await start({}, null);
    await assert.rejects(post(ep.port, bundle.ca.cert));
    ep.setCertificate(bundle.serving);
    assert.equal((await post(ep.port, bundle.ca.cert)).status, 200);
  });

  it('swaps the certificate for new connections without a restart', async () => {
    const ep = await start();
    const next = await createBundle(['127.0.0.1'], new Date());
    ep.setCertificate(next.serving);
    await assert.rejects(post(ep.port, bundle.ca.cert), /self.signed|unable to verify|certificate/i);
    assert.equal((await post(ep.port, next.ca.cert)).status, 200);
  });

  it('requires the bearer token when one is set', async () => {
    const ep = await start({ token: 's3cret' });
    assert.equal((await post(ep.port, bundle.ca.cert, { headers: { authorization: '' } })).status, 401);
    assert.equal(
      (await post(ep.port, bundle.ca.cert, { headers: { authorization: 'Bearer nope' } })).status,
      401,
    );
    assert.equal(
      (await post(ep.port, bundle.ca.cert, { headers: { authorization: 'Bearer s3cret' } })).status,
      200,
    );
    assert.deepEqual(rejected, ['unauthenticated', 'unauthenticated']);
  });

  it('refuses every request when neither a client CA nor a token is set (fail closed)', async () => {
    const ep = await start({ token: undefined });
    assert.equal((await post(ep.port, bundle.ca.cert)).status, 401);
    assert.deepEqual(rejected, ['unauthenticated']);
  });

  it('requires a client certificate from the client CA naming a pinned identity', async () => {
    const clientCa = await createBundle(['unused'], new Date());
    const ep = await start({ clientCa: clientCa.ca.cert, clientNames: ['kube-apiserver'], token: undefined });
    await assert.rejects(post(ep.port, bundle.ca.cert));
    const stranger = await clientCert(bundle.ca, 'kube-apiserver');
    await assert.rejects(post(ep.port, bundle.ca.cert, { client: stranger }));
    // Same CA, another name: what a kubelet of a cluster whose CA signs both would present.
    const kubelet = await clientCert(clientCa.ca, 'system:node:worker-1');
    await assert.rejects(post(ep.port, bundle.ca.cert, { client: kubelet }));
    const apiserver = await clientCert(clientCa.ca, 'kube-apiserver');
    assert.equal((await post(ep.port, bundle.ca.cert, { client: apiserver })).status, 200);
    assert.deepEqual(rejected, ['unauthenticated']);
  });

  it('with a client CA and no pinned names, admits nobody', async () => {
    const clientCa = await createBundle(['unused'], new Date());
    const ep = await start({ clientCa: clientCa.ca.cert, token: undefined });
    const apiserver = await clientCert(clientCa.ca, 'kube-apiserver');
    await assert.rejects(post(ep.port, bundle.ca.cert, { client: apiserver }));
  });

  it('answers 503 once the body bytes held at once pass the endpoint budget', async () => {
    const ep = await start();
    // 1000 bytes held open (no end), then another 1000: together past the 1500-byte budget.
    const held = https.request({
      host: '127.0.0.1',
      port: ep.port,
      method: 'POST',
      path: '/hook',
      ca: bundle.ca.cert,
      agent: false,
      headers: { authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' },
    });
    held.on('error', () => {
      // Closed by afterEach.
    });
    held.write('x'.repeat(1000));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await post(ep.port, bundle.ca.cert, { body: `"${'y'.repeat(998)}"` })).status, 503);
    assert.deepEqual(rejected, ['busy']);
    held.destroy();
  });

  const refusals: { name: string; opts: Parameters<typeof post>[2]; status: number; reason: string }[] = [
    {
      name: 'a body over the limit',
      opts: { body: JSON.stringify({ x: 'y'.repeat(2000) }) },
      status: 413,
      reason: 'too-large',
    },
    { name: 'another path', opts: { path: '/other' }, status: 404, reason: 'not-found' },
    { name: 'a GET', opts: { method: 'GET', body: '' }, status: 404, reason: 'not-found' },
    { name: 'a body that is not JSON', opts: { body: 'hello' }, status: 400, reason: 'bad-request' },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name}`, async () => {
      const ep = await start();
      assert.equal((await post(ep.port, bundle.ca.cert, r.opts)).status, r.status);
      assert.deepEqual(rejected, [r.reason]);
    });
  }

  it('answers 500 when a handler throws, and keeps serving', async () => {
    let calls = 0;
    const ep = await start({
      handle: () => {
        if (calls++ === 0) throw new Error('boom');
        return { status: 200, body: {} };
      },
    });
    assert.equal((await post(ep.port, bundle.ca.cert)).status, 500);
    assert.equal((await post(ep.port, bundle.ca.cert)).status, 200);
  });

  it('fails the start on a bind address in use', async () => {
    const ep = await start();
    await assert.rejects(
      startTlsEndpoint(endpoint({ bind: `127.0.0.1:${ep.port}` }), silentLogger()),
      /EADDRINUSE/,
    );
  });

  const binds: { bind: string; want: ReturnType<typeof parseBind> | 'error' }[] = [
    { bind: ':9443', want: { host: undefined, port: 9443 } },
    { bind: '127.0.0.1:0', want: { host: '127.0.0.1', port: 0 } },
    { bind: '[::1]:9444', want: { host: '::1', port: 9444 } },
    { bind: '9443', want: 'error' },
    { bind: 'host:99999', want: 'error' },
  ];
  for (const b of binds) {
    it(`reads the bind address ${b.bind}`, () => {
      if (b.want === 'error') assert.throws(() => parseBind(b.bind), /not host:port/);
      else assert.deepEqual(parseBind(b.bind), b.want);
    });
  }
});
