import assert from 'node:assert/strict';
import {
  ACTION_LABELS,
  actionAlertName,
  actionSelector,
  addEvent,
  chooseEpisode,
  emptyDelta,
  episodeKey,
  labelHash,
  mergeActionStatus,
  STATUS_MAX,
} from '../../../src/actions/episode.js';
import type { ActionEvent } from '../../../src/actions/events.js';
import type { AuditAlert } from '../../../src/api/generated/audit-alert.js';
import { crdValidator, errorsOf } from '../support/crd-schema.js';

const T0 = Date.parse('2027-01-01T00:00:00Z');
const HOUR = 3_600_000;

function exec(over: Partial<ActionEvent> = {}): ActionEvent {
  return {
    type: 'Exec',
    id: 'r-1',
    user: { username: 'tenant-dev', groups: ['devs'] },
    target: { kind: 'Pod', namespace: 'shop', name: 'web-0' },
    resource: 'pods/exec',
    container: 'app',
    command: 'id',
    at: T0,
    ...over,
  };
}

function episode(n: number, over: { state?: string; lastSeen?: number } = {}): AuditAlert {
  return {
    apiVersion: 'tripline.dev/v1alpha1',
    kind: 'AuditAlert',
    metadata: { name: `pod-exec-${n}`, labels: { [ACTION_LABELS.episode]: String(n) } },
    spec: { detectedAt: new Date(T0).toISOString() } as AuditAlert['spec'],
    status: {
      ...(over.state ? { state: over.state as 'Resolved' } : {}),
      action: { lastSeen: new Date(over.lastSeen ?? T0).toISOString() },
    },
  };
}

describe('action episodes', () => {
  describe('keying', () => {
    const k = episodeKey('pod-exec', exec());
    const cases: Array<{ name: string; other: ActionEvent; same: boolean }> = [
      {
        name: 'another command by the same user in the same Pod',
        other: exec({ command: 'ls', id: 'r-2' }),
        same: true,
      },
      { name: 'an attach to the same Pod', other: exec({ type: 'Attach', command: undefined }), same: true },
      { name: 'another user', other: exec({ user: { username: 'mallory', groups: [] } }), same: false },
      {
        name: 'another Pod',
        other: exec({ target: { kind: 'Pod', namespace: 'shop', name: 'web-1' } }),
        same: false,
      },
    ];
    for (const c of cases)
      it(`${c.name}: ${c.same ? 'same' : 'another'} episode name`, () => {
        const other = episodeKey('pod-exec', c.other);
        assert.equal(actionAlertName(other, 1) === actionAlertName(k, 1), c.same);
        assert.equal(actionSelector(other) === actionSelector(k), c.same);
      });

    it('is deterministic per episode number and label-safe', () => {
      assert.equal(actionAlertName(k, 1), actionAlertName(episodeKey('pod-exec', exec()), 1));
      assert.notEqual(actionAlertName(k, 1), actionAlertName(k, 2));
      const sa = episodeKey(
        'token-request',
        exec({ user: { username: 'system:serviceaccount:a:b', groups: [] } }),
      );
      assert.match(actionSelector(sa), /tripline\.dev\/action-user=[0-9a-f]{10},/);
      assert.equal(labelHash('x').length, 10);
    });
  });

  describe('choosing the episode', () => {
    const cases: Array<{ name: string; alerts: AuditAlert[]; now: number; want: object }> = [
      { name: 'none yet: episode 1', alerts: [], now: T0, want: { next: 1 } },
      {
        name: 'an open recent one: add to it',
        alerts: [episode(1)],
        now: T0 + 60_000,
        want: { open: 'pod-exec-1' },
      },
      {
        name: 'resolved: the next one',
        alerts: [episode(1, { state: 'Resolved' })],
        now: T0,
        want: { next: 2 },
      },
      {
        name: 'quiet for the whole period: the next one',
        alerts: [episode(1)],
        now: T0 + HOUR,
        want: { next: 2 },
      },
      {
        name: 'the newest decides, never an older open one',
        alerts: [episode(1), episode(3, { state: 'Resolved' }), episode(2, { state: 'Resolved' })],
        now: T0,
        want: { next: 4 },
      },
      {
        name: 'acknowledged still takes requests',
        alerts: [episode(2, { state: 'Acknowledged' }), episode(1, { state: 'Resolved' })],
        now: T0,
        want: { open: 'pod-exec-2' },
      },
    ];
    for (const c of cases) it(c.name, () => assert.deepEqual(chooseEpisode(c.alerts, c.now, HOUR), c.want));
  });

  describe('aggregation', () => {
    it('counts per event, first/last seen, distinct commands and containers', () => {
      const d = emptyDelta();
      addEvent(d, exec({ at: T0 + 5000 }));
      addEvent(d, exec({ at: T0, id: 'r-2' }));
      addEvent(d, exec({ command: 'ls /', at: T0 + 9000, id: 'r-3' }));
      addEvent(
        d,
        exec({ type: 'PortForward', command: undefined, container: undefined, ports: [5432], id: 'r-4' }),
      );
      const s = mergeActionStatus(undefined, d, T0 + 10_000);
      assert.deepEqual(s, {
        count: 4,
        counts: [
          { event: 'Exec', count: 3 },
          { event: 'PortForward', count: 1 },
        ],
        firstSeen: '2027-01-01T00:00:00Z',
        lastSeen: '2027-01-01T00:00:09Z',
        updatedAt: '2027-01-01T00:00:10Z',
        commands: ['id', 'ls /', 'port-forward 5432'],
        containers: ['app'],
      });
    });

    it('adds to what the alert already says', () => {
      const d = emptyDelta();
      addEvent(d, exec({ command: 'whoami', at: T0 + HOUR / 2 }));
      const prev = {
        count: 2,
        counts: [{ event: 'Exec', count: 2 }],
        firstSeen: '2027-01-01T00:00:00Z',
        lastSeen: '2027-01-01T00:00:09Z',
        commands: ['id'],
      };
      const s = mergeActionStatus(prev, d, T0 + HOUR);
      assert.equal(s.count, 3);
      assert.deepEqual(s.counts, [{ event: 'Exec', count: 3 }]);
      assert.equal(s.firstSeen, '2027-01-01T00:00:00Z');
      assert.equal(s.lastSeen, '2027-01-01T00:30:00Z');
      assert.deepEqual(s.commands, ['id', 'whoami']);
    });

    it('keeps at most 20 distinct commands and says it dropped some; the status fits the CRD', () => {
      const d = emptyDelta();
      for (let i = 0; i < 100; i++) addEvent(d, exec({ command: `cmd-${i}`, id: `r-${i}` }));
      const s = mergeActionStatus(undefined, d, T0);
      assert.equal(s.commands?.length, STATUS_MAX.commands);
      assert.equal(s.truncated, true);
      assert.equal(s.count, 100);
      const validate = crdValidator('tripline.dev_auditalerts.yaml');
      const alert = {
        apiVersion: 'tripline.dev/v1alpha1',
        kind: 'AuditAlert',
        metadata: { name: 'x' },
        spec: {
          detection: { name: 'pod-exec' },
          severity: 'High',
          category: 'Workload',
          event: 'Exec',
          summary: 's',
          subject: { apiVersion: 'v1', kind: 'Pod', name: 'web-0' },
          detectedAt: '2027-01-01T00:00:00Z',
        },
        status: { action: s },
      };
      assert.ok(validate(alert), errorsOf(validate));
    });
  });
});
