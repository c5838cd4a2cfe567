import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { KubeObject } from '../../../src/api/kube-object.js';
import type { KubeClient, RequestOptions } from '../../../src/kube/client.js';
import { ApiError } from '../../../src/kube/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { RbacIndex } from '../../../src/rbac/rbac-index.js';
import type { RbacCounts } from '../../../src/rbac/state.js';
import { clusterRoleBinding, user } from './fixtures.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

/**
 * A client whose lists answer from `lists[path]` (one answer per call, the last one repeated)
 * and whose watches stay open (sending `events[path]` lines first) until aborted.
 */
function fakeClient(lists: Record<string, KubeObject[][]>, events: Record<string, string[]> = {}) {
  const calls: Record<string, number> = {};
  const watches: string[] = [];
  const client = {
    async request(_method: string, path: string): Promise<unknown> {
      const n = calls[path] ?? 0;
      calls[path] = n + 1;
      const answers = lists[path] ?? [[]];
      const items = answers[Math.min(n, answers.length - 1)] ?? [];
      return { metadata: { resourceVersion: String(10 + n) }, items };
    },
    async stream(path: string, opts: RequestOptions): Promise<PassThrough> {
      watches.push(path);
      const res = new PassThrough();
      // Like a real request: an already aborted signal fails it at once.
      if (opts.signal?.aborted) res.destroy(new Error('aborted'));
      opts.signal?.addEventListener('abort', () => res.destroy(new Error('aborted')), { once: true });
      const lines = events[path]?.splice(0) ?? [];
      for (const l of lines) res.write(`${l}\n`);
      return res;
    },
  } as unknown as KubeClient;
  return { client, calls, watches };
}

const WATCH = {
  pageSize: 100,
  stallTimeoutMs: 60_000,
  watchTimeoutSeconds: 60,
  backoff: { baseMs: 1, maxMs: 5 },
};

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

describe('rbac index', () => {
  it('is not synced until all four kinds have listed, and reports counts', async () => {
    const counts: Array<[RbacCounts, boolean]> = [];
    const { client, watches } = fakeClient({
      [`${RBAC}/clusterrolebindings`]: [[clusterRoleBinding('ops', 'admin', [user('alice')])]],
    });
    const index = new RbacIndex(
      client,
      { watch: WATCH, onCounts: (c, s) => counts.push([c, s]) },
      silentLogger(),
    );
    assert.equal(index.synced, false);
    assert.equal(await index.whenSynced(0), false);
    index.start();
    assert.equal(await index.whenSynced(2000), true);
    assert.equal(index.state.clusterRoleBindings()[0]?.name, 'ops');
    assert.deepEqual(counts.at(-1), [
      { Role: 0, ClusterRole: 0, RoleBinding: 0, ClusterRoleBinding: 1 },
      true,
    ]);
    // ResilientWatch misses a stop that lands between a list and its watch; let the watches open.
    await until(() => watches.length === 4, 'four watches open');
    await index.stop();
  });

  it('answers "not synced" when it cannot list (RBAC read denied), waiting only right after start', async () => {
    const client = {
      async request(): Promise<unknown> {
        throw new ApiError('forbidden', { status: 403, reason: 'Forbidden' });
      },
    } as unknown as KubeClient;
    const index = new RbacIndex(client, { watch: WATCH }, silentLogger());
    index.start();
    assert.equal(await index.whenSynced(20), false);
    await new Promise((r) => setTimeout(r, 30));
    let settled = false;
    const later = index.whenSynced(20).then((v) => {
      settled = true;
      return v;
    });
    await Promise.resolve();
    assert.equal(settled, true, 'past the grace period nobody waits');
    assert.equal(await later, false);
    await index.stop();
  });

  it('applies watch events and drops what a relist after 410 Gone no longer returns', async () => {
    const path = `${RBAC}/clusterrolebindings`;
    const gone = clusterRoleBinding('gone', 'admin', [user('bob')]);
    const kept = clusterRoleBinding('kept', 'admin', [user('carol')]);
    const added = clusterRoleBinding('added', 'edit', [user('dave')]);
    const { client, calls } = fakeClient(
      {
        [path]: [
          [gone, kept],
          [kept, added],
        ],
      },
      {
        [path]: [
          JSON.stringify({ type: 'ADDED', object: added }),
          JSON.stringify({ type: 'ERROR', object: { code: 410, reason: 'Expired', message: 'too old' } }),
        ],
      },
    );
    const index = new RbacIndex(client, { watch: WATCH }, silentLogger());
    index.start();
    await until(
      () => (calls[path] ?? 0) >= 2 && index.state.keys('ClusterRoleBinding').length === 2,
      'relisted',
    );
    assert.deepEqual(index.state.keys('ClusterRoleBinding').sort(), ['/added', '/kept']);
    await index.stop();
  });
});
