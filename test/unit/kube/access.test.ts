import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiLocation, loadSettings } from '../../../src/config/load.js';
import { loadClusterAccess } from '../../../src/kube/access.js';

const dir = mkdtempSync(path.join(tmpdir(), 'access-'));
const b64 = (s: string) => Buffer.from(s).toString('base64');
function kubeconfig(name: string, cluster: object, user: object): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
      users: [{ name: 'u', user }],
    }),
  );
  return file;
}

describe('cluster access from a kubeconfig', () => {
  writeFileSync(path.join(dir, 'ca.pem'), 'CA-FROM-FILE');
  writeFileSync(path.join(dir, 'token'), 'tok-from-file\n');
  const cases = [
    {
      name: 'embedded certificate data',
      file: kubeconfig(
        'data',
        { 'certificate-authority-data': b64('CA') },
        { 'client-certificate-data': b64('CRT'), 'client-key-data': b64('KEY') },
      ),
      want: { ca: 'CA', cert: 'CRT', key: 'KEY', auth: undefined },
    },
    {
      name: 'files relative to the kubeconfig, and a token file',
      file: kubeconfig('files', { 'certificate-authority': 'ca.pem' }, { tokenFile: 'token' }),
      want: { ca: 'CA-FROM-FILE', cert: undefined, key: undefined, auth: 'Bearer tok-from-file' },
    },
    {
      name: 'a static token',
      file: kubeconfig('static-token.kubeconfig', {}, { token: 'abc' }),
      want: { ca: undefined, cert: undefined, key: undefined, auth: 'Bearer abc' },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const a = await loadClusterAccess({ kubeconfig: c.file });
      assert.equal(a.server, 'https://127.0.0.1:6443');
      assert.equal(a.ca?.toString(), c.want.ca);
      assert.equal(a.cert?.toString(), c.want.cert);
      assert.equal(a.key?.toString(), c.want.key);
      assert.equal((await a.headers()).authorization, c.want.auth);
    });
  }
  it('fails clearly without a current context', async () => {
    const file = path.join(dir, 'empty');
    writeFileSync(file, '{}');
    await assert.rejects(loadClusterAccess({ kubeconfig: file }), /no usable current context/);
  });
});

describe('where the API server is', () => {
  const s = loadSettings([], {});
  const cases = [
    {
      name: '--kubeconfig wins',
      settings: { ...s, kubeconfig: '/k' },
      env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      want: { kubeconfig: '/k' },
    },
    {
      name: 'in a Pod',
      settings: s,
      env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: '/x' },
      want: { inCluster: { host: '10.0.0.1', port: '443' } },
    },
    {
      name: 'first file of $KUBECONFIG',
      settings: s,
      env: { KUBECONFIG: '/a:/b', HOME: '/h' },
      want: { kubeconfig: '/a' },
    },
    { name: '~/.kube/config', settings: s, env: { HOME: '/h' }, want: { kubeconfig: '/h/.kube/config' } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(apiLocation(c.settings, c.env), c.want));
});
