/**
 * Mocha root hooks for unit tests: the CEL library is loaded on demand by the operator (it is
 * large); tests that compile detections need it loaded first.
 */
import { loadCel } from '../../src/detections/cel.js';

/** Root hooks picked up by mocha from `require: dist/test/unit/setup.js`. */
export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await loadCel();
  },
};
