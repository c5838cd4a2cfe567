import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { isAlreadyExists } from '../../../src/kube/errors.js';
import { listAlerts } from './cluster.js';

const podBody = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/burst:1' }] },
});

/**
 * A Pod of about 1.4 MB, near etcd's 1.5 MiB limit: annotations are capped at 256 KiB in total, so
 * env values (fake secrets) make up the rest.
 */
export const bigPodBody = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, annotations: { 'example.com/blob': 'x'.repeat(250_000) } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'registry.example.com/big:1',
        env: Array.from({ length: 1000 }, (_, i) => ({
          name: `SECRET_${i}`,
          value: `s3cr3t-${'v'.repeat(1150)}`,
        })),
      },
    ],
  },
});

/**
 * Creates `n` Pods with `concurrency` requests in flight. A create that fails (API server down,
 * 5xx) is retried; a retry answered 409 means the first attempt landed, so the stored object is read.
 * `onProgress` is called after each ack with the count so far (to inject a fault mid-burst).
 */
export async function createPods(
  c: KubeClient,
  ns: string,
  prefix: string,
  n: number,
  opts: {
    concurrency?: number;
    onProgress?: (done: number) => void;
    /** The Pod to create (default: one small container). */
    body?: (name: string) => KubeObject;
    /** Keep only each created Pod's metadata (for large Pods, so the test holds little). */
    metadataOnly?: boolean;
  } = {},
): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  let next = 0;
  const body = opts.body ?? podBody;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const name = `${prefix}-${next++}`;
      const pod = await createWithRetry(c, ns, name, body);
      out.push(
        opts.metadataOnly ? { apiVersion: pod.apiVersion, kind: pod.kind, metadata: pod.metadata } : pod,
      );
      opts.onProgress?.(out.length);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 20 }, worker));
  return out;
}

async function createWithRetry(
  c: KubeClient,
  ns: string,
  name: string,
  body: (name: string) => KubeObject,
): Promise<KubeObject> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await c.request<KubeObject>('POST', `/api/v1/namespaces/${ns}/pods`, { body: body(name) });
    } catch (err: unknown) {
      if (isAlreadyExists(err))
        return await c.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
      if (attempt > 200) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Asserts that every object has exactly one alert (none lost, none duplicated). */
export async function assertExactlyOnce(c: KubeClient, objs: KubeObject[]): Promise<void> {
  const alerts = await listAlerts(c);
  const byUid = new Map<string, number>();
  for (const a of alerts) {
    const uid = a.spec.subject.uid ?? '';
    byUid.set(uid, (byUid.get(uid) ?? 0) + 1);
  }
  const lost = objs.filter((o) => !byUid.has(o.metadata.uid as string)).map((o) => o.metadata.name);
  const dup = objs.filter((o) => (byUid.get(o.metadata.uid as string) ?? 0) > 1).map((o) => o.metadata.name);
  assert.deepEqual({ lost, dup }, { lost: [], dup: [] });
}

/** Resolves once every object has at least one alert. */
export async function allAlerted(c: KubeClient, objs: KubeObject[]): Promise<boolean> {
  const uids = new Set((await listAlerts(c)).map((a) => a.spec.subject.uid));
  return objs.every((o) => uids.has(o.metadata.uid as string));
}
