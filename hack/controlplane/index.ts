/**
 * The local control plane shared by e2e tests, the demo and benchmarks: a real kube-apiserver and etcd
 * on loopback, started from the pinned binaries of `hack/build-control-plane.sh` (DESIGN §7).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterAccess } from '../../src/kube/access.js';
import { adminTls, startApiServer as spawnApiServer, waitApiServerReady } from './apiserver.js';
import { type Binaries, obtainBinaries } from './binaries.js';
import { ADMIN_USER, type CertPair, createPki, issueCert, type Pki } from './certs.js';
import { compactEtcd, type EtcdPorts, etcdRevision, startEtcd, waitEtcdHealthy } from './etcd.js';
import { writeKubeconfig } from './kubeconfig.js';
import { type KubectlResult, runKubectl } from './kubectl.js';
import {
  disownDirectory,
  freePorts,
  type ManagedProcess,
  ownDirectory,
  stopProcessGroup,
} from './processes.js';
import { type WebhookClient, writeWebhookClientConfig } from './webhook-client.js';

export type { KubectlResult } from './kubectl.js';
export type { WebhookClient } from './webhook-client.js';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Appended to the kube-apiserver flags of DESIGN §7 (e.g. audit or admission webhook flags). */
  extraApiServerArgs?: string[];
  /** false starts kube-apiserver with `--watch-cache=false` (watches from compacted revisions get 410). Default true. */
  watchCache?: boolean;
  /** Progress and build output. Default: lines on stderr. */
  log?: (msg: string) => void;
  /** Directory for certs, kubeconfigs, etcd data and logs; kept on stop. Default: a fresh temp dir, removed on stop. */
  dir?: string;
  /**
   * The identity kube-apiserver presents to admission webhooks (an AdmissionConfiguration with a
   * client certificate signed by the cluster CA, or a token). Default: none, webhooks are called anonymously.
   */
  webhookClient?: WebhookClient;
}

/** A user identity created by {@link ControlPlane.addUser}. */
export interface LocalUser {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
}

/** A running local control plane. Everything it starts lives in its own process groups under `dir`. */
export interface ControlPlane {
  /** The API server URL, `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** Admin (system:masters) client configuration. */
  readonly kubeConfig: KubeConfig;
  /** Admin access for the operator's lean client (`new KubeClient(cp.access, …)`). */
  readonly access: ClusterAccess;
  /** Admin kubeconfig file with embedded certificates, for kubectl and the operator's `--kubeconfig`. */
  readonly kubeconfigPath: string;
  /** The cluster CA certificate file (it signs the API server's, users' and the webhook client's certificates). */
  readonly caPath: string;
  /** The client certificate kube-apiserver presents to admission webhooks, when `webhookClient` named one. */
  readonly webhookClientCert: CertPair | undefined;
  /** Directory of the pinned kube-apiserver, kubectl and etcd binaries. */
  readonly binDir: string;
  /** etcd client URL, `http://127.0.0.1:<port>`. */
  readonly etcdUrl: string;
  readonly dir: string;
  /** Runs the pinned kubectl with `--kubeconfig` (admin unless `opts.kubeconfig`); never throws on exit codes. */
  kubectl(args: string[], opts?: { input?: string; kubeconfig?: string }): Promise<KubectlResult>;
  /** Issues a client certificate (CN=name, one O per group) signed by the cluster CA, with its kubeconfig. */
  addUser(name: string, groups: string[]): Promise<LocalUser>;
  /** Stops then starts kube-apiserver on the same port; etcd and its data stay. Resolves when ready. */
  restartApiServer(): Promise<void>;
  /** Stops kube-apiserver only (SIGTERM, then SIGKILL after a grace period). */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again after {@link ControlPlane.stopApiServer}; resolves when ready. */
  startApiServer(): Promise<void>;
  /** The current etcd revision. */
  etcdRevision(): Promise<number>;
  /** Physically compacts etcd up to `revision` (default: current); resolves with the revision used. */
  compactEtcd(revision?: number): Promise<number>;
  /** Stops both processes and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const defaultLog = (msg: string) => process.stderr.write(`${msg}\n`);

/** Starts etcd and kube-apiserver on free loopback ports and resolves once the API server is ready. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? defaultLog;
  const bins = await obtainBinaries(log);
  const started = Date.now();
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'tripline-cp-')));
  if (opts.dir) await mkdir(dir, { recursive: true });
  else ownDirectory(dir);
  const [ports, pki] = await Promise.all([freePorts(3), createPki(dir)]);
  const [etcdClient, etcdPeer, apiPort] = ports as [number, number, number];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = path.join(dir, 'admin.kubeconfig');
  const kubeConfig = await writeKubeconfig(kubeconfigPath, server, pki.ca.cert, ADMIN_USER, pki.admin);
  const webhookClient = opts.webhookClient
    ? await writeWebhookClientConfig(dir, pki.ca, opts.webhookClient)
    : { args: [] };
  const cp = new LocalControlPlane({
    server,
    kubeConfig,
    kubeconfigPath,
    dir,
    ownsDir: !opts.dir,
    pki,
    bins,
    apiPort,
    etcdPorts: { client: etcdClient, peer: etcdPeer },
    watchCache: opts.watchCache ?? true,
    extraArgs: [...webhookClient.args, ...(opts.extraApiServerArgs ?? [])],
    webhookClientCert: webhookClient.cert,
  });
  try {
    await cp.boot();
  } catch (err: unknown) {
    await cp.stop().catch(() => {
      // The boot error is the one worth reporting; stop() already SIGKILLed what it could.
    });
    throw new Error('starting the local control plane', { cause: err });
  }
  log(`Started local control plane server=${server} dir=${dir} startupMs=${Date.now() - started}`);
  return cp;
}

interface Setup {
  server: string;
  kubeConfig: KubeConfig;
  kubeconfigPath: string;
  dir: string;
  ownsDir: boolean;
  pki: Pki;
  bins: Binaries;
  apiPort: number;
  etcdPorts: EtcdPorts;
  watchCache: boolean;
  extraArgs: string[];
  webhookClientCert: CertPair | undefined;
}

class LocalControlPlane implements ControlPlane {
  readonly server: string;
  readonly kubeConfig: KubeConfig;
  readonly access: ClusterAccess;
  readonly kubeconfigPath: string;
  readonly binDir: string;
  readonly etcdUrl: string;
  readonly dir: string;
  readonly caPath: string;
  readonly webhookClientCert: CertPair | undefined;
  private etcd: ManagedProcess | undefined;
  private apiServer: ManagedProcess | undefined;
  private stopping: Promise<void> | undefined;
  private users = 0;

  constructor(private readonly setup: Setup) {
    ({ server: this.server, kubeConfig: this.kubeConfig, kubeconfigPath: this.kubeconfigPath } = setup);
    this.dir = setup.dir;
    this.etcdUrl = `http://127.0.0.1:${setup.etcdPorts.client}`;
    this.binDir = setup.bins.binDir;
    this.caPath = setup.pki.ca.certPath;
    this.webhookClientCert = setup.webhookClientCert;
    const { ca, cert, key } = adminTls(setup.pki);
    this.access = { server: this.server, ca, cert, key, headers: async () => ({}) };
  }

  /** Starts etcd, waits for it, then starts kube-apiserver and waits until it is ready. */
  async boot(): Promise<void> {
    this.etcd = startEtcd(this.setup.bins.etcd, this.dir, this.setup.etcdPorts);
    await waitEtcdHealthy(this.etcdUrl, this.etcd, READY_TIMEOUT_MS);
    await this.startApiServer();
  }

  kubectl(args: string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<KubectlResult> {
    return runKubectl(this.setup.bins.kubectl, opts.kubeconfig ?? this.kubeconfigPath, args, opts.input);
  }

  async addUser(name: string, groups: string[]): Promise<LocalUser> {
    const usersDir = path.join(this.dir, 'users');
    await mkdir(usersDir, { recursive: true });
    const file = `${name.replace(/[^\w.-]/g, '_')}-${++this.users}`;
    const { pki } = this.setup;
    const cert = await issueCert(pki.ca, usersDir, file, {
      commonName: name,
      organizations: groups,
      usage: 'client',
    });
    const kubeconfigPath = path.join(usersDir, `${file}.kubeconfig`);
    const kubeConfig = await writeKubeconfig(kubeconfigPath, this.server, pki.ca.cert, name, cert);
    return { kubeconfigPath, kubeConfig };
  }

  async restartApiServer(): Promise<void> {
    await this.stopApiServer();
    await this.startApiServer();
  }

  async stopApiServer(): Promise<void> {
    const proc = this.apiServer;
    this.apiServer = undefined;
    if (proc) await stopProcessGroup(proc);
  }

  async startApiServer(): Promise<void> {
    if (this.stopping) throw new Error('the local control plane is stopped');
    if (this.apiServer) throw new Error('kube-apiserver is already running');
    const { bins, pki, apiPort, watchCache, extraArgs } = this.setup;
    this.apiServer = spawnApiServer({
      bin: bins.kubeApiServer,
      dir: this.dir,
      port: apiPort,
      etcdUrl: this.etcdUrl,
      pki,
      watchCache,
      extraArgs,
    });
    const watch = [this.apiServer, ...(this.etcd ? [this.etcd] : [])];
    await waitApiServerReady(this.server, adminTls(pki), watch, READY_TIMEOUT_MS);
  }

  etcdRevision(): Promise<number> {
    return etcdRevision(this.etcdUrl);
  }

  compactEtcd(revision?: number): Promise<number> {
    return compactEtcd(this.etcdUrl, revision);
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    // kube-apiserver first: with etcd gone it hangs in shutdown until SIGKILL (8 s instead of about 1 s).
    try {
      await this.stopApiServer();
    } finally {
      if (this.etcd) await stopProcessGroup(this.etcd);
    }
    if (!this.setup.ownsDir) return;
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
    disownDirectory(this.dir);
  }
}
