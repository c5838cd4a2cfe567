import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { isAlreadyExists, isConflict, isGone, isNotFound, isRetryable } from '../../../src/kube/errors.js';
import { eventually } from './eventually.js';
import { FakeCluster } from './fake-cluster.js';

/**
 * The fake API server's own contract: the behaviours of the real one that the core's unit tests
 * rely on (docs/adr/0023). Each case here is one the operator's correctness depends on: if the
 * fake stopped doing it, tests of the code built on it would pass for the wrong reason.
 */

const CM = '/api/v1/namespaces/shop/configmaps';
const DEPLOY = '/apis/apps/v1/namespaces/shop/deployments';
const ALERTS = '/apis/tripline.dev/v1alpha1/auditalerts';

const configMap = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'shop' },
  data,
});

type Obj = KubeObject & Record<string, unknown>;
type WatchEvent = { type: string; object: Obj & { code?: number; reason?: string } };

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('expected the request to be refused'),
    (e: unknown) => e,
  );

/** The events a watch stream delivers: `take` resolves once `n` have arrived. */
function events(stream: Readable) {
  const got: WatchEvent[] = [];
  let ended = false;
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += String(chunk);
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const l of lines) if (l) got.push(JSON.parse(l) as WatchEvent);
  });
  stream.on('end', () => (ended = true));
  stream.on('error', () => (ended = true));
  return {
    got,
    ended: () => ended,
    take: async (n: number) => {
      await eventually(() => got.length >= n, `${n} watch events`);
      return got.slice(0, n);
    },
  };
}

describe('FakeCluster (the one fake API server)', () => {
  describe('create', () => {
    it('stamps uid, resourceVersion, generation and creationTimestamp; a second create of the name is 409 AlreadyExists', async () => {
      const c = new FakeCluster({ now: () => new Date('2027-01-01T00:00:00.123Z') });
      const made = await c.request<Obj>('POST', CM, { body: configMap('a') });
      assert.ok(made.metadata.uid);
      assert.ok(Number(made.metadata.resourceVersion) > 0);
      assert.equal(made.metadata.generation, 1);
      assert.equal(made.metadata.creationTimestamp, '2027-01-01T00:00:00Z');
      const err = await rejection(c.request('POST', CM, { body: configMap('a', { x: 'y' }) }));
      assert.ok(isAlreadyExists(err), String(err));
      assert.match(
        String(err),
        /POST \/api\/v1\/namespaces\/shop\/configmaps: 409 AlreadyExists configmaps "a" already exists/,
      );
      assert.deepEqual(c.writes(), ['create configmaps shop/a', 'create configmaps shop/a -> 409']);
      assert.deepEqual(c.get(configMap('a'))?.data, {}, 'the first object stays');
    });

    it('drops status on create when the resource has a status subresource', async () => {
      const c = new FakeCluster();
      const made = await c.request<Obj>('POST', ALERTS, {
        body: {
          apiVersion: 'tripline.dev/v1alpha1',
          kind: 'AuditAlert',
          metadata: { name: 'a' },
          status: { state: 'Resolved' },
        },
      });
      assert.equal(made.status, undefined);
    });
  });

  describe('update and patch', () => {
    it('a write carrying a stale resourceVersion is 409 Conflict; the current one succeeds and moves it', async () => {
      const c = new FakeCluster();
      const v1 = await c.request<Obj>('POST', CM, { body: configMap('a') });
      const v2 = await c.request<Obj>('PUT', `${CM}/a`, { body: { ...v1, data: { k: '2' } } });
      assert.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
      const stale = await rejection(c.request('PUT', `${CM}/a`, { body: { ...v1, data: { k: 'stale' } } }));
      assert.ok(isConflict(stale), String(stale));
      assert.match(String(stale), /the object has been modified/);
      const patch = await rejection(
        c.request('PATCH', `${CM}/a`, {
          body: { metadata: { resourceVersion: v1.metadata.resourceVersion }, data: { k: 'stale' } },
        }),
      );
      assert.ok(isConflict(patch));
      const ok = await c.request<Obj>('PATCH', `${CM}/a`, {
        body: { metadata: { resourceVersion: v2.metadata.resourceVersion }, data: { k: '3' } },
      });
      assert.deepEqual(ok.data, { k: '3' });
      assert.deepEqual(c.writes(), [
        'create configmaps shop/a',
        'update configmaps shop/a',
        'update configmaps shop/a -> 409',
        'patch configmaps shop/a -> 409',
        'patch configmaps shop/a',
      ]);
    });

    it('status writes keep the rest, object writes keep status; only spec changes move generation', async () => {
      const c = new FakeCluster();
      const body = {
        apiVersion: 'tripline.dev/v1alpha1',
        kind: 'AuditAlert',
        metadata: { name: 'a' },
        spec: { n: 1 },
      };
      await c.request('POST', ALERTS, { body });
      const s = await c.request<Obj>('PATCH', `${ALERTS}/a/status`, {
        body: { status: { state: 'Open' }, spec: { n: 9 } },
      });
      assert.deepEqual([s.spec, s.status, s.metadata.generation], [{ n: 1 }, { state: 'Open' }, 1]);
      const o = await c.request<Obj>('PATCH', `${ALERTS}/a`, {
        body: { spec: { n: 2 }, status: { state: 'Resolved' } },
      });
      assert.deepEqual([o.spec, o.status, o.metadata.generation], [{ n: 2 }, { state: 'Open' }, 2]);
    });

    it('a JSON patch whose test fails is 422 and changes nothing (the scale subresource carries the uid)', async () => {
      const c = new FakeCluster();
      c.put({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: 'shop', uid: 'u1' },
        spec: { replicas: 2 },
      });
      const patch = (uid: string) =>
        c.request<Obj>('PATCH', `${DEPLOY}/d/scale`, {
          contentType: 'application/json-patch+json',
          body: [
            { op: 'test', path: '/metadata/uid', value: uid },
            { op: 'replace', path: '/spec/replicas', value: 0 },
          ],
        });
      const err = await rejection(patch('u2'));
      assert.equal((err as { status?: number }).status, 422);
      const kept = c.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', namespace: 'shop' },
      });
      assert.deepEqual(kept?.spec, { replicas: 2 });
      const scale = await patch('u1');
      assert.deepEqual([scale.kind, scale.spec], ['Scale', { replicas: 0 }]);
    });

    it('server-side apply creates what is missing and updates what exists', async () => {
      const c = new FakeCluster();
      const apply = (data: Record<string, string>) =>
        c.request('PATCH', `${CM}/a`, {
          query: { fieldManager: 'tripline', force: true },
          contentType: 'application/apply-patch+yaml',
          body: configMap('a', data),
        });
      await apply({ k: '1' });
      await apply({ k: '2' });
      assert.deepEqual(c.get(configMap('a'))?.data, { k: '2' });
      assert.deepEqual(
        c.actions.map((a) => a.code),
        [201, 200],
      );
    });
  });

  describe('delete', () => {
    it('honours uid and resourceVersion preconditions with 409', async () => {
      const c = new FakeCluster();
      const made = await c.request<Obj>('POST', CM, { body: configMap('a') });
      const del = (preconditions: object) =>
        c.request('DELETE', `${CM}/a`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions } });
      assert.ok(isConflict(await rejection(del({ uid: 'another' }))));
      assert.ok(isConflict(await rejection(del({ resourceVersion: '1' }))));
      assert.ok(c.get(configMap('a')), 'still there');
      await del({ uid: made.metadata.uid, resourceVersion: made.metadata.resourceVersion });
      assert.equal(c.get(configMap('a')), undefined);
      assert.ok(isNotFound(await rejection(del({}))));
      assert.deepEqual(c.writes(), [
        'create configmaps shop/a',
        'delete configmaps shop/a -> 409',
        'delete configmaps shop/a -> 409',
        'delete configmaps shop/a',
        'delete configmaps shop/a -> 404',
      ]);
    });

    it('an object with finalizers gets a deletionTimestamp, and goes once they are removed', async () => {
      const c = new FakeCluster();
      c.put({ ...configMap('a'), metadata: { name: 'a', namespace: 'shop', finalizers: ['x'] } });
      await c.request('DELETE', `${CM}/a`);
      assert.ok(c.get(configMap('a'))?.metadata.deletionTimestamp);
      await c.request('PATCH', `${CM}/a`, { body: { metadata: { finalizers: null } } });
      assert.equal(c.get(configMap('a')), undefined);
    });
  });

  describe('watch', () => {
    it('from a resourceVersion replays what changed after it, then goes on live', async () => {
      const c = new FakeCluster();
      c.put(configMap('a'));
      const from = c.resourceVersion;
      c.put(configMap('b'));
      c.put(configMap('a', { k: '1' }));
      const abort = new AbortController();
      const w = events(
        await c.stream(CM, { query: { watch: 1, resourceVersion: from }, signal: abort.signal }),
      );
      const replay = await w.take(2);
      assert.deepEqual(
        replay.map((e) => [e.type, e.object.metadata.name]),
        [
          ['ADDED', 'b'],
          ['MODIFIED', 'a'],
        ],
      );
      c.remove(configMap('b'));
      const [, , live] = await w.take(3);
      assert.deepEqual([live?.type, live?.object.metadata.name], ['DELETED', 'b']);
      assert.equal(c.openWatches('configmaps'), 1);
      abort.abort();
      await eventually(() => c.openWatches() === 0, 'the watch closed');
    });

    it('from 0 (or none) starts with ADDED for every object', async () => {
      const c = new FakeCluster();
      c.put(configMap('a'));
      c.put(configMap('b'));
      const abort = new AbortController();
      const w = events(
        await c.stream(CM, { query: { watch: 1, resourceVersion: '0' }, signal: abort.signal }),
      );
      assert.deepEqual(
        (await w.take(2)).map((e) => `${e.type} ${e.object.metadata.name}`),
        ['ADDED a', 'ADDED b'],
      );
      abort.abort();
    });

    it('sends BOOKMARKs only to watches that allow them', async () => {
      const c = new FakeCluster();
      const abort = new AbortController();
      const on = events(
        await c.stream(CM, {
          query: { watch: 1, resourceVersion: c.resourceVersion, allowWatchBookmarks: true },
          signal: abort.signal,
        }),
      );
      const off = events(
        await c.stream(CM, { query: { watch: 1, resourceVersion: c.resourceVersion }, signal: abort.signal }),
      );
      c.bookmark();
      const [b] = await on.take(1);
      assert.deepEqual([b?.type, b?.object.metadata.resourceVersion], ['BOOKMARK', c.resourceVersion]);
      assert.equal(off.got.length, 0);
      abort.abort();
    });
  });

  describe('410 Expired', () => {
    it('a watch from a compacted resourceVersion is a 200 carrying one ERROR 410, then the end', async () => {
      const c = new FakeCluster();
      c.put(configMap('a'));
      const old = c.resourceVersion;
      c.put(configMap('b'));
      c.compact();
      const w = events(
        await c.stream(CM, {
          query: { watch: 1, resourceVersion: old },
          signal: new AbortController().signal,
        }),
      );
      const [e] = await w.take(1);
      assert.deepEqual([e?.type, e?.object.code, e?.object.reason], ['ERROR', 410, 'Expired']);
      await eventually(() => w.ended(), 'the stream ended');
      assert.deepEqual(c.verbs(['watch']), ['watch configmaps shop/']);
    });

    it('expireWatches ends open watches with ERROR 410, and resuming from their last version is 410 too', async () => {
      const c = new FakeCluster();
      const from = c.resourceVersion;
      const w = events(
        await c.stream(CM, {
          query: { watch: 1, resourceVersion: from },
          signal: new AbortController().signal,
        }),
      );
      c.put(configMap('a'));
      await w.take(1);
      c.expireWatches();
      const [, e] = await w.take(2);
      assert.equal(e?.type, 'ERROR');
      const again = events(
        await c.stream(CM, {
          query: { watch: 1, resourceVersion: from },
          signal: new AbortController().signal,
        }),
      );
      assert.equal((await again.take(1))[0]?.object.code, 410);
    });

    it('a list continue token from before a compaction is 410 (isGone)', async () => {
      const c = new FakeCluster();
      for (const n of ['a', 'b', 'c']) c.put(configMap(n));
      const page = await c.request<{ metadata: { continue?: string }; items: Obj[] }>('GET', CM, {
        query: { limit: 2 },
      });
      assert.equal(page.items.length, 2);
      assert.ok(page.metadata.continue);
      c.put(configMap('d'));
      c.compact();
      const err = await rejection(
        c.request('GET', CM, { query: { limit: 2, continue: page.metadata.continue } }),
      );
      assert.ok(isGone(err), String(err));
    });
  });

  describe('what tests control', () => {
    it('fail() answers the next matching requests with the fault, then serves again; status 0 is no answer', async () => {
      const c = new FakeCluster();
      c.fail({ verb: 'create', resource: 'configmaps', status: 503, times: 2 });
      c.fail({ verb: 'get', status: 0 });
      for (let i = 0; i < 2; i++)
        assert.ok(isRetryable(await rejection(c.request('POST', CM, { body: configMap('a') }))));
      await c.request('POST', CM, { body: configMap('a') });
      const net = await rejection(c.request('GET', `${CM}/a`));
      assert.equal((net as { status?: number }).status, 0);
      await c.request('GET', `${CM}/a`);
      assert.deepEqual(c.verbs(), [
        'create configmaps shop/a -> 503',
        'create configmaps shop/a -> 503',
        'create configmaps shop/a',
        'get configmaps shop/a -> 0',
        'get configmaps shop/a',
      ]);
    });

    it('before() lets another client act just ahead of a request', async () => {
      const c = new FakeCluster();
      c.before({ verb: 'create', resource: 'configmaps' }, () => c.put(configMap('a', { by: 'other' })));
      assert.ok(isAlreadyExists(await rejection(c.request('POST', CM, { body: configMap('a') }))));
      await c.request('POST', CM, { body: configMap('b') });
      assert.deepEqual(c.get(configMap('a'))?.data, { by: 'other' });
    });

    it('serve() adds a resource to discovery, as an established CRD does', async () => {
      const c = new FakeCluster();
      assert.ok(isNotFound(await rejection(c.request('GET', '/apis/example.com/v1'))));
      c.serve({ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true });
      const list = await c.request<{ resources: { name: string }[] }>('GET', '/apis/example.com/v1');
      assert.deepEqual(
        list.resources.map((r) => r.name),
        ['widgets', 'widgets/status'],
      );
      assert.deepEqual(c.verbs(), ['get /apis/example.com/v1 -> 404', 'get /apis/example.com/v1']);
    });
  });
});
