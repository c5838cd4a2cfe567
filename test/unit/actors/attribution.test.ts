/**
 * The attribution wiring in one process: settings → receivers on loopback TLS → store → enricher
 * and changedBy, with a certificate directory (the cert-manager way) and a fake API client.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { actionIntake } from '../../../src/actions/intake.js';
import { createBundle } from '../../../src/actors/certs.js';
import { admissionHandler, auditHandler } from '../../../src/actors/handlers.js';
import { type Attribution, startAttribution } from '../../../src/actors/index.js';
import { AttributionStore } from '../../../src/actors/store.js';
import type { EnrichInput } from '../../../src/alerts/enrich.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { loadSettings } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { systemClock } from '../../../src/runtime/clock.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { auditEvent, eventList, ManualClock, review, statusReview } from './samples.js';

describe('admission and audit handlers', () => {
  const setup = () => {
    const store = new AttributionStore({ maxEntries: 10, ttlMs: 60_000 }, new ManualClock());
    const counted: string[] = [];
    const count = (source: string, outcome: string, n = 1) => counted.push(`${source}:${outcome}:${n}`);
    return {
      store,
      counted,
      admission: admissionHandler(
        store,
        new ManualClock(),
        count,
        actionIntake(() => undefined),
      ),
      audit: auditHandler(
        store,
        count,
        actionIntake(() => undefined),
      ),
    };
  };

  it('always allows, echoing the review uid, and records who asked', () => {
    const s = setup();
    const reply = s.admission(review());
    assert.deepEqual(reply, {
      status: 200,
      body: {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid: 'afea2b4e-54c1-433f-95b9-5782b9db0122', allowed: true },
      },
    });
    assert.equal(s.store.admission('820aa7dc-010a-4517-8822-e28cd17fb117')[0]?.user.username, 'tenant-dev');
    assert.deepEqual(s.counted, ['admission:recorded:1']);
  });

  it('allows what it does not record too (a dry run)', () => {
    const s = setup();
    assert.equal(
      (s.admission(review({ dryRun: true })).body as { response: { allowed: boolean } }).response.allowed,
      true,
    );
    assert.deepEqual(s.store.sizes, { objects: 0, status: 0, audit: 0 });
    assert.deepEqual(s.counted, ['admission:dry-run:1']);
  });

  it('answers 400 to a body that is not a review (the API server then ignores the webhook)', () => {
    assert.equal(setup().admission({ kind: 'Pod' }).status, 400);
  });

  it('keeps the completed writes of an event list and counts the rest', () => {
    const s = setup();
    assert.deepEqual(s.audit(eventList(auditEvent(), auditEvent({ verb: 'get' }))), {
      status: 200,
      body: {},
    });
    assert.equal(s.store.sizes.audit, 1);
    assert.deepEqual(s.counted, ['audit:recorded:1', 'audit:skipped:1']);
  });
});

describe('startAttribution', () => {
  let dir = '';
  let running: Attribution | undefined;
  const deps = () => ({
    client: new FakeCluster(),
    clock: systemClock,
    log: silentLogger(),
    metrics: createMetrics(),
  });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tripline-actors-'));
    const b = await createBundle(['127.0.0.1'], new Date());
    await writeFile(path.join(dir, 'tls.crt'), b.serving.cert);
    await writeFile(path.join(dir, 'tls.key'), b.serving.key);
    await writeFile(path.join(dir, 'ca.crt'), b.ca.cert);
    await writeFile(path.join(dir, 'token'), 'apiserver-token\n');
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is a no-op when both receivers are off (the default)', async () => {
    running = await startAttribution(loadSettings([], {}), deps());
    assert.deepEqual(running.enrichers, []);
  });

  const refusals: { name: string; args: string[]; error: RegExp }[] = [
    {
      name: 'an audit receiver anyone could post to',
      args: ['--audit-bind-address', '127.0.0.1:0'],
      error:
        /--audit-bind-address needs client authentication: set --audit-client-ca-file and --audit-client-names .* or --audit-token-file/,
    },
    {
      name: 'an admission webhook anyone could post to',
      args: ['--admission-bind-address', '127.0.0.1:0'],
      error:
        /--admission-bind-address needs client authentication: set --admission-client-ca-file and --admission-client-names .* or --admission-token-file/,
    },
    {
      name: 'a client CA without pinned names (the CA may sign kubelets too)',
      args: ['--admission-bind-address', '127.0.0.1:0', '--admission-client-ca-file', '/dev/null'],
      error: /--admission-client-ca-file needs --admission-client-names/,
    },
    {
      name: 'pinned names without a client CA',
      args: [
        '--audit-bind-address',
        '127.0.0.1:0',
        '--audit-client-names',
        'kube-apiserver',
        '--audit-token-file',
        '/dev/null',
      ],
      error: /--audit-client-names needs --audit-client-ca-file/,
    },
    {
      name: 'an empty token file',
      args: ['--admission-bind-address', '127.0.0.1:0', '--admission-token-file', '/dev/null'],
      error: /--admission-token-file: the file \/dev\/null is empty/,
    },
  ];
  for (const r of refusals) {
    it(`refuses to start ${r.name}`, async () => {
      await assert.rejects(startAttribution(loadSettings(r.args, {}), deps()), r.error);
    });
  }

  it('is not ready before its receivers have a certificate, and ready once they have', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'tripline-actors-nocert-'));
    try {
      const s = loadSettings(
        [
          '--admission-bind-address',
          `127.0.0.1:${await freePort()}`,
          '--attribution-cert-dir',
          empty,
          '--admission-token-file',
          path.join(dir, 'token'),
          '--backoff-base-ms',
          '1',
          '--backoff-max-ms',
          '10',
        ],
        {},
      );
      running = await startAttribution(s, deps());
      // The directory has no certificate yet (cert-manager has not written it): every handshake would fail.
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(running.ready(), false);
      await writeFile(path.join(empty, 'tls.crt'), await readFile(path.join(dir, 'tls.crt')));
      await writeFile(path.join(empty, 'tls.key'), await readFile(path.join(dir, 'tls.key')));
      await writeFile(path.join(empty, 'ca.crt'), await readFile(path.join(dir, 'ca.crt')));
      for (let i = 0; i < 500 && !running.ready(); i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(running.ready(), true);
    } finally {
      await running?.stop();
      running = undefined;
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('attributes a create and a state change from reviews posted over TLS', async () => {
    const port = await freePort();
    const s = loadSettings(
      [
        '--admission-bind-address',
        `127.0.0.1:${port}`,
        '--attribution-cert-dir',
        dir,
        '--attribution-wait-ms',
        '0',
        '--admission-token-file',
        path.join(dir, 'token'),
      ],
      {},
    );
    running = await startAttribution(s, deps());
    const ca = await readFile(path.join(dir, 'ca.crt'), 'utf8');
    const answer = await postWhenReady(port, ca, review());
    assert.match(answer, /"allowed":true/);
    await postWhenReady(
      port,
      ca,
      statusReview('ingress-created-abc', 'Open', 'Acknowledged', { username: 'oncall', groups: [] }),
    );
    const [enricher] = running.enrichers;
    const got = await enricher?.enrich(enrichInput());
    assert.deepEqual(got?.actor, {
      username: 'tenant-dev',
      groups: ['devs', 'system:authenticated'],
      source: ['admission'],
    });
    assert.equal(running.changedBy('ingress-created-abc', 'Acknowledged'), 'oncall');
    assert.equal(running.changedBy('ingress-created-abc', 'Resolved'), undefined);
    assert.equal(
      running.changedBy('ingress-created-abc', 'Acknowledged', new Date(Date.now() + 60_000)),
      undefined,
    );
  });
});

function enrichInput(): EnrichInput {
  return {
    alert: {
      metadata: { name: 'ingress-created-0123456789' },
      spec: { event: 'Created', actor: { source: ['managedFields'] } },
    } as unknown as AuditAlert,
    subject: {
      metadata: {
        name: 'shop',
        namespace: 'team-a',
        uid: '820aa7dc-010a-4517-8822-e28cd17fb117',
        creationTimestamp: new Date().toISOString(),
      },
    },
    resource: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' },
  };
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Posts once the certificate is loaded (it is read in the background after the listener opens). */
async function postWhenReady(port: number, ca: string, body: unknown): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/admission',
            ca,
            agent: false,
            headers: { authorization: 'Bearer apiserver-token' },
          },
          (res) => {
            let text = '';
            res.on('data', (c) => {
              text += c;
            });
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    } catch (err: unknown) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
