import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from '../observability/logger.js';
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
  /** Required bearer token; undefined accepts any client (then restrict access with a NetworkPolicy). */
  token: string | undefined;
  maxBodyBytes: number;
  maxLineBytes: number;
  /** False while another replica leads: answer 503 so the shipper retries (and reaches the leader). */
  active(): boolean;
  /** Called with every answer's status code (metrics). */
  answered?(code: number): void;
}

/** A running HTTP input. */
export interface HttpInput {
  port: number;
  close(): Promise<void>;
}

/** Bodies buffered at once, in multiples of the body limit: beyond it clients get 503 and retry. */
const BUFFER_BUDGET_BODIES = 4;

class TooLarge extends Error {}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function authorised(req: http.IncomingMessage, expected: Buffer | undefined): boolean {
  if (!expected) return true;
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(h);
  // Compare digests so the comparison takes the same time whatever the token's length.
  return m !== null && timingSafeEqual(digest((m[1] as string).trim()), expected);
}

/** Reads the whole (decompressed) body, refusing more than `max` bytes. */
async function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  const enc = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let stream: Readable = req;
  if (enc === 'gzip') stream = req.pipe(createGunzip());
  else if (enc !== 'identity') throw new TypeError(`unsupported content-encoding ${enc}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) throw new TooLarge();
    chunks.push(b);
  }
  return Buffer.concat(chunks, size);
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
 * 413 above the body limit, 503 while this replica does not lead or too many bodies are buffered.
 * A malformed line is counted and skipped; it never fails the request (a retry would not fix it).
 */
export async function startHttpInput(
  opts: HttpInputOptions,
  sink: RecordSink,
  log: Logger,
): Promise<HttpInput> {
  const expected = opts.token ? digest(opts.token) : undefined;
  let buffered = 0;
  const budget = opts.maxBodyBytes * BUFFER_BUDGET_BODIES;
  const reply = (
    res: http.ServerResponse,
    code: number,
    body: object,
    headers: Record<string, string> = {},
  ) => {
    opts.answered?.(code);
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(`${JSON.stringify(body)}\n`);
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== INGEST_PATH) return reply(res, 404, { error: `POST access logs to ${INGEST_PATH}` });
    if (req.method !== 'POST') return reply(res, 405, { error: 'only POST' }, { allow: 'POST' });
    if (!authorised(req, expected))
      return reply(res, 401, { error: 'a valid bearer token is required' }, { 'www-authenticate': 'Bearer' });
    if (!opts.active()) return reply(res, 503, { error: 'not the leader; retry' }, { 'retry-after': '5' });
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > opts.maxBodyBytes)
      return reply(res, 413, { error: `body above ${opts.maxBodyBytes} bytes` }, { connection: 'close' });
    const reserve = Number.isFinite(declared) ? declared : opts.maxBodyBytes;
    if (buffered + reserve > budget) return reply(res, 503, { error: 'busy; retry' }, { 'retry-after': '1' });
    buffered += reserve;
    try {
      const body = await readBody(req, opts.maxBodyBytes);
      const counts = decodeBody(body, opts.maxLineBytes, sink);
      if (!counts) return reply(res, 400, { error: 'the body is neither NDJSON nor a JSON array' });
      reply(res, 200, counts);
    } catch (err: unknown) {
      if (err instanceof TooLarge)
        return reply(res, 413, { error: `body above ${opts.maxBodyBytes} bytes` }, { connection: 'close' });
      if (err instanceof TypeError) return reply(res, 415, { error: err.message });
      // The client went away or sent a broken gzip stream: nothing to answer to, or a 400.
      if (!res.headersSent && !res.destroyed) reply(res, 400, { error: 'the body could not be read' });
    } finally {
      buffered -= reserve;
    }
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.warn('Traffic request failed', { err });
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
    });
  });
  server.requestTimeout = 60_000;
  const idx = opts.bind.lastIndexOf(':');
  const host = opts.bind.slice(0, idx) || '0.0.0.0';
  const port = Number(opts.bind.slice(idx + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
