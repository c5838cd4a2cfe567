import { writeFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import type { CertPair } from './certs.js';

/** The cluster and context name in every generated kubeconfig. */
export const CLUSTER_NAME = 'tripline-local';

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

/**
 * Writes a self-contained kubeconfig (certificates embedded, so it works from any directory and with
 * any client) for `user` authenticating with the client certificate `client`, and loads it.
 */
export async function writeKubeconfig(
  file: string,
  server: string,
  caPem: string,
  user: string,
  client: CertPair,
): Promise<KubeConfig> {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CLUSTER_NAME, cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [
      {
        name: user,
        user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) },
      },
    ],
    contexts: [{ name: `${user}@${CLUSTER_NAME}`, context: { cluster: CLUSTER_NAME, user } }],
    'current-context': `${user}@${CLUSTER_NAME}`,
  };
  // JSON is valid YAML: kubectl and client-node both read it.
  await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
  return kubeConfig;
}
