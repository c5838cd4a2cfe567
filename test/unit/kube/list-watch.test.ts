import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { type ObservedType, ResilientWatch } from '../../../src/kube/list-watch.js';
import { silentLogger } from '../../../src/observability/logger.js';

/** A Secret as a server that ignores the metadata-only Accept header would send it: values included. */
const fullSecret = (name: string, rv: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: rv },
    type: 'kubernetes.io/tls',
    data: { 'tls.key': 'c2VjcmV0LWtleQ==' },
    stringData: { password: 'hunter2' },
  }) as KubeObject;

/** A cluster port fake that answers one list page and one watch stream carrying full Secrets. */
function fullAnsweringClient(stream: PassThrough): KubeClient {
  return {
    request: async () => ({ metadata: { resourceVersion: '10' }, items: [fullSecret('listed', '9')] }),
    stream: async (_path: string, opts: { signal: AbortSignal }) => {
      // As a real response does, the stream ends when the watch is aborted.
      opts.signal.addEventListener('abort', () => stream.destroy(), { once: true });
      return stream as unknown as IncomingMessage;
    },
  } as unknown as KubeClient;
}

describe('ResilientWatch metadata-only', () => {
  it('keeps only metadata even when the server answers with full objects', async () => {
    const stream = new PassThrough();
    const seen: { type: ObservedType; obj: KubeObject }[] = [];
    let watched: () => void = () => {};
    const gotWatchEvent = new Promise<void>((r) => {
      watched = r;
    });
    const watch = new ResilientWatch(
      fullAnsweringClient(stream),
      {
        path: '/api/v1/secrets',
        apiVersion: 'v1',
        kind: 'Secret',
        pageSize: 500,
        stallTimeoutMs: 60_000,
        watchTimeoutSeconds: 300,
        backoff: { baseMs: 10, maxMs: 100 },
        metadataOnly: true,
      },
      {
        onObject: (type, obj) => {
          seen.push({ type, obj });
          if (type === 'ADDED') watched();
        },
      },
      silentLogger(),
    );
    watch.start();
    stream.write(`${JSON.stringify({ type: 'ADDED', object: fullSecret('added', '11') })}\n`);
    await gotWatchEvent;
    await watch.stop();
    assert.deepEqual(
      seen.map((s) => [s.type, s.obj.metadata?.name]),
      [
        ['LISTED', 'listed'],
        ['ADDED', 'added'],
      ],
    );
    for (const { obj } of seen) {
      assert.deepEqual(Object.keys(obj).sort(), ['apiVersion', 'kind', 'metadata']);
      assert.doesNotMatch(JSON.stringify(obj), /c2VjcmV0LWtleQ|hunter2/);
    }
  });
});
