import http from 'node:http';
import https from 'node:https';

/** TLS material for a request to the API server, as PEM text. */
export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

/** The status and body text of a finished HTTP request. */
export interface HttpResult {
  status: number;
  body: string;
}

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  body?: string;
  tls?: ClientTls;
  timeoutMs?: number;
}

/**
 * Sends one request on a fresh connection (no agent, so no pooled socket keeps the process alive) and
 * resolves with the status and body. Rejects on network errors and on timeout, never on a status code.
 */
export function request(url: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      target,
      {
        method: opts.method ?? 'GET',
        agent: false,
        headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
        timeout: opts.timeoutMs ?? 5_000,
        ...opts.tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
