import path from 'node:path';
import type { Pki } from './certs.js';
import { type ClientTls, request } from './http.js';
import { type ManagedProcess, spawnLogged, waitUntil } from './processes.js';

/** Everything kube-apiserver is started with. */
export interface ApiServerConfig {
  bin: string;
  dir: string;
  port: number;
  etcdUrl: string;
  pki: Pki;
  /** false adds `--watch-cache=false`: watches go straight to etcd (410 on compacted revisions). */
  watchCache: boolean;
  extraArgs: string[];
}

/** The kube-apiserver flags of DESIGN §7, then `--watch-cache=false` if asked, then the extra args. */
export function apiServerArgs(cfg: ApiServerConfig): string[] {
  const { pki } = cfg;
  const args = [
    `--etcd-servers=${cfg.etcdUrl}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${cfg.port}`,
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${pki.serving.certPath}`,
    `--tls-private-key-file=${pki.serving.keyPath}`,
    `--client-ca-file=${pki.ca.certPath}`,
    '--authorization-mode=RBAC',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPubPath}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyPath}`,
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
  ];
  if (!cfg.watchCache) args.push('--watch-cache=false');
  return args.concat(cfg.extraArgs);
}

/** Starts kube-apiserver; its output is appended to `<dir>/kube-apiserver.log` across restarts. */
export function startApiServer(cfg: ApiServerConfig): ManagedProcess {
  return spawnLogged('kube-apiserver', cfg.bin, apiServerArgs(cfg), path.join(cfg.dir, 'kube-apiserver.log'));
}

/** Client TLS of the admin user (system:masters), for readiness probes. */
export function adminTls(pki: Pki): ClientTls {
  return { ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key };
}

/** Waits until `/readyz` answers `ok` and namespace `default` exists (created by a post-start hook). */
export function waitApiServerReady(
  server: string,
  tls: ClientTls,
  watch: ManagedProcess[],
  timeoutMs: number,
): Promise<void> {
  return waitUntil(
    async () => {
      const ready = await request(`${server}/readyz`, { tls, timeoutMs: 2_000 });
      if (ready.status !== 200 || ready.body.trim() !== 'ok') return false;
      const ns = await request(`${server}/api/v1/namespaces/default`, { tls, timeoutMs: 2_000 });
      return ns.status === 200;
    },
    { what: 'kube-apiserver ready (/readyz ok and namespace default)', watch, timeoutMs },
  );
}
