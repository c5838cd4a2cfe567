import assert from 'node:assert/strict';
import { GeneratedCerts, type GeneratedCertsOptions } from '../../../src/actors/cert-secret.js';
import { CERT_LIFETIME } from '../../../src/actors/certs.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { ManualClock } from './samples.js';

const SECRETS = 'secrets';
const VWCS = 'validatingwebhookconfigurations.admissionregistration.k8s.io';
const SECRET = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { namespace: 'tripline-system', name: 'tripline-webhook-certs' },
};
const VWC = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: 'tripline-attribution' },
};

/** A cluster with the webhook configuration (its caBundle empty), unless `withVwc` is false. */
function clusterWith(withVwc = true): FakeCluster {
  const cluster = new FakeCluster();
  if (withVwc) cluster.put({ ...VWC, webhooks: [{ name: 'attribution.tripline.dev', clientConfig: {} }] });
  return cluster;
}

const secretOf = (c: FakeCluster) => c.get(SECRET) as { data: Record<string, string> } | undefined;
const caBundleOf = (c: FakeCluster) =>
  (c.get(VWC) as { webhooks?: Array<{ clientConfig: { caBundle?: string } }> } | undefined)?.webhooks?.[0]
    ?.clientConfig.caBundle;
const secretWrites = (c: FakeCluster) => c.writes().filter((w) => w.split(' ')[1] === SECRETS);

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
    const cluster = clusterWith();
    const bundle = await replica(cluster).ensure();
    const secret = secretOf(cluster);
    assert.ok(secret);
    assert.equal(Buffer.from(secret.data['ca.crt'] ?? '', 'base64').toString(), bundle.ca.cert);
    assert.equal(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString(), bundle.serving.cert);
    assert.equal(caBundleOf(cluster), Buffer.from(bundle.ca.cert).toString('base64'));
    assert.deepEqual(cluster.writes(), [
      `create ${SECRETS} tripline-system/tripline-webhook-certs`,
      `patch ${VWCS} tripline-attribution`,
    ]);
  });

  it('is reused as it is by a second replica and by a restart: no write', async () => {
    const cluster = clusterWith();
    const first = await replica(cluster).ensure();
    cluster.clearActions();
    const second = await replica(cluster).ensure();
    assert.deepEqual(second, first);
    assert.deepEqual(cluster.verbs(), [
      `get ${SECRETS} tripline-system/tripline-webhook-certs`,
      `get ${VWCS} tripline-attribution`,
    ]);
  });

  it('uses the Secret another replica created first', async () => {
    const other = clusterWith();
    const winner = await replica(other).ensure();
    const cluster = clusterWith();
    // The other replica stores its Secret just before this one's create.
    cluster.before({ verb: 'create', resource: SECRETS }, () =>
      cluster.put({ ...SECRET, data: secretOf(other)?.data }),
    );
    const got = await replica(cluster).ensure();
    assert.deepEqual(got, winner);
    assert.deepEqual(secretWrites(cluster), [
      `create ${SECRETS} tripline-system/tripline-webhook-certs -> 409`,
    ]);
    assert.equal(caBundleOf(cluster), Buffer.from(winner.ca.cert).toString('base64'));
  });

  it('renews the serving certificate before it expires, keeping the CA', async () => {
    const cluster = clusterWith();
    const clock = new ManualClock();
    const first = await replica(cluster, clock).ensure();
    clock.advance((CERT_LIFETIME.servingDays - 20) * 86_400_000);
    const renewed = await replica(cluster, clock).ensure();
    assert.equal(renewed.ca.cert, first.ca.cert);
    assert.notEqual(renewed.serving.cert, first.serving.cert);
    assert.deepEqual(secretWrites(cluster), [
      `create ${SECRETS} tripline-system/tripline-webhook-certs`,
      `update ${SECRETS} tripline-system/tripline-webhook-certs`,
    ]);
  });

  it('waits for a missing webhook configuration without failing', async () => {
    const cluster = clusterWith(false);
    await replica(cluster).ensure();
    assert.ok(secretOf(cluster));
    assert.deepEqual(cluster.writes(), [`create ${SECRETS} tripline-system/tripline-webhook-certs`]);
    assert.ok(cluster.verbs().includes(`get ${VWCS} tripline-attribution -> 404`));
  });

  it('leaves the webhook configuration alone when none is named (cert-manager injects it)', async () => {
    const cluster = clusterWith();
    await replica(cluster, new ManualClock(), { ...OPTS, webhookConfiguration: '' }).ensure();
    assert.ok(!cluster.verbs().some((l) => l.includes('tripline-attribution')));
  });
});
