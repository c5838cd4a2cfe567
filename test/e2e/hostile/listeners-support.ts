/**
 * What the listener attacks of hostile/listeners.ts send: AdmissionReviews and audit EventLists
 * forged by a client that is not the API server, bodies held open, stalled probe connections.
 * Clients never verify the server (an attacker does not care who answers).
 */
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../../hack/controlplane/binaries.js';

/** A client certificate and key (PEM), or none. */
export type Client = { cert: string; key: string } | undefined;

/** What an endpoint did with a request: answered it, or dropped the connection. */
export type Outcome = { status: number } | { error: string };

/** True when the request reached no handler: the connection was refused or the answer was 401/403. */
export const refused = (o: Outcome): boolean => 'error' in o || o.status === 401 || o.status === 403;

/** POSTs a JSON body over TLS as `client`; never rejects. */
export function post(port: number, urlPath: string, body: unknown, client: Client): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: urlPath,
        rejectUnauthorized: false,
        agent: false,
        ...(client ?? {}),
        headers: { 'content-type': 'application/json' },
        timeout: 15_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    req.on('error', (err) => resolve({ error: err.message }));
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(JSON.stringify(body));
  });
}

/**
 * Opens a POST declaring `bytes` of body and sends all but the last byte, then holds the connection
 * open (what a slow client does). Resolves once the bytes are written or the server dropped it;
 * `close()` ends it.
 */
export function holdBody(
  port: number,
  urlPath: string,
  bytes: number,
  client: Client,
): Promise<{ close(): void; outcome: Outcome | undefined }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const held = { outcome: undefined as Outcome | undefined, close: () => req.destroy() };
    const req = https.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: urlPath,
      rejectUnauthorized: false,
      agent: false,
      ...(client ?? {}),
      headers: { 'content-type': 'application/json', 'content-length': String(bytes) },
    });
    req.on('response', (res) => {
      held.outcome = { status: res.statusCode ?? 0 };
      res.resume();
    });
    req.on('error', (err) => {
      held.outcome ??= { error: err.message };
      resolve(held);
    });
    // Closed by the server after an early answer (413, 503), with or without an error.
    req.on('close', () => resolve(held));
    let left = bytes - 1;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      resolve(held);
    };
    pump();
  });
}

/** Opens a TCP connection and writes `prefix` (a request cut short); `closed()` tells whether the server closed it. */
export function stalledConnection(port: number, prefix: string): { closed(): boolean; socket: net.Socket } {
  const socket = net.connect(port, '127.0.0.1', () => socket.write(prefix));
  socket.on('data', () => {
    // An answer to nothing: ignore it, only the close matters.
  });
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => socket.destroy());
  return { closed: () => closed, socket };
}

/** The ValidatingWebhookConfiguration of manifests/webhooks, reaching the operator by URL. */
export async function webhookConfiguration(port: number): Promise<string> {
  const file = path.join(repoRoot(), 'manifests/webhooks/admission/validating-webhook.yaml');
  const vwc = parse(await readFile(file, 'utf8')) as { webhooks: Array<{ clientConfig: unknown }> };
  for (const w of vwc.webhooks) w.clientConfig = { url: `https://127.0.0.1:${port}/admission` };
  return JSON.stringify(vwc);
}

/** An AdmissionReview as the API server would send it, with a user of the attacker's choosing. */
export function forgedReview(o: {
  operation: 'CREATE' | 'UPDATE';
  uid: string;
  name: string;
  namespace: string;
  username: string;
  groups: string[];
}): object {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `forged-${Math.random().toString(36).slice(2)}`,
      kind: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
      resource: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' },
      name: o.name,
      namespace: o.namespace,
      operation: o.operation,
      userInfo: { username: o.username, groups: o.groups },
      object: { metadata: { name: o.name, namespace: o.namespace, uid: o.uid, generation: 1 } },
    },
  };
}

/** A state change of an AuditAlert, claimed by `username`. */
export function forgedStatusReview(alert: string, to: string, username: string): object {
  const state = (s: string) => ({ metadata: { name: alert }, status: { state: s } });
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `forged-${Math.random().toString(36).slice(2)}`,
      resource: { group: 'tripline.dev', version: 'v1alpha1', resource: 'auditalerts' },
      subResource: 'status',
      name: alert,
      operation: 'UPDATE',
      userInfo: { username, groups: ['system:authenticated'] },
      object: state(to),
      oldObject: state('Open'),
    },
  };
}

/** An audit EventList with one completed create by `username`. */
export function forgedAuditEvents(ns: string, name: string, username: string): object {
  const now = new Date().toISOString();
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'EventList',
    items: [
      {
        level: 'Metadata',
        auditID: `forged-${Math.random().toString(36).slice(2)}`,
        stage: 'ResponseComplete',
        requestURI: `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
        verb: 'create',
        user: { username, groups: ['system:authenticated'] },
        sourceIPs: ['203.0.113.7'],
        userAgent: 'forged',
        objectRef: { resource: 'ingresses', namespace: ns, name, apiGroup: 'networking.k8s.io' },
        responseStatus: { code: 201 },
        requestReceivedTimestamp: now,
        stageTimestamp: now,
      },
    ],
  };
}

/** A detection of Created and Updated Ingresses in `ns` whose exception names tenant-dev. */
export function exceptionDetection(name: string, ns: string): object {
  return {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name },
    spec: {
      title: 'Ingress created or changed, except by tenant-dev',
      severity: 'Medium',
      category: 'Exposure',
      events: ['Created', 'Updated'],
      resources: [{ group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' }],
      match: { namespaces: { include: [ns] } },
      exceptions: [{ description: 'tenant-dev ships its own ingresses', users: ['tenant-dev'] }],
    },
  };
}

/** An Ingress routing `host` to the Service shop. */
export function ingress(name: string, host: string) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name },
    spec: {
      rules: [
        {
          host,
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  };
}
