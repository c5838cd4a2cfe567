import assert from 'node:assert/strict';
import {
  backendServices,
  checkBackends,
  createIngressBackendsEnricher,
  MAX_BACKEND_LOOKUPS,
} from '../../../../src/alerts/ingress-backends.js';
import type { AuditAlert } from '../../../../src/api/generated/audit-alert.js';
import type { KubeObject } from '../../../../src/api/kube-object.js';
import type { KubeClient } from '../../../../src/kube/client.js';
import { ApiError } from '../../../../src/kube/errors.js';
import { ingress, ingressRule } from './fixtures.js';

/** A client whose GETs answer from `services` (namespace/name), or fail with `status`. */
function stubClient(
  services: Set<string>,
  status?: number,
): { client: KubeClient; paths: string[]; accepts: string[] } {
  const paths: string[] = [];
  const accepts: string[] = [];
  const client = {
    async request(method: string, path: string, opts?: { accept?: string }) {
      assert.equal(method, 'GET');
      paths.push(path);
      accepts.push(opts?.accept ?? '');
      if (status !== undefined) throw new ApiError(`GET ${path}: ${status}`, { status });
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)$/.exec(path);
      if (m && services.has(`${decodeURIComponent(m[1] ?? '')}/${decodeURIComponent(m[2] ?? '')}`)) return {};
      throw new ApiError(`GET ${path}: 404 NotFound`, { status: 404, reason: 'NotFound' });
    },
  } as unknown as KubeClient;
  return { client, paths, accepts };
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
    const { client, paths, accepts } = stubClient(new Set(['shop/web']));
    const e = createIngressBackendsEnricher(client);
    const out = await e.enrich({ alert: alertFor('Created'), subject: INGRESS, resource: RESOURCE });
    assert.deepEqual(
      out?.risks?.map((r) => r.id),
      ['ingress.backend-missing'],
    );
    assert.match(out?.risks?.[0]?.message ?? '', /fallback/);
    assert.doesNotMatch(out?.risks?.[0]?.message ?? '', /service web/);
    assert.deepEqual(out?.notes, []);
    assert.deepEqual(paths.sort(), [
      '/api/v1/namespaces/shop/services/fallback',
      '/api/v1/namespaces/shop/services/web',
    ]);
    assert.ok(accepts.every((a) => a.includes('PartialObjectMetadata')));
  });

  it('enricher: a forbidden lookup is a note, never a risk', async () => {
    const { client } = stubClient(new Set(), 403);
    const out = await createIngressBackendsEnricher(client).enrich({
      alert: alertFor('Updated'),
      subject: INGRESS,
      resource: RESOURCE,
    });
    assert.deepEqual(out?.risks, []);
    assert.match(out?.notes?.[0] ?? '', /fallback, web.*forbidden/);
  });

  it('enricher: other kinds, deletions and Ingresses without Services are not looked up', async () => {
    const { client, paths } = stubClient(new Set());
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
    assert.deepEqual(paths, []);
  });

  it(`enricher: looks up at most ${MAX_BACKEND_LOOKUPS} Services`, async () => {
    const { client, paths } = stubClient(new Set());
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
    assert.equal(paths.length, MAX_BACKEND_LOOKUPS);
    assert.equal(out?.risks?.length, 1);
    assert.match(out?.notes?.[0] ?? '', /could not tell/);
  });
});
