/**
 * Traffic anomalies from a REAL nginx's JSON access log (issue 9 parts 3 and 4): one namespace's
 * log reaches Tripline through the file tailer, the other's through the HTTP endpoint (a forwarder
 * that ships it as Fluent Bit does). Steady allowed traffic raises nothing; a disallowed source, a
 * burst and a run of 5xx raise exactly one aggregated alert per (Ingress, rule); a resolved alert
 * whose condition recurs gets a new episode; an open one is updated instead.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { type OperatorProcess, startOperator, waitFor } from '../../hack/operator-process.js';
import { createIngress, createNamespace } from '../../hack/samples.js';
import type { AuditAlert } from '../../src/api/generated/audit-alert.js';
import type { KubeClient } from '../../src/kube/client.js';
import { controlPlane } from './setup.js';
import {
  adminClient,
  getAlert,
  installCrds,
  kubectlOk,
  patchAlertStatus,
  suffix,
} from './support/cluster.js';
import { Forwarder, type Nginx, post, requests, startNginx } from './traffic-nginx.js';

const ALLOWED = '127.0.0.2';
const DISALLOWED = '127.0.0.3';
const TOKEN = 'e2e-traffic-token';

/** The detection under test: short windows so the test runs in seconds. */
function detectionYaml(name: string, namespaces: string[]): string {
  return `
apiVersion: tripline.dev/v1alpha1
kind: AuditDetection
metadata:
  name: ${name}
spec:
  title: Traffic anomalies (e2e)
  severity: Medium
  category: Traffic
  resources: [{group: networking.k8s.io, version: v1, resource: ingresses}]
  events: [TrafficAnomaly]
  match:
    namespaces:
      include: [${namespaces.join(', ')}]
  traffic:
    window: 6s
    updateInterval: 1s
    disallowedSource:
      severity: High
      allowedCIDRs: [${ALLOWED}/32, "2001:db8::/32"]
    requestRate:
      maxRequests: 60
      baseline: {enabled: false}
    clientErrorRatio: {ratio: 0.5, minRequests: 10, hold: 2s}
    serverErrorRatio: {ratio: 0.5, minRequests: 10, hold: 2s}
  investigation:
    - title: Read the Ingress
      command: kubectl get ingresses.networking.k8s.io -n {{namespace}} {{name}} -o yaml
  resolution:
    - title: Deny the sources
      command: >-
        kubectl annotate ingresses.networking.k8s.io -n {{namespace}} {{name}}
        nginx.ingress.kubernetes.io/denylist-source-range={{traffic.sourceRanges}} --overwrite
`;
}

type Rule = 'disallowed-source' | 'request-rate' | 'client-error-ratio' | 'server-error-ratio';

describe('traffic: anomaly alerts from a real nginx access log, by file and by HTTP', function () {
  this.timeout(240_000);
  const id = suffix();
  const detection = `traffic-e2e-${id}`;
  const nsTail = `traffic-tail-${id}`;
  const nsHttp = `traffic-http-${id}`;
  let c: KubeClient;
  let nginx: Nginx;
  let op: OperatorProcess;
  let dir: string;
  let forwarder: Forwarder;
  let port = 0;
  const uids = new Map<string, string>();
  const tailLog = () => path.join(nginx.dir, 'access-tail.log');

  const alerts = async (): Promise<AuditAlert[]> =>
    (
      await c.request<{ items: AuditAlert[] }>('GET', '/apis/tripline.dev/v1alpha1/auditalerts', {
        query: { labelSelector: `tripline.dev/detection=${detection}` },
      })
    ).items;
  const key = (a: AuditAlert) =>
    `${a.spec.subject.namespace}/${a.spec.subject.name}/${a.metadata?.labels?.['tripline.dev/traffic-rule']}`;
  const find = async (ns: string, ingress: string, rule: Rule): Promise<AuditAlert[]> =>
    (await alerts()).filter((a) => key(a) === `${ns}/${ingress}/${rule}`);
  const trafficPort = (o: OperatorProcess): number => {
    const [rec] = o.records('Traffic ingestion started');
    return Number(rec?.trafficPort ?? 0);
  };
  const start = async (): Promise<OperatorProcess> => {
    const o = await startOperator(controlPlane().kubeconfigPath, [
      '--traffic-listen-address',
      '127.0.0.1:0',
      '--traffic-token-file',
      path.join(dir, 'token'),
      '--traffic-log-files',
      tailLog(),
      '--traffic-poll-ms',
      '100',
      '--traffic-max-body-bytes',
      '262144',
    ]);
    await waitFor(() => trafficPort(o) > 0, 30_000, 'the traffic endpoint');
    port = trafficPort(o);
    await o.waitReady();
    return o;
  };
  /** Waits until both inputs have taken every line nginx wrote so far. */
  const drained = async (tailLines: number, httpLines: number) => {
    await forwarder.flush();
    await waitFor(
      async () =>
        (await op.metric('tripline_traffic_lines_total', { input: 'file' })) >= tailLines &&
        (await op.metric('tripline_traffic_lines_total', { input: 'http' })) >= httpLines,
      30_000,
      `${tailLines} lines from the file and ${httpLines} by HTTP`,
    );
  };

  before(async () => {
    const cp = controlPlane();
    c = adminClient(cp);
    await installCrds(cp);
    dir = await mkdtemp(path.join(tmpdir(), 'tripline-traffic-'));
    await writeFile(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    for (const ns of [nsTail, nsHttp]) {
      await createNamespace(c, ns);
      for (const name of ['shop', 'api', 'steady']) {
        const ing = await createIngress(c, ns, name, `${name}.${ns}.example.com`);
        uids.set(`${ns}/${name}`, ing.metadata.uid as string);
      }
    }
    // ghost is routed by nginx but exists in no namespace: its alerts still name it, with a note.
    nginx = await startNginx([
      {
        namespace: nsTail,
        logFile: 'access-tail.log',
        ingresses: { shop: 'ok', api: 'fail', steady: 'ok', ghost: 'ok' },
      },
      { namespace: nsHttp, logFile: 'access-http.log', ingresses: { shop: 'ok', api: 'down', steady: 'ok' } },
    ]);
    // The detection is applied with kubectl, so the API server checks it (CEL on CIDRs and durations).
    await kubectlOk(cp, ['apply', '-f', '-'], detectionYaml(detection, [nsTail, nsHttp]));
    op = await start();
    forwarder = new Forwarder(path.join(nginx.dir, 'access-http.log'), TOKEN, () => port);
    forwarder.start();
  });

  after(async () => {
    await forwarder?.stop();
    if (op?.running()) await op.stop();
    await nginx?.stop();
    await kubectlOk(controlPlane(), ['delete', 'auditdetection', detection, '--ignore-not-found']);
    if (dir) await rm(dir, { recursive: true, force: true });
    c?.close();
  });

  it('the shipped ingress-traffic-anomaly detection is accepted by the API server (CEL included)', async () => {
    const file = path.join(repoRoot(), 'manifests/detections/ingress-traffic-anomaly.yaml');
    const out = await kubectlOk(controlPlane(), ['apply', '--dry-run=server', '-f', file]);
    assert.match(out, /auditdetection.tripline.dev\/ingress-traffic-anomaly .*\(server dry run\)/);
  });

  it('refuses a detection with an invalid CIDR or window at the API server', async () => {
    const bad = detectionYaml(`traffic-bad-${id}`, [nsTail])
      .replace(`${ALLOWED}/32`, '127.0.0.300/32')
      .replace('window: 6s', 'window: 2h');
    const r = await controlPlane().kubectl(['apply', '-f', '-'], { input: bad });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /must be a CIDR range/);
    assert.match(r.stderr, /must be between 5s and 1h/);
  });

  it('refuses a traffic detection with a namespaceSelector or condition it could not apply (ADR 0022)', async () => {
    const bad = detectionYaml(`traffic-selector-${id}`, [nsTail]).replace(
      '  match:\n',
      "  match:\n    namespaceSelector: {matchLabels: {team: a}}\n    condition: 'true'\n",
    );
    const r = await controlPlane().kubectl(['apply', '-f', '-'], { input: bad });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /a traffic detection is narrowed by match\.namespaces and exceptions only/);
  });

  it('raises nothing for steady traffic from the allowed source', async () => {
    let sent = 0;
    for (let round = 0; round < 16; round++) {
      for (const ns of [nsTail, nsHttp]) {
        const codes = [
          ...(await requests(nginx.ports[ns] as number, '/shop/', ALLOWED, 1)),
          ...(await requests(nginx.ports[ns] as number, '/steady/', ALLOWED, 1)),
        ];
        assert.deepEqual(codes, [200, 200]);
      }
      sent += 2;
      await new Promise((r) => setTimeout(r, 500));
    }
    await drained(sent, sent);
    // Several evaluations (one per second) after the last line, with the status interval at 1 s.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual((await alerts()).map(key), []);
    assert.deepEqual(forwarder.failures, []);
  });

  it('raises exactly one aggregated alert per Ingress and rule for a disallowed source, a burst and a run of 5xx', async () => {
    for (const ns of [nsTail, nsHttp]) {
      const p = nginx.ports[ns] as number;
      assert.deepEqual(await requests(p, '/shop/', DISALLOWED, 3), [200, 200, 200]);
      const burst = await requests(p, '/shop/', ALLOWED, 100, 8);
      assert.equal(burst.filter((x) => x === 200).length, 100);
      const errors = await requests(p, '/api/', ALLOWED, 15);
      assert.ok(
        errors.every((x) => x === (ns === nsTail ? 500 : 502)),
        String(errors),
      );
    }
    await requests(nginx.ports[nsTail] as number, '/ghost/', DISALLOWED, 2);
    const expected = [
      `${nsHttp}/api/server-error-ratio`,
      `${nsHttp}/shop/disallowed-source`,
      `${nsHttp}/shop/request-rate`,
      `${nsTail}/api/server-error-ratio`,
      `${nsTail}/ghost/disallowed-source`,
      `${nsTail}/shop/disallowed-source`,
      `${nsTail}/shop/request-rate`,
    ];
    await waitFor(async () => (await alerts()).length >= expected.length, 60_000, 'the traffic alerts');
    // The conditions keep holding for a window: give the writer time to (wrongly) raise more.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual((await alerts()).map(key).sort(), expected);
    assert.equal(
      await op.metric('tripline_traffic_alerts_total', { detection, action: 'created' }),
      expected.length,
    );
  });

  it('fills each alert with the subject, the raising window, sources and concrete steps', async () => {
    const [a] = await find(nsTail, 'shop', 'disallowed-source');
    assert.ok(a);
    assert.equal(a.spec.event, 'TrafficAnomaly');
    assert.equal(a.spec.severity, 'High');
    assert.equal(a.spec.subject.uid, uids.get(`${nsTail}/shop`));
    assert.deepEqual(a.spec.actor?.sourceIPs, [DISALLOWED]);
    const ev = (a.spec.evidence as { traffic: Record<string, unknown> }).traffic;
    assert.deepEqual(ev.ingress, { namespace: nsTail, name: 'shop', host: '127.0.0.1', service: 'shop-svc' });
    assert.deepEqual(ev.disallowedSources, [{ address: DISALLOWED, requests: 3, allowed: false }]);
    assert.equal(
      a.spec.resolution?.[0]?.command,
      `kubectl annotate ingresses.networking.k8s.io -n ${nsTail} shop nginx.ingress.kubernetes.io/denylist-source-range=${DISALLOWED}/32 --overwrite`,
    );
    const [ghost] = await find(nsTail, 'ghost', 'disallowed-source');
    assert.equal(ghost?.spec.subject.uid, undefined);
    assert.match(ghost?.spec.notes?.join('\n') ?? '', /Ingress .*\/ghost was not found/);
    const [rate] = await find(nsHttp, 'shop', 'request-rate');
    assert.equal(rate?.spec.subject.uid, uids.get(`${nsHttp}/shop`));
    assert.match(
      rate?.spec.summary ?? '',
      /Request-rate spike on Ingress .*\/shop: \d+ requests within 6s \(above the limit\)/,
    );
    const [errs] = await find(nsHttp, 'api', 'server-error-ratio');
    assert.ok(errs);
    const evErr = (errs.spec.evidence as { traffic: { statusCodes: Array<{ code: number }> } }).traffic;
    assert.equal(evErr.statusCodes[0]?.code, 502);
    // The live aggregates arrive in status.
    await waitFor(
      async () => ((await getAlert(c, a.metadata?.name as string)).status?.traffic?.requests ?? 0) > 0,
      15_000,
      'status.traffic',
    );
    const st = (await getAlert(c, a.metadata?.name as string)).status?.traffic;
    assert.equal(st?.rule, 'disallowed-source');
    assert.equal(st?.firings, 1);
    assert.ok(st?.topSources?.some((s) => s.address === DISALLOWED && s.allowed === false));
  });

  it('records a Warning AuditAlertRaised Event on the Ingress, as for every other alert', async () => {
    const [a] = await find(nsTail, 'shop', 'request-rate');
    await waitFor(
      async () => {
        const list = await c.request<{
          items: Array<{ reason?: string; regarding?: { uid?: string }; note?: string }>;
        }>('GET', `/apis/events.k8s.io/v1/namespaces/${nsTail}/events`);
        return list.items.some(
          (e) =>
            e.reason === 'AuditAlertRaised' &&
            e.regarding?.uid === uids.get(`${nsTail}/shop`) &&
            (e.note ?? '').includes(a?.metadata?.name as string),
        );
      },
      20_000,
      'the AuditAlertRaised Event on the Ingress',
    );
  });

  it('updates the open alert instead of raising another while the condition lasts', async () => {
    const [a] = await find(nsHttp, 'shop', 'disallowed-source');
    const name = a?.metadata?.name as string;
    await requests(nginx.ports[nsHttp] as number, '/shop/', DISALLOWED, 4);
    await waitFor(
      async () => ((await getAlert(c, name)).status?.traffic?.matched ?? 0) >= 7,
      20_000,
      'the disallowed requests counted in status.traffic.matched',
    );
    assert.equal((await find(nsHttp, 'shop', 'disallowed-source')).length, 1);
  });

  it('marks an alert inactive when its condition clears; after it is resolved, a recurrence raises a new one', async () => {
    const [first] = await find(nsTail, 'shop', 'disallowed-source');
    const name = first?.metadata?.name as string;
    await waitFor(
      async () => (await getAlert(c, name)).status?.traffic?.active === false,
      30_000,
      'the condition cleared',
    );
    assert.ok((await getAlert(c, name)).status?.traffic?.clearedAt);
    await patchAlertStatus(controlPlane(), name, { state: 'Resolved', reason: 'Remediated' });
    // logrotate: move the file away, have nginx reopen it; the tailer must follow.
    await rename(tailLog(), `${tailLog()}.1`);
    nginx.reopen();
    await waitFor(
      async () => (await requests(nginx.ports[nsTail] as number, '/steady/', ALLOWED, 1))[0] === 200,
      5000,
      'nginx after reopen',
    );
    await requests(nginx.ports[nsTail] as number, '/shop/', DISALLOWED, 2);
    await waitFor(
      async () => (await find(nsTail, 'shop', 'disallowed-source')).length === 2,
      30_000,
      'a second episode',
    );
    const both = await find(nsTail, 'shop', 'disallowed-source');
    const second = both.find((a) => a.metadata?.name !== name);
    assert.equal(second?.metadata?.labels?.['tripline.dev/traffic-episode'], '2');
    assert.equal(second?.status?.state, 'Open');
    const old = await getAlert(c, name);
    assert.equal(old.status?.state, 'Resolved');
    assert.equal(old.status?.traffic?.matched, 3, 'a resolved alert is never updated again');
  });

  it('after a restart, a recurring condition updates the still-open alert (found by labels), no duplicate', async () => {
    const [a] = await find(nsHttp, 'api', 'server-error-ratio');
    const name = a?.metadata?.name as string;
    await waitFor(
      async () => (await getAlert(c, name)).status?.traffic?.active === false,
      30_000,
      'the 5xx run cleared',
    );
    await forwarder.flush();
    await op.stop();
    op = await start();
    await requests(nginx.ports[nsHttp] as number, '/api/', ALLOWED, 15);
    await waitFor(
      async () => (await getAlert(c, name)).status?.traffic?.firings === 2,
      30_000,
      'firings: 2 on the same alert',
    );
    assert.equal((await find(nsHttp, 'api', 'server-error-ratio')).length, 1);
    assert.equal((await getAlert(c, name)).status?.traffic?.active, true);
  });

  it('the endpoint wants the token, refuses oversized bodies, takes gzip, and counts malformed lines', async () => {
    const good = JSON.stringify({
      time: new Date().toISOString(),
      remote_addr: ALLOWED,
      host: 'x.example',
      status: 200,
    });
    assert.equal((await post(port, `${good}\n`)).status, 401);
    assert.equal((await post(port, `${good}\n`, { authorization: 'Bearer wrong' })).status, 401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await post(port, '', auth, '/ingest', 'GET')).status, 405);
    assert.equal((await post(port, `${good}\n`.repeat(3000), auth)).status, 413);
    const before = await op.metric('tripline_traffic_lines_total', { input: 'http', result: 'malformed' });
    const mixed = await post(port, `${good}\nnot json\n{"status":200}\n`, auth);
    assert.equal(mixed.status, 200);
    assert.deepEqual(JSON.parse(mixed.body), { accepted: 1, rejected: 2 });
    const zipped = await post(port, gzipSync(`${good}\n${good}\n`), { ...auth, 'content-encoding': 'gzip' });
    assert.deepEqual(JSON.parse(zipped.body), { accepted: 2, rejected: 0 });
    assert.equal((await post(port, '[{"status":', auth)).status, 400);
    await waitFor(
      async () =>
        (await op.metric('tripline_traffic_lines_total', { input: 'http', result: 'malformed' })) >=
        before + 2,
      5000,
      'malformed lines counted',
    );
    assert.ok(op.running(), 'malformed input is never fatal');
  });

  it('logged no warnings or errors from the traffic component', () => {
    const problems = op
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.component === 'traffic' && (r.level === 'warn' || r.level === 'error'));
    assert.deepEqual(problems, []);
  });

  it('lists traffic alerts with kubectl by rule', async () => {
    const out = await kubectlOk(controlPlane(), [
      'get',
      'auditalerts',
      '-l',
      `tripline.dev/detection=${detection},tripline.dev/traffic-rule=request-rate`,
      '-o',
      'name',
    ]);
    assert.equal(out.trim().split('\n').length, 2, out);
  });
});
