/**
 * The reference copier of the latency and burst scenarios (DESIGN §9, "Floor"), run as its own Node
 * process so that its CPU and memory are measured apart, like the operator's: a minimal client on ONE
 * keep-alive pool (the project's own {@link KubeClient}) that watches the kinds the scenarios create,
 * and for each new object's ADDED event creates one small ConfigMap — its own minimal record, named
 * from the object's uid ({@link recordName}) — with at most {@link WRITES_IN_FLIGHT} creates in
 * flight (the operator's default `--workers`). No queue, no retries, no dedup beyond the name, no
 * detection: the limit of any watch → write pipeline on this API server.
 *
 * It watches whole objects as JSON (not metadata only), because a pipeline that decides on an
 * object's content, as Tripline does, must receive it; the record it writes is ~200 bytes.
 *
 * Usage: node dist/test/bench/copier-process.js KUBECONFIG RECORD_NAMESPACE WATCH_PATH...
 * Prints `{"ready":true}` once every watch is open, and on SIGTERM one JSON line of counters, then exits.
 */
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../../src/api/kube-object.js';
import { loadClusterAccess } from '../../src/kube/access.js';
import { KubeClient } from '../../src/kube/client.js';
import { type CopierCounters, recordBody } from './copier.js';

/** Creates in flight at most: the operator's default `--workers` (alert writes in flight). */
const WRITES_IN_FLIGHT = 32;

interface WatchEvent {
  type: string;
  object: KubeObject & { message?: string };
}

const counters: CopierCounters = {
  events: 0,
  created: 0,
  conflicts: 0,
  errors: 0,
  connectionsOpened: 0,
  requests: 0,
};

async function main(argv: string[]): Promise<void> {
  const [kubeconfig, namespace, ...paths] = argv;
  if (!kubeconfig || !namespace || paths.length === 0)
    throw new Error('usage: copier-process.js KUBECONFIG RECORD_NAMESPACE WATCH_PATH...');
  const access = await loadClusterAccess({ kubeconfig });
  const client = new KubeClient(access, {
    maxSockets: paths.length + WRITES_IN_FLIGHT,
    userAgent: 'tripline-bench/copier',
    requestTimeoutMs: 120_000,
  });
  const writer = new Writer(client, namespace);
  const abort = new AbortController();
  process.once('SIGTERM', () => {
    abort.abort();
    const s = client.stats();
    process.stdout.write(
      `${JSON.stringify({ ...counters, connectionsOpened: s.connectionsOpened, requests: s.requests })}\n`,
      () => process.exit(0),
    );
  });
  const connected = await Promise.all(paths.map((p) => watch(client, p, writer, abort.signal)));
  await Promise.all(connected.map((c) => c.open));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await Promise.all(connected.map((c) => c.done));
}

/** Creates one record per object, at most {@link WRITES_IN_FLIGHT} at once, in arrival order. */
class Writer {
  readonly #client: KubeClient;
  readonly #collection: string;
  readonly #waiting: KubeObject[] = [];
  #inFlight = 0;

  constructor(client: KubeClient, namespace: string) {
    this.#client = client;
    this.#collection = `/api/v1/namespaces/${namespace}/configmaps`;
  }

  add(obj: KubeObject): void {
    this.#waiting.push(obj);
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight < WRITES_IN_FLIGHT && this.#waiting.length > 0) {
      const obj = this.#waiting.shift() as KubeObject;
      this.#inFlight++;
      void this.#write(obj).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #write(obj: KubeObject): Promise<void> {
    try {
      await this.#client.request('POST', this.#collection, {
        body: recordBody(obj),
        query: { fieldManager: 'bench-copier' },
      });
      counters.created++;
    } catch (err: unknown) {
      if ((err as { status?: number }).status === 409) counters.conflicts++;
      else counters.errors++;
    }
  }
}

/** Lists for a resourceVersion, then watches from it (new objects only), resuming when a stream ends. */
async function watch(
  client: KubeClient,
  path: string,
  writer: Writer,
  signal: AbortSignal,
): Promise<{ open: Promise<void>; done: Promise<void> }> {
  const list = await client.request<{ metadata: { resourceVersion: string } }>('GET', path, {
    query: { limit: 1 },
  });
  let rv = list.metadata.resourceVersion;
  let opened!: () => void;
  const open = new Promise<void>((r) => (opened = r));
  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const res = await client.stream(path, {
          query: { watch: 1, allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: 3600 },
          signal,
        });
        opened();
        rv = await consume(res, rv, writer);
      } catch {
        // A dropped stream resumes from the last resourceVersion; the copier has no figures of its own
        // beyond what it wrote, and a missing record shows up in the benchmark's counts.
        if (signal.aborted) return;
        await sleep(200);
      }
    }
  };
  return { open, done: loop() };
}

async function consume(res: IncomingMessage, rv: string, writer: Writer): Promise<string> {
  let last = rv;
  let buf = '';
  res.setEncoding('utf8');
  for await (const chunk of res as AsyncIterable<string>) {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const ev = JSON.parse(line) as WatchEvent;
      if (ev.type === 'ERROR') throw new Error(`watch ERROR event: ${ev.object.message ?? ''}`);
      last = ev.object.metadata?.resourceVersion ?? last;
      if (ev.type !== 'ADDED') continue;
      counters.events++;
      writer.add(ev.object);
    }
  }
  return last;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error('copier failed:', err);
  process.exit(1);
});
