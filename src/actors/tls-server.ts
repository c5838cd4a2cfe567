import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { KeyPair } from './certs.js';

/** A handler's answer: status and a JSON body. */
export interface Reply {
  status: number;
  body: unknown;
}

/** One HTTPS endpoint: a single POST path with a JSON body. */
export interface TlsEndpoint {
  /** Short name for logs and metrics (`admission`, `audit`). */
  name: string;
  /** `host:port`; an empty host listens on every address. */
  bind: string;
  path: string;
  maxBodyBytes: number;
  /** PEM CA: the client must present a certificate it signed (mutual TLS). */
  clientCa?: string;
  /** The client must send `Authorization: Bearer <token>`. */
  token?: string;
  /** Handles the parsed body; must be fast and must not throw. */
  handle(body: unknown): Reply;
  /** A request refused before the handler (`unauthenticated`, `too-large`, `bad-request`, `not-found`). */
  onRejected?(reason: string): void;
}

/** A running endpoint. */
export interface RunningEndpoint {
  readonly port: number;
  /** Swaps the serving certificate for new connections (renewal without a restart). */
  setCertificate(pair: KeyPair): void;
  close(): Promise<void>;
}

/**
 * Serves an endpoint over TLS only (there is no plain-HTTP listener, so a plain request never
 * reaches a handler), TLS 1.2 or newer, with optional client authentication by certificate or
 * bearer token and a bound on the request body. It listens at once, so a bad bind address fails
 * the start; until {@link RunningEndpoint.setCertificate} is called every handshake fails (the
 * API server then ignores the webhook, by its failurePolicy).
 */
export async function startTlsEndpoint(ep: TlsEndpoint, log: Logger): Promise<RunningEndpoint> {
  const { host, port } = parseBind(ep.bind);
  const clientCa = ep.clientCa ? { ca: ep.clientCa } : {};
  const server = https.createServer(
    {
      ...clientCa,
      minVersion: 'TLSv1.2',
      requestCert: Boolean(ep.clientCa),
      rejectUnauthorized: Boolean(ep.clientCa),
    },
    (req, res) => {
      serve(ep, req, res, log).catch((err: unknown) => {
        // The client went away mid-request; there is nobody to answer.
        log.debug('Webhook request aborted', { endpoint: ep.name, err });
        res.destroy();
      });
    },
  );
  // A slow or stalled client must not hold a socket for long: webhooks answer in milliseconds.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.on('tlsClientError', (err) => log.debug('TLS handshake failed', { endpoint: ep.name, err }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    setCertificate: (p) => server.setSecureContext({ cert: p.cert, key: p.key, ...clientCa }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `host:port` → parts; `:9443` and `[::]:9443` included. */
export function parseBind(bind: string): { host: string | undefined; port: number } {
  const i = bind.lastIndexOf(':');
  const host = bind.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(bind.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`bind address ${JSON.stringify(bind)} is not host:port`);
  }
  return { host: host || undefined, port };
}

async function serve(
  ep: TlsEndpoint,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: Logger,
): Promise<void> {
  const refuse = (status: number, reason: string): void => {
    ep.onRejected?.(reason);
    send(res, { status, body: { message: reason } });
  };
  if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== ep.path) return refuse(404, 'not-found');
  if (ep.token !== undefined && !bearerMatches(req.headers.authorization, ep.token)) {
    return refuse(401, 'unauthenticated');
  }
  const body = await readBody(req, ep.maxBodyBytes);
  if (body === 'too-large') return refuse(413, 'too-large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return refuse(400, 'bad-request');
  }
  try {
    send(res, ep.handle(parsed));
  } catch (err: unknown) {
    log.error('Webhook handler failed', { endpoint: ep.name, err });
    send(res, { status: 500, body: { message: 'internal error' } });
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > max) {
      req.resume(); // drain, so the 413 can still be sent on this connection
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
