import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from '../observability/logger.js';
import { BodyBudget } from './body-budget.js';
import { LineSplitter } from './lines.js';

/** The path Fluent Bit's `http` output (and anything else) POSTs access logs to. */
export const INGEST_PATH = '/ingest';

/** Where decoded log records go. Each call says whether the record was usable. */
export interface RecordSink {
  /** One NDJSON line. */
  line(text: string): boolean;
  /** One element of a JSON array body. */
  value(v: unknown): boolean;
  /** A line longer than the bound was dropped. */
  oversized(): void;
}

/** Settings of the HTTP input. */
export interface HttpInputOptions {
  /** `host:port`; port 0 picks a free one. */
  bind: string;
  /** The bearer token every request must carry (the endpoint never runs without one). */
  token: string;
  /** Largest body after decompression. */
  maxBodyBytes: number;
  maxLineBytes: number;
  /** Connections held at once; beyond it new ones are closed at once. */
  maxConnections: number;
  /** Deadlines; the defaults are {@link DEFAULT_DEADLINES}. */
  deadlines?: Partial<Deadlines>;
  /** False while another replica leads: answer 503 so the shipper retries (and reaches the leader). */
  active(): boolean;
  /** Called with every answer's status code (metrics). */
  answered?(code: number): void;
}

/** A running HTTP input. */
export interface HttpInput {
  port: number;
  /** Bodies aborted to make room for newer ones. */
  readonly preempted: number;
  close(): Promise<void>;
}

/** Deadlines of one connection and request. */
export interface Deadlines {
  /** Until the request headers are complete. */
  headersMs: number;
  /** Until the whole request (headers and body) is in. */
  requestMs: number;
  /** Without a byte received on the socket (a stalled upload, an idle keep-alive). */
  idleMs: number;
  /** A body uploading for longer than this may be aborted to make room for another (503). */
  preemptAfterMs: number;
}

/** Fluent Bit posts a chunk of at most a few MB within well under a second on a cluster network. */
export const DEFAULT_DEADLINES: Deadlines = {
  headersMs: 10_000,
  requestMs: 30_000,
  idleMs: 10_000,
  preemptAfterMs: 2_000,
};

/** Bodies held at once, in multiples of the body limit (decompressed bytes): beyond it, 503. */
const BUFFER_BUDGET_BODIES = 4;
/** Of which one peer address may hold this many (Fluent Bit posts with a few workers at most). */
const PEER_BUDGET_BODIES = 2;

class TooLarge extends Error {}
class NoRoom extends Error {}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function authorised(req: http.IncomingMessage, expected: Buffer): boolean {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(h);
  // Compare digests so the comparison takes the same time whatever the token's length.
  return m !== null && timingSafeEqual(digest((m[1] as string).trim()), expected);
}

/**
 * Reads the whole body, decompressing as it streams, and hands it to `use` while it is held: every
 * decompressed chunk is charged to the shared budget before it is kept, so a gzip bomb costs at most
 * `max` bytes, only while it fits, and only until a newer body pre-empts it.
 */
async function withBody<T>(
  req: http.IncomingMessage,
  max: number,
  budget: BodyBudget,
  use: (body: Buffer) => T,
): Promise<T> {
  const enc = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let stream: Readable = req;
  if (enc === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 16 * 1024 });
    // A client that goes away mid-body must end the decompressor too, or the read would wait forever.
    req.once('close', () => {
      if (!req.complete) gunzip.destroy(new Error('the client went away'));
    });
    stream = req.pipe(gunzip);
  } else if (enc !== 'identity') throw new TypeError(`unsupported content-encoding ${enc}`);
  const claim = budget.open(req.socket.remoteAddress ?? '', () => stream.destroy(new NoRoom()));
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > max) throw new TooLarge();
      if (!claim.take(b.length)) throw new NoRoom();
      chunks.push(b);
    }
    return use(Buffer.concat(chunks, size));
  } finally {
    claim.release();
    if (stream !== req) stream.destroy();
  }
}

/** Feeds a body to the sink: a JSON array (Fluent Bit `format json`) or NDJSON (`json_lines`). */
export function decodeBody(
  body: Buffer,
  maxLineBytes: number,
  sink: RecordSink,
): { accepted: number; rejected: number } | undefined {
  let accepted = 0;
  let rejected = 0;
  const count = (ok: boolean) => (ok ? accepted++ : rejected++);
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09))
    i++;
  if (body[i] === 0x5b /* [ */) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined; // a broken array: the whole body is refused with 400
    }
    for (const v of parsed as unknown[]) count(sink.value(v));
    return { accepted, rejected };
  }
  const splitter = new LineSplitter(maxLineBytes, {
    line: (text) => count(sink.line(text)),
    oversized: () => {
      rejected++;
      sink.oversized();
    },
  });
  splitter.push(body);
  splitter.end();
  return { accepted, rejected };
}

/**
 * The HTTP endpoint for access logs: `POST /ingest` with NDJSON or a JSON array (optionally
 * gzip-compressed), as Fluent Bit's `http` output sends with `format json_lines` or `json`.
 * Answers 200 with the counts, 400 for a body that is neither, 401 without the bearer token,
 * 413 above the body limit, 503 while this replica does not lead or the body budget is spent.
 * A malformed line is counted and skipped; it never fails the request (a retry would not fix it).
 *
 * Bounded: `maxConnections` sockets, deadlines on headers, on the whole request and on silence,
 * and {@link BUFFER_BUDGET_BODIES} bodies' worth of decompressed bytes held at once.
 */
export async function startHttpInput(
  opts: HttpInputOptions,
  sink: RecordSink,
  log: Logger,
): Promise<HttpInput> {
  if (!opts.token) throw new Error('the access-log endpoint needs a bearer token');
  const expected = digest(opts.token);
  const dl = { ...DEFAULT_DEADLINES, ...opts.deadlines };
  const budget = new BodyBudget(
    opts.maxBodyBytes * BUFFER_BUDGET_BODIES,
    opts.maxBodyBytes * PEER_BUDGET_BODIES,
    dl.preemptAfterMs,
  );
  const reply = (
    res: http.ServerResponse,
    code: number,
    body: object,
    headers: Record<string, string> = {},
  ) => {
    opts.answered?.(code);
    if (res.destroyed || res.headersSent) return;
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(`${JSON.stringify(body)}\n`);
  };
  // An answer before the body was read closes the connection: the unread body is not drained.
  const close = { connection: 'close' };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== INGEST_PATH) return reply(res, 404, { error: `POST access logs to ${INGEST_PATH}` }, close);
    if (req.method !== 'POST') return reply(res, 405, { error: 'only POST' }, { allow: 'POST', ...close });
    if (!authorised(req, expected))
      return reply(
        res,
        401,
        { error: 'a valid bearer token is required' },
        { 'www-authenticate': 'Bearer', ...close },
      );
    if (!opts.active())
      return reply(res, 503, { error: 'not the leader; retry' }, { 'retry-after': '5', ...close });
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > opts.maxBodyBytes)
      return reply(res, 413, { error: `body above ${opts.maxBodyBytes} bytes` }, close);
    try {
      const counts = await withBody(req, opts.maxBodyBytes, budget, (body) =>
        decodeBody(body, opts.maxLineBytes, sink),
      );
      if (!counts) return reply(res, 400, { error: 'the body is neither NDJSON nor a JSON array' });
      reply(res, 200, counts);
    } catch (err: unknown) {
      if (err instanceof TooLarge)
        return reply(res, 413, { error: `body above ${opts.maxBodyBytes} bytes` }, close);
      if (err instanceof NoRoom)
        return reply(res, 503, { error: 'busy; retry' }, { 'retry-after': '1', ...close });
      if (err instanceof TypeError) return reply(res, 415, { error: err.message }, close);
      // The client went away, or sent a broken gzip stream: nothing to answer to, or a 400.
      reply(res, 400, { error: 'the body could not be read' }, close);
    }
  };
  const server = http.createServer(
    {
      headersTimeout: dl.headersMs,
      requestTimeout: dl.requestMs,
      // How often the two deadlines above are checked (Node's default is 30 s).
      connectionsCheckingInterval: Math.min(1000, dl.headersMs),
      keepAliveTimeout: Math.min(5000, dl.idleMs),
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        log.warn('Traffic request failed', { err });
        reply(res, 500, { error: 'internal error' });
      });
    },
  );
  server.maxConnections = opts.maxConnections;
  // Silence on a socket (a stalled upload): destroyed, which also ends its body read.
  server.setTimeout(dl.idleMs, (socket) => socket.destroy());
  const idx = opts.bind.lastIndexOf(':');
  const host = opts.bind.slice(0, idx) || '0.0.0.0';
  const port = Number(opts.bind.slice(idx + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    get preempted() {
      return budget.preempted;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
