import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { envName, flagName, loadSettings, SettingsError } from '../../../src/config/load.js';
import { nestedKey, SETTING_GROUPS, SETTINGS_SCHEMA, settingsByFeature } from '../../../src/config/schema.js';

describe('settings', () => {
  it('applies defaults', () => {
    const s = loadSettings([], {});
    assert.equal(s.workers, 32);
    assert.equal(s.logFormat, 'auto');
  });
  it('flags beat env which beats defaults', () => {
    const s = loadSettings(['--workers', '3'], { TRIPLINE_WORKERS: '5', TRIPLINE_LOG_LEVEL: 'debug' });
    assert.equal(s.workers, 3);
    assert.equal(s.logLevel, 'debug');
  });
  const bad: { name: string; argv: string[]; msg: RegExp }[] = [
    { name: 'unknown flag', argv: ['--nope', 'x'], msg: /nope/ },
    { name: 'wrong type', argv: ['--workers', 'many'], msg: /workers: must be integer/ },
    { name: 'out of range', argv: ['--workers', '0'], msg: /workers: must be >= 1/ },
    { name: 'bad enum', argv: ['--log-level', 'loud'], msg: /logLevel/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(
        () => loadSettings(c.argv, {}),
        (e: unknown) => e instanceof SettingsError && c.msg.test(e.message),
      );
    });
  }
  it('derives flag and env names', () => {
    assert.equal(flagName('watchStallSeconds'), '--watch-stall-seconds');
    assert.equal(envName('watchStallSeconds'), 'TRIPLINE_WATCH_STALL_SECONDS');
  });
});

describe('settings: the config file, flat or nested by feature', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tripline-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fromFile = (text: string) => {
    const file = path.join(dir, `config-${n++}.yaml`);
    writeFileSync(file, text);
    return loadSettings(['--config', file], {});
  };
  const refused = (text: string, msg: RegExp) =>
    assert.throws(
      () => fromFile(text),
      (e: unknown) => e instanceof SettingsError && msg.test(e.message),
    );

  const flat = `
workers: 7
leaderElect: true
clusterName: prod-eu
trafficListenAddress: ":9443"
trafficTokenFile: /var/run/token
trafficMaxIngresses: 100
attributionCacheSize: 500
admissionBindAddress: ":8443"
rbacIndex: false
whoCanLimit: 5
alertmanagerUrls: http://am:9093
notifyQueueSize: 50
kubeEvents: false
`;
  const nested = `
core:
  workers: 7
leaderElect: true
clusterName: prod-eu
traffic:
  listenAddress: ":9443"
  tokenFile: /var/run/token
  maxIngresses: 100
attribution:
  cacheSize: 500
  admissionBindAddress: ":8443"
rbac:
  index: false
  whoCanLimit: 5
notify:
  alertmanagerUrls: http://am:9093
  queueSize: 50
  kubeEvents: false
`;

  it('reads the nested form into the same settings as the flat one', () => {
    const a = fromFile(flat);
    const b = fromFile(nested);
    assert.deepEqual(b, a);
    assert.equal(b.trafficMaxIngresses, 100);
    assert.equal(b.workers, 7);
    assert.equal(b.rbacIndex, false);
    assert.equal(b.notifyQueueSize, 50);
  });

  it('keeps the precedence: env and flags beat the nested file', () => {
    const file = path.join(dir, 'precedence.yaml');
    writeFileSync(file, nested);
    const s = loadSettings(['--config', file, '--traffic-max-ingresses', '9'], { TRIPLINE_WORKERS: '3' });
    assert.equal(s.trafficMaxIngresses, 9);
    assert.equal(s.workers, 3);
  });

  it('refuses a nested key its feature does not have, naming it and what the feature takes', () => {
    refused(
      'traffic:\n  maxIngress: 10\n',
      /traffic\.maxIngress is not a setting; traffic takes .*maxIngresses/,
    );
    // The flat name is not a nested key.
    refused('traffic:\n  trafficMaxIngresses: 10\n', /traffic\.trafficMaxIngresses is not a setting/);
    // A setting of another feature.
    refused(
      'rbac:\n  queueSize: 10\n',
      /rbac\.queueSize is not a setting; rbac takes index, indexMaxEntries, whoCanLimit/,
    );
  });

  it('refuses a setting given twice, flat and nested', () => {
    refused('trafficMaxIngresses: 5\ntraffic:\n  maxIngresses: 10\n', /trafficMaxIngresses is given twice/);
    refused('workers: 5\ncore:\n  workers: 6\n', /workers is given twice \(workers and core\.workers\)/);
  });

  it('refuses a feature that is not a map', () => {
    refused('traffic: 5\n', /traffic must be a map of its settings/);
  });

  it('refuses an unknown flat key by name', () => {
    refused('maxIngresses: 5\n', /maxIngresses: not a setting/);
  });
});

describe('settings by feature', () => {
  const names = Object.keys(SETTINGS_SCHEMA.properties);

  it('puts every setting in at most one feature group, under a nested key unique in it', () => {
    for (const name of names) {
      const groups = Object.entries(SETTING_GROUPS).filter(([, g]) =>
        (g.prefixes as readonly string[]).some((p) => name.startsWith(p)),
      );
      assert.ok(groups.length <= 1, `${name} is in ${groups.map(([id]) => id).join(' and ')}`);
    }
    const keys = names.map((n) => {
      const { group, key } = nestedKey(n);
      return `${group}.${key}`;
    });
    assert.equal(new Set(keys).size, names.length);
  });

  it('nests names without their feature prefix', () => {
    assert.deepEqual(nestedKey('trafficMaxIngresses'), { group: 'traffic', key: 'maxIngresses' });
    assert.deepEqual(nestedKey('rbacIndex'), { group: 'rbac', key: 'index' });
    assert.deepEqual(nestedKey('alertmanagerUrls'), { group: 'notify', key: 'alertmanagerUrls' });
    assert.deepEqual(nestedKey('workers'), { group: 'core', key: 'workers' });
  });

  it('hands each feature only its own settings and the core ones it names', () => {
    const s = settingsByFeature(loadSettings([], {}));
    assert.deepEqual(Object.keys(s.rbac).sort(), ['rbacIndex', 'rbacIndexMaxEntries', 'whoCanLimit']);
    assert.ok(Object.keys(s.traffic).every((k) => k.startsWith('traffic') || k === 'clusterName'));
    assert.ok(!('workers' in s.traffic));
    assert.ok('alertmanagerUrls' in s.notify && 'podName' in s.notify && !('trafficPollMs' in s.notify));
    assert.ok('workers' in s.core && !('rbacIndex' in s.core));
    const all = new Set([...Object.keys(s.core), ...Object.keys(s.traffic), ...Object.keys(s.attribution)]);
    for (const k of [...Object.keys(s.rbac), ...Object.keys(s.notify)]) all.add(k);
    assert.equal(all.size, names.length, 'every setting reaches the core or a feature');
  });
});
