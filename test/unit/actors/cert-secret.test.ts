import assert from 'node:assert/strict';
import { GeneratedCerts, type GeneratedCertsOptions } from '../../../src/actors/cert-secret.js';
import { CERT_LIFETIME } from '../../../src/actors/certs.js';
import { ApiError } from '../../../src/kube/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { ManualClock } from './samples.js';

const SECRET_PATH = '/api/v1/namespaces/tripline-system/secrets';
const VWC_PATH = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/tripline-attribution';

interface Stored {
  metadata: { name: string; resourceVersion: string };
  data: Record<string, string>;
}

/** The part of the API server these tests need: one Secret, one webhook configuration. */
class FakeCluster {
  secret: Stored | undefined;
  vwc: { webhooks: Array<{ name: string; clientConfig: { caBundle?: string } }> } | undefined = {
    webhooks: [{ name: 'attribution.tripline.dev', clientConfig: {} }],
  };
  rv = 1;
  readonly log: string[] = [];
  /** Makes the next write lose a race: another replica stores this Secret just before it. */
  raceWith: Stored | undefined;

  async request<T>(method: string, path: string, opts: { body?: unknown } = {}): Promise<T> {
    this.log.push(`${method} ${path.replace(/^.*\//, '')}`);
    const notFound = () => new ApiError(`${method} ${path}: 404`, { status: 404, reason: 'NotFound' });
    const conflict = () => new ApiError(`${method} ${path}: 409`, { status: 409, reason: 'Conflict' });
    if (path.startsWith(VWC_PATH)) {
      if (!this.vwc) throw notFound();
      if (method === 'GET') return structuredClone(this.vwc) as T;
      for (const op of opts.body as Array<{ op: string; path: string; value: string }>) {
        const i = Number(op.path.split('/')[2]);
        if (op.op === 'add')
          (this.vwc.webhooks[i] as { clientConfig: { caBundle?: string } }).clientConfig.caBundle = op.value;
      }
      return {} as T;
    }
    assert.ok(path.startsWith(SECRET_PATH), `unexpected ${method} ${path}`);
    if (method === 'GET') {
      if (!this.secret) throw notFound();
      return structuredClone(this.secret) as T;
    }
    const body = opts.body as Stored;
    if (this.raceWith) {
      this.secret = this.raceWith;
      this.raceWith = undefined;
      throw conflict();
    }
    if (method === 'POST' && this.secret) throw conflict();
    if (method === 'PUT' && body.metadata.resourceVersion !== this.secret?.metadata.resourceVersion)
      throw conflict();
    this.secret = {
      metadata: { name: body.metadata.name, resourceVersion: String(++this.rv) },
      data: body.data,
    };
    return {} as T;
  }
}

const OPTS: GeneratedCertsOptions = {
  namespace: 'tripline-system',
  secret: 'tripline-webhook-certs',
  hosts: ['tripline-webhook.tripline-system.svc'],
  webhookConfiguration: 'tripline-attribution',
};

function replica(cluster: FakeCluster, clock = new ManualClock(), opts = OPTS) {
  return new GeneratedCerts({ client: cluster, clock, log: silentLogger() }, opts);
}

describe('GeneratedCerts', () => {
  it('creates the Secret once and sets the caBundle to its CA', async () => {
    const cluster = new FakeCluster();
    const bundle = await replica(cluster).ensure();
    assert.ok(cluster.secret);
    assert.equal(Buffer.from(cluster.secret.data['ca.crt'] ?? '', 'base64').toString(), bundle.ca.cert);
    assert.equal(Buffer.from(cluster.secret.data['tls.crt'] ?? '', 'base64').toString(), bundle.serving.cert);
    assert.equal(
      cluster.vwc?.webhooks[0]?.clientConfig.caBundle,
      Buffer.from(bundle.ca.cert).toString('base64'),
    );
  });

  it('is reused as it is by a second replica and by a restart: no write', async () => {
    const cluster = new FakeCluster();
    const first = await replica(cluster).ensure();
    cluster.log.length = 0;
    const second = await replica(cluster).ensure();
    assert.deepEqual(second, first);
    assert.deepEqual(cluster.log, ['GET tripline-webhook-certs', 'GET tripline-attribution']);
  });

  it('uses the Secret another replica created first', async () => {
    const other = new FakeCluster();
    const winner = await replica(other).ensure();
    const cluster = new FakeCluster();
    cluster.raceWith = other.secret;
    const got = await replica(cluster).ensure();
    assert.deepEqual(got, winner);
    assert.equal(cluster.log.filter((l) => l.startsWith('POST') || l.startsWith('PUT')).length, 1);
    assert.equal(
      cluster.vwc?.webhooks[0]?.clientConfig.caBundle,
      Buffer.from(winner.ca.cert).toString('base64'),
    );
  });

  it('renews the serving certificate before it expires, keeping the CA', async () => {
    const cluster = new FakeCluster();
    const clock = new ManualClock();
    const first = await replica(cluster, clock).ensure();
    clock.advance((CERT_LIFETIME.servingDays - 20) * 86_400_000);
    const renewed = await replica(cluster, clock).ensure();
    assert.equal(renewed.ca.cert, first.ca.cert);
    assert.notEqual(renewed.serving.cert, first.serving.cert);
    assert.equal(cluster.secret?.metadata.resourceVersion, '3');
  });

  it('waits for a missing webhook configuration without failing', async () => {
    const cluster = new FakeCluster();
    cluster.vwc = undefined;
    await replica(cluster).ensure();
    assert.ok(cluster.secret);
  });

  it('leaves the webhook configuration alone when none is named (cert-manager injects it)', async () => {
    const cluster = new FakeCluster();
    await replica(cluster, new ManualClock(), { ...OPTS, webhookConfiguration: '' }).ensure();
    assert.ok(!cluster.log.some((l) => l.includes('tripline-attribution')));
  });
});
