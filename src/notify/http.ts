import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { DeliveryError } from './outbox.js';

/** One HTTP endpoint of a sink: a keep-alive pool and a timeout. */
export interface Endpoint {
  post(url: URL, body: string, headers?: Record<string, string>): Promise<void>;
  close(): void;
}

/** 429 and 5xx may change on a later try; any other non-2xx answer will not. */
export const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/**
 * An endpoint with one keep-alive pool. A non-2xx answer or a network error throws a
 * {@link DeliveryError} whose message names the status but never the URL (URLs of Slack and many
 * webhooks carry their credentials).
 */
export function endpoint(timeoutMs: number): Endpoint {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
  };
  return {
    post: (url, body, headers = {}) => post(url, body, headers, timeoutMs, agents),
    close: () => {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  agents: Record<'http:' | 'https:', http.Agent>,
): Promise<void> {
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const mod = protocol === 'https:' ? https : http;
  const payload = Buffer.from(body);
  const deadline = AbortSignal.timeout(timeoutMs);
  const failure = (err: Error): Error =>
    deadline.aborted ? new Error(`no complete answer within ${timeoutMs}ms`) : stripUrl(err);
  return new Promise<void>((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        agent: agents[protocol],
        // A deadline for the whole exchange, answer included: a socket timeout alone is an idle
        // timeout, and a sink that trickles one byte a while would hold the delivery for good.
        signal: deadline,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'user-agent': 'tripline/0.1.0',
          ...headers,
        },
      },
      (res) => {
        res.resume(); // the answer's body is not needed; drain it so the socket returns to the pool
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve();
          reject(new DeliveryError(`sink answered ${status}`, { retryable: retryableStatus(status) }));
        });
        res.on('error', (err) =>
          reject(new DeliveryError('reading the answer failed', { retryable: true, cause: failure(err) })),
        );
      },
    );
    req.on('error', (err) =>
      reject(new DeliveryError('sending to the sink failed', { retryable: true, cause: failure(err) })),
    );
    req.end(payload);
  });
}

/** Network errors can quote the host and path; keep the code and a generic message only. */
function stripUrl(err: Error): Error {
  const code = (err as { code?: string }).code;
  return new Error(code ? `network error ${code}` : err.message.replace(/https?:\/\/\S+/g, '<url>'));
}

/**
 * A secret read from a file (a mounted Secret), re-read when the file changes so a rotated Secret
 * is picked up without a restart. The value never leaves the sink that uses it.
 */
export class FileSecret {
  readonly #path: string;
  #mtimeMs = -1;
  #value = '';

  constructor(path: string) {
    this.#path = path;
  }

  /** The current value, trimmed; throws a non-retryable DeliveryError when unreadable or empty. */
  read(): string {
    try {
      const st = statSync(this.#path);
      if (st.mtimeMs !== this.#mtimeMs) {
        this.#value = readFileSync(this.#path, 'utf8').trim();
        this.#mtimeMs = st.mtimeMs;
      }
    } catch (err: unknown) {
      throw new DeliveryError('reading the secret file failed', { retryable: false, cause: err });
    }
    if (!this.#value) throw new DeliveryError('the secret file is empty', { retryable: false });
    return this.#value;
  }
}
