import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../../src/config/load.js';
import { AccessLogIngest, trafficConfig } from '../../../src/traffic/ingestion.js';
import { ALL_OFF, settingsOf } from './fixtures.js';

describe('traffic/ingestion', () => {
  describe('trafficConfig', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tripline-tcfg-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const token = path.join(dir, 'token');
    const empty = path.join(dir, 'empty');
    writeFileSync(token, ' s3cret \n');
    writeFileSync(empty, '\n');

    it('is off (undefined) without an endpoint or files, by default', () => {
      assert.equal(trafficConfig(loadSettings([], {})), undefined);
    });

    it('resolves the endpoint, files, token and bounds', () => {
      const cfg = trafficConfig(
        loadSettings(
          [
            '--traffic-listen-address',
            ':8090',
            '--traffic-log-files',
            ' /a.log, ,/b.log',
            '--traffic-token-file',
            token,
            '--traffic-max-ingresses',
            '10',
          ],
          {},
        ),
      );
      assert.deepEqual(cfg, {
        listenAddress: ':8090',
        token: 's3cret',
        logFiles: ['/a.log', '/b.log'],
        cluster: '',
        fromStart: false,
        pollMs: 250,
        maxBodyBytes: 4194304,
        maxLineBytes: 16384,
        maxConnections: 128,
        maxAlertsPerMinute: 20,
        limits: { maxIngresses: 10, maxSources: 64, trustedProxies: [] },
      });
    });

    it('takes the environment too', () => {
      const cfg = trafficConfig(
        loadSettings([], { TRIPLINE_TRAFFIC_LOG_FILES: '/x.log', TRIPLINE_TRAFFIC_LOG_FROM_START: 'true' }),
      );
      assert.deepEqual([cfg?.logFiles, cfg?.fromStart, cfg?.listenAddress], [['/x.log'], true, undefined]);
    });

    it('refuses an empty or missing token file (never runs open by mistake)', () => {
      assert.throws(
        () =>
          trafficConfig(loadSettings(['--traffic-listen-address', ':1', '--traffic-token-file', empty], {})),
        /is empty/,
      );
      assert.throws(
        () =>
          trafficConfig(
            loadSettings(['--traffic-listen-address', ':1', '--traffic-token-file', `${dir}/nope`], {}),
          ),
        /cannot read trafficTokenFile/,
      );
    });

    it('refuses to run the endpoint without a token file (fails closed, naming the flag)', () => {
      assert.throws(
        () => trafficConfig(loadSettings(['--traffic-listen-address', ':8090'], {})),
        /--traffic-listen-address needs --traffic-token-file/,
      );
      // Files alone need no token: nothing listens.
      assert.equal(trafficConfig(loadSettings(['--traffic-log-files', '/a.log'], {}))?.token, undefined);
    });

    it('parses the trusted proxies, refusing what is not a range', () => {
      const cfg = trafficConfig(
        loadSettings(
          ['--traffic-log-files', '/a.log', '--traffic-trusted-proxies', '10.0.0.0/8, 192.0.2.1'],
          {},
        ),
      );
      assert.deepEqual(
        cfg?.limits.trustedProxies?.map((c) => c.text),
        ['10.0.0.0/8', '192.0.2.1/32'],
      );
      assert.throws(
        () =>
          trafficConfig(
            loadSettings(['--traffic-log-files', '/a.log', '--traffic-trusted-proxies', 'x'], {}),
          ),
        /--traffic-trusted-proxies: "x"/,
      );
    });

    it('refuses bounds outside the schema', () => {
      assert.throws(() => loadSettings(['--traffic-max-line-bytes', '10'], {}), /trafficMaxLineBytes/);
    });
  });

  describe('AccessLogIngest', () => {
    it('counts lines by input and result, and malformed ones by reason', () => {
      const now = 1_800_000_000_000;
      const ingest = new AccessLogIngest({ maxIngresses: 10, maxSources: 4 }, () => now);
      ingest.engine.configure([settingsOf({ ...ALL_OFF, window: '10s' })]);
      const good = {
        time: new Date(now).toISOString(),
        remote_addr: '10.0.0.1',
        namespace: 'shop',
        ingress_name: 'web',
        host: 'a.example',
        status: 200,
      };
      assert.equal(ingest.line(JSON.stringify(good), 'file'), true);
      assert.equal(
        ingest.line(JSON.stringify({ ...good, time: new Date(now - 60_000).toISOString() }), 'file'),
        true,
      );
      assert.equal(ingest.line('garbage', 'http'), false);
      assert.equal(ingest.value({ ...good, status: '-' }, 'http'), false);
      assert.equal(ingest.value(good, 'http'), true);
      // A Host that maps to no Ingress: counted in the aggregate only.
      const { namespace: _n, ingress_name: _i, ...hostOnly } = good;
      assert.equal(ingest.value({ ...hostOnly, host: 'random.example' }, 'http'), true);
      ingest.oversized('file');
      const counts: Record<string, number> = {};
      ingest.counts.drain((input, result, n) => {
        counts[`${input}/${result}`] = n;
      });
      assert.deepEqual(counts, {
        'file/accepted': 1,
        'file/late': 1,
        'http/malformed': 2,
        'http/accepted': 1,
        'http/unmatched': 1,
        'file/oversized': 1,
      });
      assert.deepEqual(
        [...ingest.malformed],
        [
          ['json', 1],
          ['status', 1],
        ],
      );
    });
  });
});
