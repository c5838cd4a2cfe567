/**
 * How kube-apiserver authenticates to admission webhooks: an AdmissionConfiguration
 * (`--admission-control-config-file`) whose WebhookAdmissionConfiguration names a kubeconfig with
 * credentials per webhook host. Without it the API server calls webhooks anonymously, and a
 * webhook cannot tell it from any other client.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CertPair, issueCert } from './certs.js';

/** The identity kube-apiserver presents to every admission webhook: a client certificate, or a bearer token. */
export type WebhookClient = { commonName: string; organizations?: string[] } | { token: string };

/** What {@link writeWebhookClientConfig} made: the API server flag, and the certificate if one was issued. */
export interface WebhookClientConfig {
  args: string[];
  cert?: CertPair;
}

/**
 * Writes the AdmissionConfiguration and its kubeconfig into `dir`; a certificate is issued by `ca`
 * (the cluster CA here, as on kubeadm clusters). The user `*` applies to every webhook host.
 */
export async function writeWebhookClientConfig(
  dir: string,
  ca: CertPair,
  client: WebhookClient,
): Promise<WebhookClientConfig> {
  let cert: CertPair | undefined;
  let user: Record<string, string>;
  if ('token' in client) {
    user = { token: client.token };
  } else {
    cert = await issueCert(ca, dir, 'webhook-client', {
      commonName: client.commonName,
      organizations: client.organizations ?? [],
      usage: 'client',
    });
    user = { 'client-certificate': cert.certPath, 'client-key': cert.keyPath };
  }
  const kubeconfig = path.join(dir, 'webhook-client.kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({ apiVersion: 'v1', kind: 'Config', users: [{ name: '*', user }] }),
    { mode: 0o600 },
  );
  const webhookConfig = (kind: string) => ({
    name: kind,
    configuration: {
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'WebhookAdmissionConfiguration',
      kubeConfigFile: kubeconfig,
    },
  });
  const admissionConfig = path.join(dir, 'admission-config.json');
  await writeFile(
    admissionConfig,
    JSON.stringify({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'AdmissionConfiguration',
      plugins: [webhookConfig('ValidatingAdmissionWebhook'), webhookConfig('MutatingAdmissionWebhook')],
    }),
  );
  const out: WebhookClientConfig = { args: [`--admission-control-config-file=${admissionConfig}`] };
  if (cert) out.cert = cert;
  return out;
}
