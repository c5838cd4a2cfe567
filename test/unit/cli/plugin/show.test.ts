import assert from 'node:assert/strict';
import type { AuditAlert } from '../../../../src/api/generated/audit-alert.js';
import { renderAlert, steps, wrap } from '../../../../src/cli/plugin/show.js';
import { alertTable } from '../../../../src/cli/plugin/table.js';

const ALERT: AuditAlert = {
  apiVersion: 'tripline.dev/v1alpha1',
  kind: 'AuditAlert',
  metadata: { name: 'ingress-created-0123456789' },
  spec: {
    detection: { name: 'ingress-created', generation: 2 },
    severity: 'High',
    category: 'Exposure',
    event: 'Created',
    summary: 'New Ingress shop/web exposes web.example.com without TLS',
    subject: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      namespace: 'shop',
      name: 'web',
      uid: 'u-1',
    },
    actor: { username: 'alice', groups: ['dev', 'system:authenticated'], fieldManager: 'kubectl-create' },
    evidence: { hosts: ['web.example.com'], tls: [] },
    risks: [
      {
        id: 'ingress-no-tls',
        severity: 'High',
        message: 'Served over plain HTTP.',
        reference: 'https://example.com/tls',
      },
    ],
    investigation: [
      { title: 'Read it', detail: 'Check hosts.', command: 'kubectl get ingress -n shop web -o yaml' },
      { title: 'Think' },
    ],
    resolution: [{ title: 'Remove it', command: 'kubectl delete ingress -n shop web' }],
    detectedAt: '2025-01-01T00:00:00Z',
  },
  status: {
    state: 'Resolved',
    reason: 'Expected',
    note: 'planned',
    resolvedAt: '2025-01-01T00:05:01Z',
    remediation: { action: 'DeleteSubject', result: 'Rejected', message: 'not allowed', requestedBy: 'bob' },
    history: [{ time: '2025-01-01T00:05:00Z', from: 'Open', to: 'Resolved', reason: 'Expected', by: 'bob' }],
  },
};

describe('kubectl-tripline show', () => {
  const text = renderAlert(ALERT, Date.parse('2025-01-01T01:00:00Z'));

  it('prints the sections in reading order', () => {
    const order = [
      'Name:',
      'Subject:',
      'Actor:',
      'Evidence:',
      'Risks:',
      'Investigation:',
      'Resolution:',
      'Status:',
      'History:',
    ];
    const at = order.map((s) => text.indexOf(s));
    assert.ok(
      at.every((i) => i >= 0),
      `every section present:\n${text}`,
    );
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
    );
  });

  const lines: RegExp[] = [
    /^Summary: +New Ingress shop\/web exposes web.example.com without TLS$/m,
    /^Detection: +ingress-created \(generation 2\)$/m,
    /^Detected: +2025-01-01T00:00:00Z \(60m ago\)$/m,
    /^ {2}Groups: +dev, system:authenticated$/m,
    /^ {2}hosts:\n {4}- web.example.com$/m,
    /^ {2}- \[High\] ingress-no-tls\n {6}Served over plain HTTP.\n {6}see https:\/\/example.com\/tls$/m,
    /^ {2}1\. Read it\n {5}Check hosts.\n {5}\$ kubectl get ingress -n shop web -o yaml\n {2}2\. Think$/m,
    /^ {2}Remediation: +DeleteSubject → Rejected: not allowed \(asked by bob\)$/m,
    /^ {2}Resolved at: +2025-01-01T00:05:01Z$/m,
    /^ {2}2025-01-01T00:05:00Z {3}Open → Resolved {3}Expected {3}by bob$/m,
  ];
  for (const re of lines) {
    it(`prints ${re.source.slice(0, 50)}`, () => {
      assert.match(text, re);
    });
  }

  it('names the cluster first when the alert carries the cluster label (--cluster-name)', () => {
    const labelled = {
      ...ALERT,
      metadata: { ...ALERT.metadata, labels: { 'tripline.dev/cluster': 'prod-eu' } },
    };
    assert.match(renderAlert(labelled, 0), /^Cluster: +prod-eu\nName: /);
    assert.ok(!text.includes('Cluster:'), 'no Cluster line without the label');
  });

  describe('who can do the same', () => {
    const whoCan = [
      {
        kind: 'User' as const,
        name: 'tenant-dev',
        via: 'RoleBinding shop/dev-edit → ClusterRole edit',
        verbs: ['create'],
      },
      {
        kind: 'ServiceAccount' as const,
        namespace: 'ci',
        name: 'deployer',
        via: 'RoleBinding shop/ci → Role c',
        verbs: ['create'],
      },
    ];
    const withWhoCan = (total: number | undefined, listed = whoCan) =>
      renderAlert(
        {
          ...ALERT,
          spec: {
            ...ALERT.spec,
            whoCan: listed,
            evidence:
              total === undefined ? {} : { whoCanSummary: { question: 'q', total, listed: listed.length } },
          },
        },
        0,
      );

    it('lists the grants, then the count and the command that prints the rest', () => {
      const want = [
        'Who can do the same:',
        '  User             tenant-dev    via RoleBinding shop/dev-edit → ClusterRole edit',
        '  ServiceAccount   ci/deployer   via RoleBinding shop/ci → Role c',
        '  2 of 9 listed; 7 more: kubectl tripline who-can ingress-created-0123456789',
        '',
        'Investigation:',
      ].join('\n');
      const out = withWhoCan(9);
      assert.ok(out.includes(want), out);
    });

    it('points to the command even when the alert lists none (--who-can-limit 0)', () => {
      assert.match(
        withWhoCan(3, []),
        /^Who can do the same:\n {2}0 of 3 listed; 3 more: kubectl tripline who-can ingress-created-0123456789$/m,
      );
    });

    it('adds no pointer when every grant is listed, or when the alert has no count', () => {
      for (const out of [withWhoCan(2), withWhoCan(undefined)]) {
        assert.match(out, /^Who can do the same:\n( {2}.*via.*\n){2}\n/m);
        assert.ok(!out.includes('kubectl tripline who-can'), out);
      }
    });
  });

  it('leaves out what the alert does not have', () => {
    const bare = renderAlert(
      { ...ALERT, spec: { ...ALERT.spec, risks: [], actor: undefined }, status: undefined },
      0,
    );
    assert.ok(!bare.includes('Risks:') && !bare.includes('Actor:') && !bare.includes('History:'), bare);
    assert.match(bare, /^Status:\n {2}State: +Open$/m, 'no status reads Open, like the schema default');
  });

  it('keeps multi-line commands runnable, indented under the step', () => {
    assert.equal(steps([{ title: 'T', command: 'a \\\n  b' }]), '  1. T\n     $ a \\\n         b');
  });

  it('wraps prose at 100 columns', () => {
    const out = wrap('word '.repeat(60), 5);
    for (const l of out.split('\n')) assert.ok(l.length <= 100 && l.startsWith('     word'), l);
  });
});

describe('kubectl-tripline show and list: hostile strings reach the terminal escaped', () => {
  const ESC = '\u001b';
  const hostile: AuditAlert = structuredClone(ALERT);
  hostile.spec.notes = [`${ESC}]0;pwned\u0007clear screen ${ESC}[2J`];
  hostile.spec.evidence = { annotations: { [`k${ESC}[31m`]: `v${ESC}[8mhidden\nforged: line` } };
  hostile.spec.subject.name = `web${ESC}[1A`;
  if (hostile.status) hostile.status.note = `ok\r\n  State:  Resolved\u202e`;
  const outputs = [
    ['show', renderAlert(hostile, Date.parse('2025-01-01T01:00:00Z'))],
    ['list', alertTable([hostile], Date.parse('2025-01-01T01:00:00Z'))],
  ] as const;
  for (const [name, out] of outputs) {
    it(`${name}: no raw control, bidi or line-break character from an alert's values`, () => {
      // The renderer's own layout uses only \n; every other control character would be the alert's.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
      assert.match(out, /\\u001b/);
    });
  }
  it('show: a note cannot forge a line of its own', () => {
    const out = renderAlert(hostile, Date.parse('2025-01-01T01:00:00Z'));
    assert.doesNotMatch(out, /\n\s*State:\s+Resolved\\u202e/);
    assert.match(out, /ok\\u000d\\u000a/);
  });
});
