import assert from 'node:assert/strict';
import { actionActor, matchingActions } from '../../../src/actions/detections.js';
import type { ActionEvent } from '../../../src/actions/events.js';
import type { AuditDetection } from '../../../src/api/generated/audit-detection.js';
import { loadCel } from '../../../src/detections/cel.js';
import { DetectionController } from '../../../src/detections/controller.js';
import { DetectionStore } from '../../../src/detections/store.js';
import { Discovery } from '../../../src/kube/resources.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { TrafficEngine } from '../../../src/traffic/engine.js';
import { followDetections } from '../../../src/traffic/ingestion.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { trafficDetection } from '../traffic/fixtures.js';

const clock = { now: () => new Date('2027-01-01T00:00:00Z') };

function actionDetection(spec: Partial<AuditDetection['spec']> = {}, name = 'pod-exec'): AuditDetection {
  return {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditDetection',
    metadata: { name, uid: `uid-${name}`, generation: 1 },
    spec: {
      title: 'Exec',
      severity: 'High',
      category: 'Workload',
      resources: [{ version: 'v1', resource: 'pods' }],
      events: ['Exec'],
      ...spec,
    },
  };
}

const exec: ActionEvent = {
  type: 'Exec',
  id: 'r1',
  user: { username: 'tenant-dev', groups: ['devs'] },
  target: { kind: 'Pod', namespace: 'shop', name: 'web-0' },
  resource: 'pods/exec',
  command: 'sh',
  at: Date.parse('2027-01-01T00:00:00Z'),
};

/** The detection store, the leader's controller and both pipelines, over one fake API server. */
async function operatorOn(d: AuditDetection) {
  const api = new FakeCluster();
  /** What the watch on AuditDetections would deliver: the stored object. */
  const stored = (name: string) =>
    api.get({ apiVersion: 'tripline.dev/v1alpha1', kind: 'AuditDetection', metadata: { name } }) as unknown as
      | AuditDetection
      | undefined;
  api.put(d);
  const store = new DetectionStore({ log: silentLogger(), clock, actionActorOf: actionActor });
  const controller = new DetectionController(
    {
      watch: {
        pageSize: 100,
        stallTimeoutMs: 60_000,
        watchTimeoutSeconds: 60,
        backoff: { baseMs: 1, maxMs: 1 },
      },
      backoff: { baseMs: 1, maxMs: 1 },
      watermarkOverlapMs: 0,
      watermarkFlushMs: 3_600_000,
      initialSettleMs: 0,
    },
    {
      store,
      client: api,
      discovery: new Discovery(api), // traffic and action detections resolve nothing
      clock,
      log: silentLogger(),
      feedDeps: {} as never, // no object detection here: no feed is subscribed
    },
  );
  const engine = new TrafficEngine({ maxIngresses: 10, maxSources: 10 });
  const unfollow = followDetections(store, engine);
  controller.start();
  store.observe(false, stored(d.metadata?.name as string) as AuditDetection);
  await controller.idle();
  const reported = (name: string) => {
    const conditions = stored(name)?.status?.conditions ?? [];
    const of = (type: string) => conditions.find((c) => c.type === type);
    return { ready: of('Ready')?.status, stalled: of('Stalled')?.status, message: of('Stalled')?.message };
  };
  return {
    store,
    engine,
    reported,
    api,
    /** A person applies a new generation (the status stays); the store observes it; waits for the controller. */
    async update(next: AuditDetection) {
      const name = next.metadata?.name as string;
      api.put({ ...next, status: stored(name)?.status });
      store.observe(false, stored(name) as AuditDetection);
      await controller.idle();
    },
    async stop() {
      unfollow();
      await controller.stop();
    },
  };
}

describe('detections/store: what a detection reports is what runs', () => {
  before(async () => await loadCel());

  // Each case was reported Stalled by the detection controller but run by the traffic or action
  // pipeline (or reported Ready and silently ignored) while each ran its own watch and compile.
  const stalled: Array<{ name: string; d: AuditDetection; message: RegExp }> = [
    {
      name: 'traffic: invalid CEL in match.condition',
      d: trafficDetection({}, { match: { condition: 'object.metadata.name ==' } }),
      message: /spec\.match\.condition/,
    },
    {
      name: 'traffic: an exception naming no field (would suppress every Ingress)',
      d: trafficDetection({}, { exceptions: [{ namespaces: [] }] }),
      message: /spec\.exceptions\[0\]: names no field/,
    },
    {
      name: 'traffic: a namespaceSelector, which a log line cannot be matched against',
      d: trafficDetection({}, { match: { namespaceSelector: { matchLabels: { team: 'a' } } } }),
      message: /spec\.match\.namespaceSelector does not apply to TrafficAnomaly/,
    },
    {
      name: 'traffic: invalid thresholds',
      d: trafficDetection({ disallowedSource: { allowedCIDRs: ['not-a-range'] } }),
      message: /allowedCIDRs\[0\]/,
    },
    {
      name: 'actions: invalid CEL in match.condition',
      d: actionDetection({ match: { condition: 'object.action.command ==' } }),
      message: /spec\.match\.condition/,
    },
    {
      name: 'actions: an exception naming no field',
      d: actionDetection({ exceptions: [{ names: [] }] }),
      message: /spec\.exceptions\[0\]: names no field/,
    },
  ];
  for (const c of stalled) {
    it(`${c.name}: Stalled in status, and no pipeline runs it`, async () => {
      const op = await operatorOn(c.d);
      try {
        const r = op.reported(c.d.metadata?.name as string);
        assert.equal(r.stalled, 'True');
        assert.equal(r.ready, 'False');
        assert.match(r.message ?? '', c.message);
        assert.deepEqual(op.engine.detections, [], 'the traffic engine has no windows for it');
        assert.deepEqual(matchingActions(op.store, exec), [], 'no action rule matches');
      } finally {
        await op.stop();
      }
    });
  }

  const ready: Array<{ name: string; d: AuditDetection; traffic: string[]; actions: string[] }> = [
    {
      name: 'traffic: namespaces and exceptions by namespace',
      d: trafficDetection(
        {},
        { match: { namespaces: { exclude: ['kube-*'] } }, exceptions: [{ namespaces: ['ci'] }] },
      ),
      traffic: ['ingress-traffic-anomaly'],
      actions: [],
    },
    {
      name: 'actions: a valid condition',
      d: actionDetection({ match: { condition: "object.action.command == 'sh'" } }),
      traffic: [],
      actions: ['pod-exec'],
    },
  ];
  for (const c of ready) {
    it(`${c.name}: Ready in status, and run by its pipeline only`, async () => {
      const op = await operatorOn(c.d);
      try {
        const r = op.reported(c.d.metadata?.name as string);
        assert.equal(r.ready, 'True');
        assert.equal(r.stalled, 'False');
        assert.deepEqual(op.engine.detections, c.traffic);
        assert.deepEqual(
          matchingActions(op.store, exec).map((m) => m.detection.name),
          c.actions,
        );
      } finally {
        await op.stop();
      }
    });
  }

  it('a fixed generation is Ready and runs; a broken one stops running and is Stalled', async () => {
    const broken = trafficDetection({}, { match: { condition: 'object.metadata.name ==' } });
    const op = await operatorOn(broken);
    try {
      assert.deepEqual(op.engine.detections, []);
      const fixed = structuredClone(broken);
      fixed.metadata = { ...fixed.metadata, generation: 2 };
      delete fixed.spec.match;
      await op.update(fixed);
      assert.equal(op.reported('ingress-traffic-anomaly').ready, 'True');
      assert.deepEqual(op.engine.detections, ['ingress-traffic-anomaly']);
      await op.update({ ...broken, metadata: { ...broken.metadata, generation: 3 } });
      assert.equal(op.reported('ingress-traffic-anomaly').stalled, 'True');
      assert.deepEqual(op.engine.detections, []);
    } finally {
      await op.stop();
    }
  });

  it('compiles each generation once: a status-only update is no new verdict', () => {
    const store = new DetectionStore({ log: silentLogger(), clock, actionActorOf: actionActor });
    const changes: Array<[string, boolean]> = [];
    store.onChange((name, compiled) => changes.push([name, compiled]));
    const d = trafficDetection({});
    store.observe(false, d);
    const first = store.get('ingress-traffic-anomaly')?.verdict;
    store.observe(false, { ...d, status: { observedGeneration: 1 } });
    assert.equal(store.get('ingress-traffic-anomaly')?.verdict, first, 'the same compiled object');
    assert.equal(store.detection('ingress-traffic-anomaly')?.status?.observedGeneration, 1);
    store.observe(true, d);
    assert.equal(store.get('ingress-traffic-anomaly'), undefined);
    assert.deepEqual(changes, [
      ['ingress-traffic-anomaly', true],
      ['ingress-traffic-anomaly', false],
      ['ingress-traffic-anomaly', true],
    ]);
  });

  it('a disabled detection runs nowhere', () => {
    const store = new DetectionStore({ log: silentLogger(), clock, actionActorOf: actionActor });
    store.observe(false, trafficDetection({}, { enabled: false }));
    store.observe(false, actionDetection({ enabled: false }));
    assert.deepEqual(store.traffic(), []);
    assert.deepEqual(store.running('actions'), []);
    assert.equal(store.get('pod-exec')?.verdict.kind, 'disabled');
  });
});
