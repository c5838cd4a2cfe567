import { LABELS, MANAGED_BY } from '../api/constants.js';
import type { KubeApi } from '../kube/api.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../runtime/clock.js';
import type { CertBundle } from './certs.js';

/** The certificate library (a few MB of ASN.1 code) is loaded only when certificates are generated. */
const certs = () => import('./certs.js');

/** Where the generated certificates live and which webhook configuration trusts them. */
export interface GeneratedCertsOptions {
  namespace: string;
  secret: string;
  /** DNS names and IP addresses of the serving certificate. */
  hosts: string[];
  /** ValidatingWebhookConfiguration whose caBundle is kept equal to the CA; '' to leave it alone. */
  webhookConfiguration: string;
}

/** What generated certificates need. */
export interface GeneratedCertsDeps {
  client: Pick<KubeApi, 'request'>;
  clock: Clock;
  log: Logger;
}

/** Keys of the Secret (a kubernetes.io/tls Secret with the CA added, so every replica can re-issue). */
const KEYS = { cert: 'tls.crt', key: 'tls.key', caCert: 'ca.crt', caKey: 'ca.key' } as const;
const ATTEMPTS = 5;

interface SecretObject {
  metadata: { resourceVersion?: string };
  data?: Record<string, string>;
}

interface Webhook {
  name: string;
  clientConfig?: { caBundle?: string };
}

/**
 * Certificates the operator makes itself: a CA and a serving certificate kept in one Secret in
 * its own namespace, created by whichever replica comes first and reused by every other replica and
 * restart; renewed before expiry (an update with the resourceVersion read, so two replicas never
 * both win). The CA goes into the webhook configuration's caBundle.
 */
export class GeneratedCerts {
  constructor(
    private readonly deps: GeneratedCertsDeps,
    private readonly opts: GeneratedCertsOptions,
  ) {}

  /** The current bundle, created or renewed first if needed, with the caBundle patched. */
  async ensure(): Promise<CertBundle> {
    const bundle = await this.#ensureSecret();
    await this.#patchCaBundle(bundle.ca.cert);
    return bundle;
  }

  async #ensureSecret(): Promise<CertBundle> {
    for (let attempt = 1; ; attempt++) {
      const found = await this.#read();
      const current = found ? decode(found) : undefined;
      const now = this.deps.clock.now();
      const { expiryOf, renew, renewalNeeded } = await certs();
      const need = current ? await renewalNeeded(current, this.opts.hosts, now) : 'ca';
      if (current && need === 'none') return current;
      const next = await renew(current, need, this.opts.hosts, now);
      try {
        await this.#write(next, found?.metadata.resourceVersion);
      } catch (err: unknown) {
        // Another replica created or renewed it meanwhile: use theirs.
        if (isConflict(err) && attempt < ATTEMPTS) continue;
        throw new Error(`writing Secret ${this.opts.namespace}/${this.opts.secret}`, { cause: err });
      }
      this.deps.log.info(found ? 'Renewed webhook certificate' : 'Created webhook certificate', {
        secret: `${this.opts.namespace}/${this.opts.secret}`,
        renewed: need,
        notAfter: expiryOf(next.serving.cert).toISOString(),
      });
      return next;
    }
  }

  get #path(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.opts.namespace)}/secrets`;
  }

  async #read(): Promise<SecretObject | undefined> {
    try {
      return await this.deps.client.request<SecretObject>(
        'GET',
        `${this.#path}/${encodeURIComponent(this.opts.secret)}`,
      );
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw new Error(`reading Secret ${this.opts.namespace}/${this.opts.secret}`, { cause: err });
    }
  }

  async #write(b: CertBundle, resourceVersion: string | undefined): Promise<void> {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: this.opts.secret,
        namespace: this.opts.namespace,
        labels: { [LABELS.managedBy]: MANAGED_BY, 'app.kubernetes.io/name': 'tripline' },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      data: {
        [KEYS.cert]: b64(b.serving.cert),
        [KEYS.key]: b64(b.serving.key),
        [KEYS.caCert]: b64(b.ca.cert),
        [KEYS.caKey]: b64(b.ca.key),
      },
    };
    if (resourceVersion) {
      await this.deps.client.request('PUT', `${this.#path}/${encodeURIComponent(this.opts.secret)}`, {
        body,
      });
    } else {
      // A create that finds the name taken answers 409 as well: read again and use that one.
      await this.deps.client.request('POST', this.#path, { body });
    }
  }

  /** Sets caBundle on every webhook of the configuration that lacks this CA (JSON patch with a test per index). */
  async #patchCaBundle(caPem: string): Promise<void> {
    const name = this.opts.webhookConfiguration;
    if (!name) return;
    const path = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${encodeURIComponent(name)}`;
    let vwc: { webhooks?: Webhook[] };
    try {
      vwc = await this.deps.client.request('GET', path);
    } catch (err: unknown) {
      if (!isNotFound(err)) throw new Error(`reading ValidatingWebhookConfiguration ${name}`, { cause: err });
      this.deps.log.warn('ValidatingWebhookConfiguration not found; its caBundle is set once it exists', {
        name,
      });
      return;
    }
    const caBundle = Buffer.from(caPem).toString('base64');
    const ops = (vwc.webhooks ?? []).flatMap((w, i) =>
      w.clientConfig?.caBundle === caBundle
        ? []
        : [
            { op: 'test', path: `/webhooks/${i}/name`, value: w.name },
            { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle },
          ],
    );
    if (ops.length === 0) return;
    await this.deps.client.request('PATCH', path, { body: ops, contentType: 'application/json-patch+json' });
    this.deps.log.info('Patched webhook caBundle', { name, webhooks: ops.length / 2 });
  }
}

function decode(s: SecretObject): CertBundle | undefined {
  const get = (k: string): string => Buffer.from(s.data?.[k] ?? '', 'base64').toString('utf8');
  const b = {
    ca: { cert: get(KEYS.caCert), key: get(KEYS.caKey) },
    serving: { cert: get(KEYS.cert), key: get(KEYS.key) },
  };
  return b.ca.cert && b.ca.key && b.serving.cert && b.serving.key ? b : undefined;
}
