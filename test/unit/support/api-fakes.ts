import { Writable } from 'node:stream';
import winston from 'winston';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { KubeClient, RequestOptions } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/errors.js';

/** A client whose alert POSTs answer from `answers` in turn (an Error is thrown); the rest succeed. */
export function fakeClient(answers: Array<Error | undefined>) {
  const posts: AuditAlert[] = [];
  const other: Array<{ method: string; path: string; body: unknown }> = [];
  const client = {
    async request(method: string, path: string, opts: RequestOptions = {}) {
      if (method === 'POST' && path.endsWith('/auditalerts')) {
        posts.push(structuredClone(opts.body) as AuditAlert);
        const a = answers[posts.length - 1];
        if (a) throw a;
        return {};
      }
      other.push({ method, path, body: opts.body });
      return {};
    },
  } as unknown as KubeClient;
  return { client, posts, other };
}

/** A logger that keeps every JSON line it writes. */
export function capturingLogger(): { log: winston.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const log = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { log, lines };
}

export const invalid = (): ApiError =>
  new ApiError(
    'POST /apis/tripline.dev/v1alpha1/auditalerts: 422 Invalid AuditAlert.tripline.dev "a" is invalid: spec.summary: Too long: may not be more than 5 bytes',
    { status: 422, reason: 'Invalid', method: 'POST' },
  );
