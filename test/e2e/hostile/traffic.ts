/**
 * Hostile inputs of the access-log path (issue 16): the operator as a process, a real nginx writing
 * the ingress-nginx JSON log, one namespace's log shipped to the HTTP endpoint (as Fluent Bit does)
 * and the other's followed as a file. The attackers: anyone who reaches the endpoint's port, any
 * client on the internet sending requests through nginx (any Host, any X-Forwarded-For), and a
 * client holding the token that uploads gzip bombs and stalls.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type OperatorProcess, startOperator, waitFor } from '../../../hack/operator-process.js';
import { createIngress, createNamespace } from '../../../hack/samples.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import type { KubeClient } from '../../../src/kube/client.js';
import { controlPlane } from '../setup.js';
import { adminClient, installCrds, kubectlOk, suffix } from '../support/cluster.js';
import { Forwarder, type Nginx, post, requests, startNginx } from '../traffic-nginx.js';
import { currentRss, deploymentMemory, deploymentMemoryLimit, peakRss, resetPeakRss } from './memory.js';

const ALLOWED = '127.0.0.2';
const DISALLOWED = '127.0.0.3';
/** The load balancer in front of the ForwardedFor namespace's nginx. */
const LB = '127.0.0.9';
/** Where the token-holding bomber connects from (another pod than the shipper). */
const BOMBER = '127.0.0.66';
const TOKEN = 'hostile-traffic-token';

function detectionYaml(
  name: string,
  namespace: string,
  clientAddress: 'RemoteAddr' | 'ForwardedFor',
): string {
  return `
apiVersion: tripline.dev/v1alpha1
kind: AuditDetection
metadata:
  name: ${name}
spec:
  title: Traffic anomalies (hostile e2e)
  severity: Medium
  category: Traffic
  resources: [{group: networking.k8s.io, version: v1, resource: ingresses}]
  events: [TrafficAnomaly]
  match:
    namespaces:
      include: [${namespace}]
  traffic:
    window: 6s
    updateInterval: 1s
    clientAddress: ${clientAddress}
    disallowedSource:
      severity: High
      allowedCIDRs: [${ALLOWED}/32]
    requestRate: {enabled: false}
    clientErrorRatio: {enabled: false}
    serverErrorRatio: {enabled: false}
`;
}

/** GET `/` with a chosen Host from a chosen local address; resolves with the status. */
function getWithHost(port: number, host: string, from: string, urlPath = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port, path: urlPath, localAddress: from, agent: false, headers: { host } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      )
      .on('error', reject);
  });
}

/** A load balancer on LB: forwards to nginx, appending the client's address to X-Forwarded-For. */
async function startLoadBalancer(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const prior = req.headers['x-forwarded-for'];
    const xff = prior ? `${prior}, ${req.socket.remoteAddress}` : String(req.socket.remoteAddress);
    const up = http.request(
      {
        host: '127.0.0.1',
        port: target,
        path: req.url,
        method: req.method,
        localAddress: LB,
        agent: false,
        headers: { ...req.headers, 'x-forwarded-for': xff },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, LB, () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** GET through the load balancer from `from`, with an X-Forwarded-For the client wrote (or none). */
function viaLb(lbPort: number, from: string, xff?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: LB,
          port: lbPort,
          path: '/shop/',
          localAddress: from,
          agent: false,
          headers: xff ? { 'x-forwarded-for': xff } : {},
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      )
      .on('error', reject);
  });
}

/**
 * Token-holding uploads of a gzip bomb that inflates to just under the body limit, sent whole but
 * for the trailer and a declared tail, then stalled. Each slot reopens after its connection ends.
 */
function startBombers(port: number, slots: number, inflated: number): { stop(): void; opened: () => number } {
  const bomb = gzipSync(Buffer.alloc(inflated));
  const body = bomb.subarray(0, bomb.length - 8);
  let stopped = false;
  let opened = 0;
  const live = new Set<http.ClientRequest>();
  const open = (): void => {
    if (stopped) return;
    opened++;
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/ingest',
      method: 'POST',
      localAddress: BOMBER,
      agent: false,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-encoding': 'gzip',
        'content-type': 'application/x-ndjson',
        'content-length': bomb.length + 1000,
      },
    });
    live.add(req);
    const again = (): void => {
      if (!live.delete(req)) return;
      req.destroy();
      setTimeout(open, 500);
    };
    req.on('response', (res) => {
      res.resume();
      res.on('end', again);
    });
    req.on('error', again);
    req.on('close', again);
    req.write(body);
  };
  for (let i = 0; i < slots; i++) open();
  return {
    opened: () => opened,
    stop: () => {
      stopped = true;
      for (const r of live) r.destroy();
      live.clear();
    },
  };
}

/** The access-log endpoint and traffic windows against their attackers. */
export function trafficAttacks(): void {
  const id = suffix();
  const detection = `hostile-traffic-${id}`;
  const xffDetection = `hostile-xff-${id}`;
  const nsHttp = `hostile-http-${id}`;
  const nsXff = `hostile-xff-${id}`;
  let c: KubeClient;
  let nginx: Nginx;
  let op: OperatorProcess;
  let dir: string;
  let forwarder: Forwarder;
  let lb: { port: number; close(): Promise<void> };
  let port = 0;

  const alertsOf = async (d: string): Promise<AuditAlert[]> =>
    (
      await c.request<{ items: AuditAlert[] }>('GET', '/apis/tripline.dev/v1alpha1/auditalerts', {
        query: { labelSelector: `tripline.dev/detection=${d}` },
      })
    ).items;
  const brief = (a: AuditAlert) =>
    `${a.spec.subject.namespace ?? ''}/${a.spec.subject.name}/${a.metadata?.labels?.['tripline.dev/traffic-rule']}`;
  const trafficPort = (o: OperatorProcess): number =>
    Number(o.records('Traffic ingestion started')[0]?.trafficPort ?? 0);

  before(async () => {
    const cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    dir = await mkdtemp(path.join(tmpdir(), 'tripline-hostile-traffic-'));
    await writeFile(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    for (const ns of [nsHttp, nsXff]) {
      await createNamespace(c, ns);
      await createIngress(c, ns, 'shop', `shop.${ns}.example.com`);
    }
    nginx = await startNginx([
      { namespace: nsHttp, logFile: 'access-http.log', ingresses: { shop: 'ok' } },
      { namespace: nsXff, logFile: 'access-xff.log', ingresses: { shop: 'ok' } },
    ]);
    lb = await startLoadBalancer(nginx.ports[nsXff] as number);
    await kubectlOk(cp, ['apply', '-f', '-'], detectionYaml(detection, nsHttp, 'RemoteAddr'));
    await kubectlOk(cp, ['apply', '-f', '-'], detectionYaml(xffDetection, nsXff, 'ForwardedFor'));
    op = await startOperator(cp.kubeconfigPath, [
      '--traffic-listen-address',
      '127.0.0.1:0',
      '--traffic-token-file',
      path.join(dir, 'token'),
      '--traffic-log-files',
      path.join(nginx.dir, 'access-xff.log'),
      '--traffic-poll-ms',
      '100',
      // Few windows, so a flood of keys would evict the real Ingress's window within one batch.
      '--traffic-max-ingresses',
      '50',
    ]);
    await waitFor(() => trafficPort(op) > 0, 30_000, 'the traffic endpoint');
    port = trafficPort(op);
    await op.waitReady();
    forwarder = new Forwarder(path.join(nginx.dir, 'access-http.log'), TOKEN, () => port);
    forwarder.start();
  });

  after(async () => {
    await forwarder?.stop();
    if (op?.running()) await op.stop();
    await lb?.close();
    await nginx?.stop();
    for (const d of [detection, xffDetection])
      await kubectlOk(controlPlane(), ['delete', 'auditdetection', d, '--ignore-not-found']);
    if (dir) await rm(dir, { recursive: true, force: true });
    c?.close();
  });

  it('anyone reaching the port: the operator refuses to start the endpoint without a token, and unauthenticated posts get 401', async () => {
    let started: OperatorProcess | undefined;
    let refusal: unknown;
    try {
      started = await startOperator(controlPlane().kubeconfigPath, [
        '--traffic-listen-address',
        '127.0.0.1:0',
      ]);
    } catch (err: unknown) {
      refusal = err;
    }
    if (started) {
      const o = started;
      await waitFor(() => trafficPort(o) > 0, 30_000, 'the unauthenticated endpoint');
      const forged = JSON.stringify({
        remote_addr: ALLOWED,
        namespace: nsHttp,
        ingress_name: 'shop',
        status: 200,
      });
      const r = await post(trafficPort(o), `${forged}\n`);
      await o.stop();
      assert.fail(`the operator ran the endpoint without a token; a forged line from anyone got ${r.status}`);
    }
    assert.match(String(refusal), /--traffic-listen-address needs --traffic-token-file/);
    const line = JSON.stringify({
      time: new Date().toISOString(),
      remote_addr: ALLOWED,
      namespace: nsHttp,
      ingress_name: 'shop',
      status: 200,
    });
    const before = await op.metric('tripline_traffic_lines_total', { input: 'http' });
    assert.equal((await post(port, `${line}\n`)).status, 401);
    assert.equal((await post(port, gzipSync(`${line}\n`), { 'content-encoding': 'gzip' })).status, 401);
    assert.equal((await post(port, `${line}\n`, { authorization: `Bearer ${TOKEN}x` })).status, 401);
    assert.equal(await op.metric('tripline_traffic_lines_total', { input: 'http' }), before);
  });

  it('any client through nginx: a random-Host flood raises at most one aggregate alert, and a disallowed source on a real Ingress during it still fires', async () => {
    const p = nginx.ports[nsHttp] as number;
    const flood = Array.from(
      { length: 300 },
      (_, i) => `r${i}-${Math.random().toString(36).slice(2, 8)}.flood.example`,
    );
    // The flood comes from the disallowed source: with per-Host windows every Host would raise an alert.
    for (let i = 0; i < flood.length; i += 20) {
      await Promise.all(flood.slice(i, i + 20).map((h) => getWithHost(p, h, DISALLOWED)));
      if (i === 140) assert.deepEqual(await requests(p, '/shop/', DISALLOWED, 3), [200, 200, 200]);
    }
    await forwarder.flush();
    await waitFor(
      async () => (await alertsOf(detection)).some((a) => brief(a) === `${nsHttp}/shop/disallowed-source`),
      60_000,
      'the disallowed-source alert on the real Ingress',
    );
    // The flood's lines are in; give the writer time to (wrongly) raise more.
    await new Promise((r) => setTimeout(r, 4000));
    const names = (await alertsOf(detection)).map(brief);
    const others = names.filter((n) => n !== `${nsHttp}/shop/disallowed-source`);
    assert.ok(
      others.length <= 1,
      `at most one aggregate alert besides the real one, got ${others.length}: ${others.slice(0, 5).join(', ')}`,
    );
    assert.ok(
      others.every((n) => n.endsWith('/alert-rate-limit')),
      others.join(', '),
    );
    assert.ok((await op.metric('tripline_traffic_lines_total', { result: 'unmatched' })) >= flood.length);
    assert.equal(await op.metric('tripline_traffic_evictions_total', { what: 'ingress' }), 0);
  });

  it('any client through a load balancer: a spoofed X-Forwarded-For does not hide a disallowed source (clientAddress ForwardedFor)', async () => {
    assert.deepEqual(await Promise.all([viaLb(lb.port, ALLOWED), viaLb(lb.port, ALLOWED)]), [200, 200]);
    for (const spoof of [ALLOWED, `${ALLOWED}, ${ALLOWED}`, `${'10.0.0.1, '.repeat(300)}${ALLOWED}`])
      assert.equal(await viaLb(lb.port, DISALLOWED, spoof), 200);
    await waitFor(
      async () => (await alertsOf(xffDetection)).some((a) => brief(a) === `${nsXff}/shop/disallowed-source`),
      60_000,
      'the disallowed-source alert naming the spoofing client',
    );
    const [a] = (await alertsOf(xffDetection)).filter((x) => brief(x) === `${nsXff}/shop/disallowed-source`);
    assert.ok(a);
    assert.deepEqual(a.spec.actor?.sourceIPs, [DISALLOWED]);
    const ev = (a.spec.evidence as { traffic: { disallowedSources: Array<{ address: string }> } }).traffic;
    assert.deepEqual(
      ev.disallowedSources.map((s) => s.address),
      [DISALLOWED],
    );
  });

  it('a token holder opening idle uploads that declare large bodies does not keep the shipper out', async () => {
    const idle = Array.from({ length: 8 }, () => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/ingest',
        method: 'POST',
        localAddress: BOMBER,
        agent: false,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-length': (4 << 20) - 1 },
      });
      req.on('error', () => {});
      req.flushHeaders();
      return req;
    });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const shipped = forwarder.shipped;
      assert.deepEqual(await requests(nginx.ports[nsHttp] as number, '/shop/', ALLOWED, 3), [200, 200, 200]);
      await waitFor(
        async () => {
          await forwarder.flush();
          return forwarder.shipped >= shipped + 3;
        },
        30_000,
        'the shipper posting while idle uploads are open',
      );
    } finally {
      for (const r of idle) r.destroy();
    }
  });

  it('a token holder uploading stalled gzip bombs: the attack fits in the Deployment memory limit above its request and the shipper still gets through', async () => {
    // The Deployment reserves its memory request for a steady operator; an attack must fit in what
    // the limit leaves above it. What the operator holds before (here it first catches up on the
    // objects earlier suites left on this shared control plane, and V8 keeps that heap) is not the
    // attack's: the peak is measured from the RSS just before it.
    const limit = await deploymentMemoryLimit();
    const headroom = limit - (await deploymentMemory('requests'));
    const pid = op.proc.pid as number;
    await op.waitIdle();
    await resetPeakRss(pid);
    const before = await currentRss(pid);
    const grown = async (): Promise<string | undefined> => {
      const growth = (await peakRss(pid)) - before;
      const mib = (n: number): number => Math.round(n / 2 ** 20);
      return growth < headroom
        ? undefined
        : `the attack grew RSS by ${mib(growth)} MiB from ${mib(before)} MiB; headroom ${mib(headroom)} MiB (limit ${mib(limit)} MiB)`;
    };
    // 64 uploads, each inflating to just under the 4 MiB body limit: 250 MiB if they were all held.
    const bombers = startBombers(port, 64, (4 << 20) - (64 << 10));
    try {
      await waitFor(() => bombers.opened() >= 64, 10_000, 'the uploads opened');
      await new Promise((r) => setTimeout(r, 3000));
      const shipped = forwarder.shipped;
      assert.deepEqual(
        await requests(nginx.ports[nsHttp] as number, '/shop/', ALLOWED, 5),
        [200, 200, 200, 200, 200],
      );
      await waitFor(
        async () => {
          await forwarder.flush();
          return forwarder.shipped >= shipped + 5;
        },
        30_000,
        'the shipper posting during the attack',
      );
      assert.ok(op.running(), 'the operator is still running');
      assert.equal(await grown(), undefined);
    } finally {
      bombers.stop();
    }
    assert.equal(await grown(), undefined, 'after the attack');
  });
}
