import assert from 'node:assert/strict';
import {
  containerSettings,
  deploymentMemoryLimitMiB,
  entrypointNodeFlags,
  heapCapFor,
  heapCapOf,
  quantityMiB,
} from '../../../hack/container.js';
import { repoRoot } from '../../../hack/controlplane/binaries.js';
import { OPERATOR_NODE_FLAGS } from '../../../src/runtime/node-flags.js';

describe('container settings (Dockerfile, Deployment, node-flags.ts)', () => {
  it('agree: the image runs Node with the flags the project starts the operator with, and a heap cap of half the memory limit', () => {
    const c = containerSettings(repoRoot());
    assert.deepEqual(c.nodeFlags, OPERATOR_NODE_FLAGS);
    assert.equal(c.heapCapMB, heapCapFor(c.memoryLimitMiB));
    assert.equal(c.memoryLimitMiB, 256);
  });

  it('reads the Node flags of an exec-form ENTRYPOINT, the last one winning', () => {
    const df = [
      'FROM x',
      'ENTRYPOINT ["/bin/old"]',
      '# ENTRYPOINT ["commented"]',
      'ENTRYPOINT ["/nodejs/bin/node", "--a=1", "--max-old-space-size=96", "dist/src/cli/tripline.js"]',
      'CMD ["run"]',
    ].join('\n');
    assert.deepEqual(entrypointNodeFlags(df), ['--a=1', '--max-old-space-size=96']);
    assert.deepEqual(entrypointNodeFlags('ENTRYPOINT ["/nodejs/bin/node", "x.js"]'), []);
    assert.throws(() => entrypointNodeFlags('FROM x\n'), /no ENTRYPOINT/);
    assert.throws(() => entrypointNodeFlags('ENTRYPOINT node x.js'), /exec \(JSON array\) form/);
  });

  it('reads memory quantities in MiB', () => {
    const cases: [string, number][] = [
      ['256Mi', 256],
      ['1Gi', 1024],
      ['268435456', 256],
      ['512Ki', 0.5],
      ['1048576k', (1e9 / 2 ** 20) * 1.048576],
    ];
    for (const [q, mib] of cases)
      assert.ok(Math.abs(quantityMiB(q) - mib) < 1e-9, `${q} → ${quantityMiB(q)}`);
    assert.throws(() => quantityMiB('256MB'), /not a memory quantity/);
  });

  it('reads the operator container’s memory limit, not another container’s', () => {
    const yaml = `
spec:
  template:
    spec:
      containers:
        - name: sidecar
          resources: { limits: { memory: 1Gi } }
        - name: operator
          resources: { limits: { memory: 300Mi } }
`;
    assert.equal(deploymentMemoryLimitMiB(yaml), 300);
    assert.throws(
      () => deploymentMemoryLimitMiB('spec: {template: {spec: {containers: [{name: operator}]}}}'),
      /no memory limit/,
    );
  });

  it('finds the heap cap among the flags, in either spelling', () => {
    assert.equal(heapCapOf(['--max-semi-space-size=4', '--max-old-space-size=128']), 128);
    assert.equal(heapCapOf(['--max_old_space_size=64']), 64);
    assert.equal(heapCapOf(['--max-semi-space-size=4']), undefined);
    assert.equal(heapCapFor(256), 128);
  });
});
