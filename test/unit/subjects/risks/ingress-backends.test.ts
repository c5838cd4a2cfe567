import assert from 'node:assert/strict';
import {
  backendServices,
  checkBackends,
  createIngressBackendsEnricher,
  MAX_BACKEND_LOOKUPS,
} from '../../../../src/alerts/ingress-backends.js';
import type { AuditAlert } from '../../../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../../../src/api/kube-object.js';
import { FakeCluster } from '../../support/fake-cluster.js';
import { ingress, ingressRule } from './fixtures.js';

/** A cluster holding the Services `services` (namespace/name), and the reads it was asked for. */
function clusterWith(services: string[]): { client: FakeCluster; reads: () => string[] } {
  const client = new FakeCluster();
  for (const s of services) {
    const [namespace, name] = s.split('/');
    client.put({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name } });
  }
  return { client, reads: () => client.verbs() };
}

const alertFor = (event: 'Created' | 'Updated' | 'Deleted') => ({ spec: { event } }) as unknown as AuditAlert;
const INGRESS = ingress({
  defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
  rules: [ingressRule('shop.example.com', ['/', '/api'])],
}) as unknown as KubeObject;
const RESOURCE = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' };

describe('ingress backends', () => {
  it('lists the Service backends of both API shapes', () => {
    assert.deepEqual(
      backendServices(INGRESS).map((s) => s.name),
      ['fallback', 'web', 'web'],
    );
    const legacy = { kind: 'Ingress', spec: { backend: { serviceName: 'old', servicePort: 80 } } };
    assert.deepEqual(backendServices(legacy), [{ name: 'old', where: 'spec.backend' }]);
  });

  it('raises the risk for missing Services and reports the unknown ones', () => {
    const { risks, unknown } = checkBackends(INGRESS, (_, name) => (name === 'web' ? undefined : false));
    assert.deepEqual(
      risks.map((r) => r.id),
      ['ingress.backend-missing'],
    );
    assert.match(risks[0]?.message ?? '', /service fallback \(spec\.defaultBackend\)/);
    assert.deepEqual(unknown, ['web']);
  });

  it('enricher: 404 is a risk, 200 is none; one metadata-only GET per distinct Service', async () => {
    const { client, reads } = clusterWith(['shop/web']);
    const e = createIngressBackendsEnricher(client);
    const out = await e.enrich({ alert: alertFor('Created'), subject: INGRESS, resource: RESOURCE });
    assert.deepEqual(
      out?.risks?.map((r) => r.id),
      ['ingress.backend-missing'],
    );
    assert.match(out?.risks?.[0]?.message ?? '', /fallback/);
    assert.doesNotMatch(out?.risks?.[0]?.message ?? '', /service web/);
    assert.deepEqual(out?.notes, []);
    assert.deepEqual(reads().sort(), ['get services shop/fallback -> 404', 'get services shop/web']);
    assert.ok(client.actions.every((a) => a.accept?.includes('as=PartialObjectMetadata')));
  });

  it('enricher: a forbidden lookup is a note, never a risk', async () => {
    const { client } = clusterWith(['shop/web', 'shop/fallback']);
    client.fail({ verb: 'get', resource: 'services', status: 403, times: Number.POSITIVE_INFINITY });
    const out = await createIngressBackendsEnricher(client).enrich({
      alert: alertFor('Updated'),
      subject: INGRESS,
      resource: RESOURCE,
    });
    assert.deepEqual(out?.risks, []);
    assert.match(out?.notes?.[0] ?? '', /fallback, web.*forbidden/);
  });

  it('enricher: other kinds, deletions and Ingresses without Services are not looked up', async () => {
    const { client, reads } = clusterWith([]);
    const e = createIngressBackendsEnricher(client);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' } } as KubeObject;
    const resourceOnly = ingress({
      rules: [
        {
          host: 'a.example.com',
          http: {
            paths: [{ path: '/', backend: { resource: { apiGroup: 'x', kind: 'Bucket', name: 'b' } } }],
          },
        },
      ],
    }) as unknown as KubeObject;
    assert.equal(await e.enrich({ alert: alertFor('Created'), subject: pod, resource: RESOURCE }), undefined);
    assert.equal(
      await e.enrich({ alert: alertFor('Deleted'), subject: INGRESS, resource: RESOURCE }),
      undefined,
    );
    assert.equal(
      await e.enrich({ alert: alertFor('Created'), subject: resourceOnly, resource: RESOURCE }),
      undefined,
    );
    assert.deepEqual(reads(), []);
  });

  it(`enricher: looks up at most ${MAX_BACKEND_LOOKUPS} Services`, async () => {
    const { client, reads } = clusterWith([]);
    const many = ingress({
      rules: [
        {
          host: 'a.example.com',
          http: {
            paths: Array.from({ length: 40 }, (_, i) => ({
              path: `/${i}`,
              backend: { service: { name: `svc-${i}`, port: { number: 80 } } },
            })),
          },
        },
      ],
    }) as unknown as KubeObject;
    const out = await createIngressBackendsEnricher(client).enrich({
      alert: alertFor('Created'),
      subject: many,
      resource: RESOURCE,
    });
    assert.equal(reads().length, MAX_BACKEND_LOOKUPS);
    assert.equal(out?.risks?.length, 1);
    assert.match(out?.notes?.[0] ?? '', /could not tell/);
  });
});
