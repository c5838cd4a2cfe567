import path from 'node:path';
import { request } from './http.js';
import { type ManagedProcess, spawnLogged, waitUntil } from './processes.js';

/** Loopback ports of a single-member etcd. */
export interface EtcdPorts {
  client: number;
  peer: number;
}

/** Starts a single-member etcd on loopback with its data in `<dir>/etcd-data`, without fsync. */
export function startEtcd(bin: string, dir: string, ports: EtcdPorts): ManagedProcess {
  const clientUrl = `http://127.0.0.1:${ports.client}`;
  const peerUrl = `http://127.0.0.1:${ports.peer}`;
  return spawnLogged(
    'etcd',
    bin,
    [
      '--name=tripline',
      `--data-dir=${path.join(dir, 'etcd-data')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=tripline=${peerUrl}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    path.join(dir, 'etcd.log'),
  );
}

/** Waits until etcd's `/health` answers healthy. */
export function waitEtcdHealthy(url: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  return waitUntil(
    async () => {
      const res = await request(`${url}/health`, { timeoutMs: 1_000 });
      return res.status === 200 && (JSON.parse(res.body) as { health?: string }).health === 'true';
    },
    { what: 'etcd healthy', watch: [proc], timeoutMs },
  );
}

/** The current etcd revision, read from the header of a range request through etcd's HTTP gateway. */
export async function etcdRevision(url: string): Promise<number> {
  // "AA==" is the key "\0": any range answers with the current revision in its header.
  const body = await gateway(url, '/v3/kv/range', { key: 'AA==' });
  const revision = Number((body as { header?: { revision?: string } }).header?.revision);
  if (!Number.isSafeInteger(revision))
    throw new Error(`etcd range answered without a revision: ${JSON.stringify(body)}`);
  return revision;
}

/**
 * Compacts etcd up to `revision` (default: the current revision) with physical compaction, so watches
 * and reads from older revisions fail as they do on a real cluster. Returns the revision compacted to.
 * A revision that is already compacted is not an error; a future revision is.
 */
export async function compactEtcd(url: string, revision?: number): Promise<number> {
  const target = revision ?? (await etcdRevision(url));
  try {
    await gateway(url, '/v3/kv/compaction', { revision: target, physical: true });
  } catch (err: unknown) {
    // Already compacted at or past `target` (e.g. twice with no write between): the goal is met.
    if (!String((err as Error).message).includes('required revision has been compacted')) throw err;
  }
  return target;
}

/**
 * The size in bytes of the value stored under `key` (as kube-apiserver wrote it: protobuf for
 * built-in kinds, JSON for custom resources), or undefined when the key does not exist.
 */
export async function etcdValueBytes(url: string, key: string): Promise<number | undefined> {
  const body = (await gateway(url, '/v3/kv/range', { key: Buffer.from(key).toString('base64') })) as {
    kvs?: { value?: string }[];
  };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').length;
}

async function gateway(url: string, api: string, payload: object): Promise<unknown> {
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(`${url}${api}`, { method: 'POST', body: JSON.stringify(payload) });
  } catch (err: unknown) {
    throw new Error(`calling etcd ${api}`, { cause: err });
  }
  if (res.status !== 200) throw new Error(`etcd ${api} answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as unknown;
}
