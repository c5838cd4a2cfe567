import { createHmac, timingSafeEqual } from 'node:crypto';
import { SettingsError } from '../config/load.js';
import { chatSink, readAtStart } from './chat-sink.js';
import { FileSecret } from './http.js';
import type { AlertNotice, AlertView, Sink, SinkDeps, SinkEntry } from './sink.js';
import { describeCommand, noticeId } from './sink.js';

/** Header names of a signed delivery (documented in docs/notifications.md). */
export const HEADERS = {
  signature: 'x-tripline-signature',
  timestamp: 'x-tripline-timestamp',
  delivery: 'x-tripline-delivery',
  event: 'x-tripline-event',
} as const;

/** The JSON body of a webhook delivery. */
export interface WebhookPayload {
  /** Version of this payload shape. */
  version: 'tripline.dev/v1';
  /** raised, acknowledged, resolved or reopened. */
  type: string;
  /** Stable per change: a retried or repeated delivery carries the same id (deduplicate on it). */
  id: string;
  /** When it happened. */
  time: string;
  /** The operator's `--cluster-name`; absent when none is set. */
  cluster?: string;
  by?: string;
  alert: AlertView;
  /** The command that shows the alert in full. */
  command: string;
}

/** The body of a notice; `cluster` is `--cluster-name` (left out when empty). */
export function payloadFor(n: AlertNotice, cluster = ''): WebhookPayload {
  return {
    version: 'tripline.dev/v1',
    type: n.type,
    id: noticeId(n),
    time: n.time,
    ...(cluster ? { cluster } : {}),
    ...(n.by ? { by: n.by } : {}),
    alert: n.alert,
    command: describeCommand(n.alert.name),
  };
}

/**
 * `sha256=<hex HMAC-SHA256(key, "<timestamp>.<body>")>`. The timestamp is part of what is signed,
 * so a receiver that rejects old timestamps cannot be fed a recorded delivery again.
 */
export function signature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (docs/notifications.md shows the same steps): recompute the signature over the raw
 * body, compare in constant time, and refuse timestamps more than `toleranceSeconds` away.
 */
export function verifySignature(
  key: string,
  headers: { signature?: string; timestamp?: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds)
    return false;
  const want = Buffer.from(signature(key, String(ts), body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Headers of one delivery attempt, signed now (a retry is signed again with a fresh timestamp). */
export function signedHeaders(
  key: string,
  body: string,
  p: WebhookPayload,
  now: Date,
): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    [HEADERS.timestamp]: timestamp,
    [HEADERS.signature]: signature(key, timestamp, body),
    [HEADERS.delivery]: p.id,
    [HEADERS.event]: p.type,
  };
}

/**
 * A generic webhook: one signed JSON POST per notice, in order, retried with backoff on 5xx, 429
 * and network errors, never on other 4xx (the receiver refused it; retrying will not change that).
 */
export function webhookSink(deps: SinkDeps): Sink {
  const s = deps.settings;
  if (!s.webhookSecretFile) {
    throw new SettingsError('webhookSecretFile is required with webhookUrl (deliveries are always signed)');
  }
  let url: URL;
  try {
    url = new URL(s.webhookUrl);
  } catch {
    // No cause: URL's error quotes the value, which may carry a token.
    throw new SettingsError('webhookUrl is not a URL');
  }
  const key = new FileSecret(s.webhookSecretFile);
  readAtStart(key, 'webhookSecretFile');
  return chatSink(
    deps,
    'webhook',
    (n) => payloadFor(n, s.clusterName),
    async (http, p) => {
      const body = JSON.stringify(p);
      await http.post(url, body, signedHeaders(key.read(), body, p, deps.clock.now()));
    },
  );
}

/** Registry entry (sinks.ts). */
export const WEBHOOK_SINK: SinkEntry = {
  id: 'webhook',
  enabled: (s) => s.webhookUrl !== '',
  minSeverity: (s) => s.webhookMinSeverity,
  create: webhookSink,
};
