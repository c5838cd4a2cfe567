/**
 * Mocha root hooks for the e2e run: one real control plane (kube-apiserver + etcd) shared by every
 * e2e test, started before the first test and stopped after the last.
 */
import type { Context } from 'mocha';
import { type ControlPlane, startControlPlane } from '../../hack/controlplane/index.js';

let shared: ControlPlane | undefined;

/** The control plane of this e2e run; only valid inside tests and hooks. */
export function controlPlane(): ControlPlane {
  if (!shared)
    throw new Error('the e2e control plane is not running: is test/e2e/setup.js required by mocha?');
  return shared;
}

/** Root hooks picked up by mocha from `require: dist/test/e2e/setup.js`. */
export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    // A first run builds the binaries from source, which takes minutes; later runs start in seconds.
    this.timeout(0);
    shared = await startControlPlane({ log: (msg) => process.stderr.write(`      ${msg}\n`) });
  },
  async afterAll(this: Context): Promise<void> {
    this.timeout(30_000);
    await shared?.stop();
    shared = undefined;
  },
};
