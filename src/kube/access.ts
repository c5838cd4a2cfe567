import { readFileSync } from 'node:fs';
import type https from 'node:https';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';

/** How to reach and authenticate to one API server: TLS material plus per-request headers. */
export interface ClusterAccess {
  server: string;
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  servername?: string;
  insecureSkipTlsVerify?: boolean;
  /** Headers for the next request (Authorization); cheap, refreshed periodically by the source. */
  headers(): Promise<Record<string, string>>;
}

/** Where the operator runs: in a Pod (service account) or with a kubeconfig file. */
export interface AccessSource {
  kubeconfig?: string;
  inCluster?: { host: string; port: string };
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const REFRESH_MS = 60_000;

/**
 * Loads cluster access without importing `@kubernetes/client-node` for the forms a deployment uses
 * (in-cluster service account; kubeconfig with certificates, token or token file): importing
 * client-node costs ~88 MB of RSS, over half the operator's memory budget (DESIGN §9). Kubeconfigs
 * that need an exec plugin or an auth provider load client-node lazily and take credentials from
 * its `KubeConfig`, so every form it supports still works.
 */
export async function loadClusterAccess(src: AccessSource): Promise<ClusterAccess> {
  if (src.kubeconfig) return await fromKubeconfigFile(src.kubeconfig);
  if (src.inCluster) return inCluster(src.inCluster.host, src.inCluster.port);
  throw new Error('no kubeconfig given and not running in a Pod (KUBERNETES_SERVICE_HOST is unset)');
}

function inCluster(host: string, port: string): ClusterAccess {
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    ca: readFileSync(path.join(SA_DIR, 'ca.crt')),
    headers: tokenFileHeaders(path.join(SA_DIR, 'token')),
  };
}

interface NamedCluster {
  name: string;
  cluster: Record<string, unknown>;
}
interface NamedUser {
  name: string;
  user: Record<string, unknown>;
}
interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: NamedCluster[];
  users?: NamedUser[];
}

async function fromKubeconfigFile(file: string): Promise<ClusterAccess> {
  const dir = path.dirname(file);
  let doc: KubeconfigFile;
  try {
    doc = YAML.parse(readFileSync(file, 'utf8')) as KubeconfigFile;
  } catch (err: unknown) {
    throw new Error(`reading kubeconfig ${file}`, { cause: err });
  }
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context'])?.context;
  const cluster = doc.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === ctx?.user)?.user ?? {};
  if (!ctx || !cluster || typeof cluster.server !== 'string') {
    throw new Error(`kubeconfig ${file} has no usable current context and cluster`);
  }
  if (user.exec || user['auth-provider']) return await viaClientNode(file);
  const bytes = (data: unknown, ref: unknown): Buffer | undefined =>
    typeof data === 'string'
      ? Buffer.from(data, 'base64')
      : typeof ref === 'string'
        ? readFileSync(path.resolve(dir, ref))
        : undefined;
  return {
    server: cluster.server,
    ca: bytes(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: bytes(user['client-certificate-data'], user['client-certificate']),
    key: bytes(user['client-key-data'], user['client-key']),
    servername: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    headers: userHeaders(user, dir),
  };
}

function userHeaders(user: Record<string, unknown>, dir: string): () => Promise<Record<string, string>> {
  if (typeof user.token === 'string') {
    const h = { authorization: `Bearer ${user.token}` };
    return async () => h;
  }
  if (typeof user.tokenFile === 'string') return tokenFileHeaders(path.resolve(dir, user.tokenFile));
  if (typeof user.username === 'string') {
    const h = {
      authorization: `Basic ${Buffer.from(`${user.username}:${String(user.password ?? '')}`).toString('base64')}`,
    };
    return async () => h;
  }
  return async () => ({});
}

/** Re-reads a (rotating) token file at most once a minute. */
function tokenFileHeaders(file: string): () => Promise<Record<string, string>> {
  let at = 0;
  let h: Record<string, string> = {};
  return async () => {
    if (Date.now() - at > REFRESH_MS) {
      h = { authorization: `Bearer ${readFileSync(file, 'utf8').trim()}` };
      at = Date.now();
    }
    return h;
  };
}

async function viaClientNode(file: string): Promise<ClusterAccess> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return await accessFromKubeConfig(kc);
}

/**
 * Cluster access from a client-node `KubeConfig` (tests and tools that already hold one): TLS from
 * `applyToHTTPSOptions`, headers re-read from it once a minute (exec plugins, rotating tokens).
 */
export async function accessFromKubeConfig(kc: KubeConfig): Promise<ClusterAccess> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const read = async (): Promise<https.RequestOptions> => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    return opts;
  };
  const first = await read();
  let at = Date.now();
  let headers = toHeaders(first);
  return {
    server: cluster.server,
    ca: first.ca as Buffer | string | undefined,
    cert: first.cert as Buffer | string | undefined,
    key: first.key as Buffer | string | undefined,
    servername: first.servername ?? undefined,
    insecureSkipTlsVerify: cluster.skipTLSVerify === true,
    headers: async () => {
      if (Date.now() - at > REFRESH_MS) {
        headers = toHeaders(await read());
        at = Date.now();
      }
      return headers;
    },
  };
}

function toHeaders(opts: https.RequestOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {}))
    if (v !== undefined) out[k.toLowerCase()] = String(v);
  if (opts.auth) out.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  return out;
}
