import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../observability/logger.js';
import type { KeyPair } from './certs.js';
import { identityAllowed } from './client-identity.js';
import { ByteBudget, readBody } from './request-body.js';

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
  /** Body bytes held at once across all requests of this endpoint; more answers 503. */
  maxInFlightBytes: number;
  /** PEM CA: the client must present a certificate it signed (mutual TLS). */
  clientCa?: string;
  /** With `clientCa`: the certificate must also name one of these (CN or DNS/URI SAN). */
  clientNames?: readonly string[];
  /** The client must send `Authorization: Bearer <token>`. */
  token?: string;
  /** Handles the parsed body; must be fast and must not throw. */
  handle(body: unknown): Reply;
  /** A request refused before the handler (`unauthenticated`, `too-large`, `busy`, `bad-request`, `not-found`). */
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
 * Limits of every endpoint. The API server answers within its webhook timeout (2 s for admission)
 * and keeps a handful of connections alive; anything slower or more numerous is not the API server.
 */
export const ENDPOINT_LIMITS = {
  /** Open connections per endpoint; more are closed at once. */
  maxConnections: 32,
  /** The TLS handshake, client certificate included. */
  handshakeTimeoutMs: 5_000,
  /** Request line and headers. */
  headersTimeoutMs: 5_000,
  /** The whole request, body included. */
  requestTimeoutMs: 10_000,
  /** An idle keep-alive connection. */
  keepAliveTimeoutMs: 5_000,
  /** Any socket with no traffic at all. */
  idleTimeoutMs: 15_000,
  maxHeaderBytes: 16 * 1024,
} as const;

/**
 * Serves an endpoint over TLS only (there is no plain-HTTP listener, so a plain request never
 * reaches a handler), TLS 1.2 or newer, with client authentication by certificate (CA-verified and
 * name-pinned) or bearer token, a bound on each body and on the body bytes held at once, a
 * connection cap and deadlines for the handshake, headers, request and idle time. A client whose
 * certificate names nobody allowed is disconnected before it can send a byte of HTTP. It listens
 * at once, so a bad bind address fails the start; until {@link RunningEndpoint.setCertificate} is
 * called every handshake fails (the API server then ignores the webhook, by its failurePolicy).
 */
export async function startTlsEndpoint(ep: TlsEndpoint, log: Logger): Promise<RunningEndpoint> {
  const { host, port } = parseBind(ep.bind);
  const clientCa = ep.clientCa ? { ca: ep.clientCa } : {};
  const L = ENDPOINT_LIMITS;
  const budget = new ByteBudget(ep.maxInFlightBytes);
  const server = https.createServer(
    {
      ...clientCa,
      minVersion: 'TLSv1.2',
      requestCert: Boolean(ep.clientCa),
      rejectUnauthorized: Boolean(ep.clientCa),
      handshakeTimeout: L.handshakeTimeoutMs,
      headersTimeout: L.headersTimeoutMs,
      requestTimeout: L.requestTimeoutMs,
      keepAliveTimeout: L.keepAliveTimeoutMs,
      maxHeaderSize: L.maxHeaderBytes,
      // Deadlines are enforced on this tick; Node's default of 30 s would let them overrun.
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      serve(ep, budget, req, res, log).catch((err: unknown) => {
        // The client went away mid-request; there is nobody to answer.
        log.debug('Webhook request aborted', { endpoint: ep.name, err });
        res.destroy();
      });
    },
  );
  server.maxConnections = L.maxConnections;
  server.timeout = L.idleTimeoutMs;
  if (ep.clientCa) {
    // Before the HTTP parser reads anything: a certificate the CA signed for someone else (a
    // kubelet, a user) gets no further than the handshake.
    server.prependListener('secureConnection', (socket: TLSSocket) => {
      if (identityAllowed(socket.getPeerCertificate(), ep.clientNames ?? [])) return;
      ep.onRejected?.('unauthenticated');
      socket.destroy();
    });
  }
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
  budget: ByteBudget,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: Logger,
): Promise<void> {
  const refuse = (status: number, reason: string, close = false): void => {
    ep.onRejected?.(reason);
    // An unread body is never drained: the connection closes after the answer.
    if (close) res.setHeader('connection', 'close');
    send(res, { status, body: { message: reason } });
  };
  if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== ep.path)
    return refuse(404, 'not-found', true);
  if (!authenticated(ep, req)) return refuse(401, 'unauthenticated', true);
  const read = await readBody(req, ep.maxBodyBytes, budget);
  if (read === 'too-large') return refuse(413, 'too-large', true);
  if (read === 'busy') return refuse(503, 'busy', true);
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.body.toString('utf8'));
    } catch {
      return refuse(400, 'bad-request');
    }
    try {
      send(res, ep.handle(parsed));
    } catch (err: unknown) {
      log.error('Webhook handler failed', { endpoint: ep.name, err });
      send(res, { status: 500, body: { message: 'internal error' } });
    }
  } finally {
    read.release();
  }
}

/** Records come only from authenticated requests: the pinned certificate (checked again here) or the token. */
function authenticated(ep: TlsEndpoint, req: http.IncomingMessage): boolean {
  if (ep.clientCa !== undefined) {
    const socket = req.socket as TLSSocket;
    if (!socket.authorized || !identityAllowed(socket.getPeerCertificate(), ep.clientNames ?? []))
      return false;
  }
  if (ep.token !== undefined && !bearerMatches(req.headers.authorization, ep.token)) return false;
  return ep.clientCa !== undefined || ep.token !== undefined;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

function send(res: http.ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
