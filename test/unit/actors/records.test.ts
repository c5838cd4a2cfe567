import assert from 'node:assert/strict';
import {
  type AdmissionParse,
  parseAdmissionReview,
  parseAuditEvents,
  reviewUid,
} from '../../../src/actors/records.js';
import { auditEvent, eventList, review, statusReview, TENANT } from './samples.js';

const NOW = Date.parse('2026-11-23T12:00:00.600Z');

describe('parseAdmissionReview', () => {
  /** `want` compares the whole result; `check` only what the case is about. */
  const cases: { name: string; review: unknown; want?: AdmissionParse; check?(got: AdmissionParse): void }[] =
    [
      {
        name: 'a create: the object uid (set before validating admission), coordinates and userInfo',
        review: review(),
        want: {
          kind: 'object',
          record: {
            operation: 'CREATE',
            coordinates: { group: 'networking.k8s.io', resource: 'ingresses', namespace: 'team-a' },
            name: 'shop',
            objectUid: '820aa7dc-010a-4517-8822-e28cd17fb117',
            generation: 1,
            user: { username: 'tenant-dev', groups: ['devs', 'system:authenticated'] },
            at: NOW,
          },
        },
      },
      {
        name: 'a delete reads the uid from oldObject',
        review: review({ operation: 'DELETE', uid: 'u-del' }),
        check: (got) => {
          assert.equal(got.kind === 'object' && got.record.objectUid, 'u-del');
          assert.equal(got.kind === 'object' && got.record.operation, 'DELETE');
        },
      },
      {
        name: 'a user uid is kept',
        review: review({ user: { username: 'alice', uid: 'a-1', groups: ['g'] } }),
        check: (got) =>
          assert.deepEqual(got.kind === 'object' && got.record.user, {
            username: 'alice',
            uid: 'a-1',
            groups: ['g'],
          }),
      },
      {
        name: 'a dry run changes nothing',
        review: review({ dryRun: true }),
        want: { kind: 'ignored', reason: 'dry-run' },
      },
      {
        name: 'a subresource of a watched kind',
        review: review({ subResource: 'status', operation: 'UPDATE' }),
        want: { kind: 'ignored', reason: 'subresource' },
      },
      {
        name: 'an object without uid',
        review: review({ object: { metadata: { name: 'x' } } }),
        want: { kind: 'ignored', reason: 'no-uid' },
      },
      { name: 'no userInfo', review: review({ user: {} }), want: { kind: 'ignored', reason: 'malformed' } },
      {
        name: 'an unknown operation',
        review: review({ operation: 'CONNECT' }),
        want: { kind: 'ignored', reason: 'malformed' },
      },
      { name: 'not a review', review: { hello: 1 }, want: { kind: 'ignored', reason: 'malformed' } },
      {
        name: 'an alert moved to Acknowledged: a state change',
        review: statusReview('ingress-created-abc', 'Open', 'Acknowledged', {
          username: 'oncall',
          groups: ['sre'],
        }),
        want: {
          kind: 'status',
          change: {
            alert: 'ingress-created-abc',
            from: 'Open',
            to: 'Acknowledged',
            user: { username: 'oncall', groups: ['sre'] },
            at: NOW,
          },
        },
      },
      {
        name: 'a new alert without stored status reads as Open',
        review: statusReview('a', undefined, 'Resolved', TENANT),
        check: (got) =>
          assert.deepEqual(got.kind === 'status' && [got.change.from, got.change.to], ['Open', 'Resolved']),
      },
      {
        name: 'a status write that keeps the state (the operator writing conditions) is not a change',
        review: statusReview('a', 'Acknowledged', 'Acknowledged', TENANT),
        want: { kind: 'ignored', reason: 'no-state-change' },
      },
      {
        name: 'a remediation request: who asked, as a change to remediation:<action>',
        review: statusReview('a', 'Open', 'Open', TENANT, { to: 'ScaleToZero' }),
        check: (got) =>
          assert.deepEqual(got.kind === 'status' && [got.change.to, got.change.user.username], [
            'remediation:ScaleToZero',
            (TENANT as { username: string }).username,
          ]),
      },
      {
        name: 'a status write that keeps the requested action (the operator recording the result) is not one',
        review: statusReview('a', 'Open', 'Open', TENANT, { from: 'ScaleToZero', to: 'ScaleToZero' }),
        want: { kind: 'ignored', reason: 'no-state-change' },
      },
      {
        name: "an alert's spec (the operator completing the actor)",
        review: review({
          group: 'tripline.dev',
          resource: 'auditalerts',
          operation: 'UPDATE',
          namespace: '',
        }),
        want: { kind: 'ignored', reason: 'alert-spec' },
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      const got = parseAdmissionReview(c.review, NOW);
      if (c.want) assert.deepEqual(got, c.want);
      c.check?.(got);
    });
  }

  it('never keeps anything of the object but its coordinates', () => {
    const r = review({
      object: { metadata: { uid: 'u', name: 'creds' }, data: { password: 'aHVudGVyMg==' } },
    });
    assert.doesNotMatch(JSON.stringify(parseAdmissionReview(r, NOW)), /aHVudGVyMg|password/);
  });

  it('bounds what a hostile request can make it keep', () => {
    const huge = 'x'.repeat(100_000);
    const r = review({ user: { username: huge, groups: Array.from({ length: 1000 }, () => huge) } });
    const got = parseAdmissionReview(r, NOW);
    assert.equal(got.kind, 'object');
    if (got.kind !== 'object') return;
    assert.equal(got.record.user.username.length, 512);
    assert.equal(got.record.user.groups.length, 64);
  });

  it('finds the review uid to echo, and none in garbage', () => {
    assert.equal(reviewUid(review()), 'afea2b4e-54c1-433f-95b9-5782b9db0122');
    assert.equal(reviewUid('nope'), undefined);
    assert.equal(reviewUid({ request: { uid: 5 } }), undefined);
  });
});

describe('parseAuditEvents', () => {
  it('keeps a completed create with user, source IPs, user agent and times', () => {
    const { records, skipped } = parseAuditEvents(eventList(auditEvent()));
    assert.equal(skipped, 0);
    assert.deepEqual(records, [
      {
        auditID: '22606faf-0de0-4015-a72e-a47f1c2cade3',
        verb: 'create',
        coordinates: { group: 'networking.k8s.io', resource: 'ingresses', namespace: 'team-a' },
        name: 'shop',
        user: { username: 'tenant-dev', groups: ['devs', 'system:authenticated'] },
        sourceIPs: ['127.0.0.1'],
        userAgent: 'kubectl/v1.37.2 (linux/amd64) kubernetes/7c06c13',
        code: 201,
        received: Date.parse('2026-11-23T12:00:00.545161Z'),
        completed: Date.parse('2026-11-23T12:00:00.564385Z'),
      },
    ]);
  });

  const skippedCases: { name: string; event: unknown }[] = [
    { name: 'the RequestReceived stage', event: auditEvent({ stage: 'RequestReceived' }) },
    { name: 'a read', event: auditEvent({ verb: 'get', code: 200 }) },
    { name: 'a watch', event: auditEvent({ verb: 'watch', code: 200 }) },
    {
      name: 'a dry-run create',
      event: auditEvent({ requestURI: '/apis/networking.k8s.io/v1/namespaces/team-a/ingresses?dryRun=All' }),
    },
    { name: 'no user', event: auditEvent({ user: { groups: ['x'] } }) },
    { name: 'a bad timestamp', event: auditEvent({ received: 'yesterday' }) },
    { name: 'not an object', event: 'event' },
  ];
  for (const c of skippedCases) {
    it(`skips ${c.name}`, () => {
      assert.deepEqual(parseAuditEvents(eventList(c.event)), { records: [], skipped: 1 });
    });
  }

  it('keeps the effective user and names the impersonator', () => {
    const [r] = parseAuditEvents(
      eventList(
        auditEvent({
          user: { username: 'admin', groups: ['system:masters'] },
          impersonatedUser: { username: 'tenant-dev', groups: ['devs'] },
        }),
      ),
    ).records;
    assert.deepEqual(r?.user, { username: 'tenant-dev', groups: ['devs'] });
    assert.deepEqual(r?.impersonator, { username: 'admin', groups: ['system:masters'] });
  });

  it('keeps a failed create (correlation decides) and a generateName create without name', () => {
    const { records } = parseAuditEvents(eventList(auditEvent({ code: 409 }), auditEvent({ name: null })));
    assert.deepEqual(
      records.map((r) => [r.code, r.name]),
      [
        [409, 'shop'],
        [201, ''],
      ],
    );
  });

  it('names a subresource write by resource/subresource', () => {
    const [r] = parseAuditEvents(
      eventList(
        auditEvent({ verb: 'patch', group: 'tripline.dev', resource: 'auditalerts', subresource: 'status' }),
      ),
    ).records;
    assert.equal(r?.coordinates.resource, 'auditalerts/status');
  });

  it('reads nothing from something that is not an EventList', () => {
    assert.deepEqual(parseAuditEvents({ items: 'x' }), { records: [], skipped: 0 });
    assert.deepEqual(parseAuditEvents(null), { records: [], skipped: 0 });
  });
});
