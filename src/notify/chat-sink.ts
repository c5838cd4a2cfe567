/**
 * The sinks that POST one message per notice (webhook, Slack): raised and state-change notices
 * only, in order, through one keep-alive endpoint, retried with backoff on 5xx, 429 and network
 * errors and never on other 4xx (the receiver refused it; retrying will not change that).
 */
import { SettingsError } from '../config/load.js';
import { type Endpoint, endpoint, type FileSecret } from './http.js';
import { Outbox } from './outbox.js';
import { type AlertNotice, noticeId, type Sink, type SinkDeps } from './sink.js';

/** Notices the webhook and Slack sinks send (remediation outcomes are Kubernetes Events only). */
export const CHAT_NOTICES = new Set(['raised', 'acknowledged', 'resolved', 'reopened']);

/** Fails start-up on an unreadable or empty secret file rather than dropping every delivery later. */
export function readAtStart(secret: FileSecret, setting: string): void {
  try {
    secret.read();
  } catch (err: unknown) {
    throw new SettingsError(`${setting}: the file cannot be read or is empty`, { cause: err });
  }
}

/** The sink `id`: `message` of each chat notice, queued under its notice id and handed to `send`. */
export function chatSink<T>(
  deps: SinkDeps,
  id: 'webhook' | 'slack',
  message: (n: AlertNotice) => T,
  send: (http: Endpoint, message: T) => Promise<void>,
): Sink {
  const s = deps.settings;
  const http = endpoint(s.notifyTimeoutSeconds * 1000);
  const outbox = new Outbox<T>({
    sink: id,
    capacity: s.notifyQueueSize,
    maxAttempts: s.notifyMaxAttempts,
    backoff: { baseMs: s.backoffBaseMs, maxMs: s.backoffMaxMs },
    deliver: async ([m]) => {
      if (m !== undefined) await send(http, m);
    },
    metrics: deps.metrics,
    log: deps.log,
  });
  return {
    id,
    notify: (n) => {
      if (CHAT_NOTICES.has(n.type)) outbox.push(noticeId(n), message(n));
    },
    start: () => outbox.start(),
    stop: async () => {
      await outbox.stop();
      http.close();
    },
  };
}
