import assert from 'node:assert/strict';
import { type ActionEvent, parseActionReview, parseSecretReads } from '../../../src/actions/events.js';

const NOW = 1_800_000_000_000;
const USER = { username: 'tenant-dev', uid: 'u-1', groups: ['devs', 'system:authenticated'] };

/** An AdmissionReview as kube-apiserver sends it. */
function review(request: Record<string, unknown>): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'r-1', namespace: 'shop', name: 'web-0', userInfo: USER, ...request },
  };
}
const pods = { group: '', version: 'v1', resource: 'pods' };
const sas = { group: '', version: 'v1', resource: 'serviceaccounts' };

describe('parseActionReview', () => {
  const cases: Array<{ name: string; review: unknown; want: Partial<ActionEvent> | string | undefined }> = [
    {
      name: 'exec: command words, container',
      review: review({
        operation: 'CONNECT',
        resource: pods,
        subResource: 'exec',
        object: { kind: 'PodExecOptions', container: 'app', command: ['sh', '-c', 'cat /etc/passwd'] },
      }),
      want: {
        type: 'Exec',
        container: 'app',
        command: 'sh -c "cat /etc/passwd"',
        resource: 'pods/exec',
        target: { kind: 'Pod', namespace: 'shop', name: 'web-0' },
      },
    },
    {
      name: 'attach: container, no command',
      review: review({
        operation: 'CONNECT',
        resource: pods,
        subResource: 'attach',
        object: { kind: 'PodAttachOptions', container: 'app', command: ['ignored'] },
      }),
      want: { type: 'Attach', container: 'app', resource: 'pods/attach' },
    },
    {
      name: 'port-forward: ports, junk dropped',
      review: review({
        operation: 'CONNECT',
        resource: pods,
        subResource: 'portforward',
        object: { kind: 'PodPortForwardOptions', ports: [8080, 'x', 70000, 5432] },
      }),
      want: { type: 'PortForward', ports: [8080, 5432] },
    },
    {
      name: 'token request: audiences and expiry, never the token',
      review: review({
        operation: 'CREATE',
        resource: sas,
        subResource: 'token',
        name: 'deployer',
        object: {
          kind: 'TokenRequest',
          spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600 },
          status: { token: 'eyJhbGciOiJSUzI1NiJ9.SECRET', expirationTimestamp: '2027-01-01T00:00:00Z' },
        },
      }),
      want: {
        type: 'TokenRequest',
        audiences: ['https://kubernetes.default.svc'],
        expirationSeconds: 3600,
        target: { kind: 'ServiceAccount', namespace: 'shop', name: 'deployer' },
      },
    },
    {
      name: 'a dry run is not an action',
      review: review({ operation: 'CREATE', resource: sas, subResource: 'token', dryRun: true }),
      want: 'dry-run',
    },
    {
      name: 'no user: malformed',
      review: review({ operation: 'CONNECT', resource: pods, subResource: 'exec', userInfo: {} }),
      want: 'malformed',
    },
    {
      name: 'a Pod create is not an action (attribution parses it)',
      review: review({ operation: 'CREATE', resource: pods }),
      want: undefined,
    },
    {
      name: 'CONNECT on pods/proxy is not one of ours',
      review: review({ operation: 'CONNECT', resource: pods, subResource: 'proxy' }),
      want: undefined,
    },
    {
      name: 'a CRD named pods in another group is not core pods',
      review: review({
        operation: 'CONNECT',
        resource: { ...pods, group: 'evil.example.com' },
        subResource: 'exec',
      }),
      want: undefined,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = parseActionReview(c.review, NOW);
      if (c.want === undefined) return assert.equal(got, undefined);
      if (typeof c.want === 'string') return assert.deepEqual(got, { kind: 'ignored', reason: c.want });
      assert.equal(got?.kind, 'action');
      const e = (got as { event: ActionEvent }).event;
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(e[k as keyof ActionEvent], v, k);
      assert.deepEqual(e.user, USER);
      assert.equal(e.id, 'r-1');
      assert.equal(e.at, NOW);
      assert.ok(!JSON.stringify(e).includes('SECRET'), 'nothing of status.token');
    });

  it('bounds the command: at most 64 words and 1024 characters', () => {
    const words = Array.from({ length: 500 }, () => 'x'.repeat(100));
    const got = parseActionReview(
      review({ operation: 'CONNECT', resource: pods, subResource: 'exec', object: { command: words } }),
      NOW,
    );
    const cmd = (got as { event: ActionEvent }).event.command ?? '';
    assert.ok(cmd.length <= 1024, String(cmd.length));
  });

  it('bounds names, groups and audiences', () => {
    const long = 'n'.repeat(10_000);
    const got = parseActionReview(
      review({
        operation: 'CREATE',
        resource: sas,
        subResource: 'token',
        name: long,
        userInfo: { username: long, groups: Array.from({ length: 1000 }, () => long) },
        object: { spec: { audiences: Array.from({ length: 100 }, () => long) } },
      }),
      NOW,
    );
    const e = (got as { event: ActionEvent }).event;
    assert.ok(e.target.name.length <= 253);
    assert.ok(e.user.groups.length <= 64 && e.user.username.length <= 512);
    assert.ok((e.audiences ?? []).length <= 8 && (e.audiences ?? []).every((a) => a.length <= 253));
  });
});

describe('parseSecretReads', () => {
  const ev = (over: Record<string, unknown>) => ({
    auditID: 'a-1',
    stage: 'ResponseComplete',
    verb: 'get',
    user: { username: 'tenant-dev', groups: ['devs'] },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'kubectl/v1.34',
    objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: '2027-01-01T00:00:00.000000Z',
    ...over,
  });
  const cases: Array<{ name: string; item: unknown; want: Partial<ActionEvent> | undefined }> = [
    {
      name: 'a get of one Secret',
      item: ev({}),
      want: { type: 'SecretRead', verb: 'get', target: { kind: 'Secret', namespace: 'shop', name: 'db' } },
    },
    {
      name: 'a list of a namespace',
      item: ev({ verb: 'list', objectRef: { resource: 'secrets', namespace: 'shop' } }),
      want: { verb: 'list', target: { kind: 'Secret', namespace: 'shop', name: '' } },
    },
    {
      name: 'a watch at ResponseStarted',
      item: ev({ verb: 'watch', stage: 'ResponseStarted' }),
      want: { verb: 'watch' },
    },
    {
      name: 'a watch at ResponseComplete is the same watch ending',
      item: ev({ verb: 'watch' }),
      want: undefined,
    },
    { name: 'a refused read read nothing', item: ev({ responseStatus: { code: 403 } }), want: undefined },
    { name: 'a write is not a read', item: ev({ verb: 'update' }), want: undefined },
    {
      name: 'a ConfigMap is not a Secret',
      item: ev({ objectRef: { resource: 'configmaps', namespace: 'shop', name: 'db' } }),
      want: undefined,
    },
    {
      name: 'impersonation: the impersonated user read it',
      item: ev({ impersonatedUser: { username: 'victim', groups: [] } }),
      want: { user: { username: 'victim', groups: [] } },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = parseSecretReads({ kind: 'EventList', items: [c.item] });
      if (c.want === undefined) return assert.deepEqual(got, []);
      assert.equal(got.length, 1);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(got[0]?.[k as keyof ActionEvent], v, k);
      assert.equal(got[0]?.id, 'a-1');
    });

  it('never keeps a request or response body, even if one is sent', () => {
    const got = parseSecretReads({
      items: [ev({ responseObject: { data: { password: 'aHVudGVyMg==' } }, requestObject: { x: 'y' } })],
    });
    assert.equal(got.length, 1);
    assert.ok(!JSON.stringify(got).includes('aHVudGVyMg=='));
  });
});
