import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { pluginKubeconfig } from '../../../src/config/plugin-env.js';

// src/config/plugin-env.ts serves only the kubectl plugin; its test sits with the plugin's.
describe('kubectl-tripline kubeconfig', () => {
  const cases: { name: string; flag?: string; env: NodeJS.ProcessEnv; want: string }[] = [
    { name: 'the flag first', flag: '/f', env: { KUBECONFIG: '/e', HOME: '/h' }, want: '/f' },
    { name: 'then $KUBECONFIG', env: { KUBECONFIG: '/e', HOME: '/h' }, want: '/e' },
    {
      name: "the first file of $KUBECONFIG's list",
      env: { KUBECONFIG: `:/a${path.delimiter}/b` },
      want: '/a',
    },
    { name: 'then ~/.kube/config', env: { KUBECONFIG: '', HOME: '/h' }, want: '/h/.kube/config' },
    {
      name: 'the home directory when HOME is unset',
      env: {},
      want: path.join(os.homedir(), '.kube', 'config'),
    },
  ];
  for (const c of cases) {
    it(`takes ${c.name}`, () => {
      assert.equal(pluginKubeconfig(c.flag, c.env), c.want);
    });
  }
});
