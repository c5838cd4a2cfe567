import assert from 'node:assert/strict';
import { analyseSubject } from '../../../src/subjects/index.js';
import { loadAll } from '../support/fixtures.js';

const odd = loadAll<Record<string, unknown>>('test/fixtures/subjects/odd.yaml');
// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting control characters are gone is the point.
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('odd input never throws and says what it could not read', () => {
  const cases: { name: string; obj: unknown; notes: RegExp[]; summary?: RegExp }[] = [
    {
      name: 'Deployment without spec',
      obj: odd[0],
      notes: [/^spec is missing; the pod spec could not be read$/],
    },
    {
      name: 'wrong types everywhere',
      obj: odd[1],
      notes: [
        /^metadata\.labels is a list/,
        /^metadata\.annotations\["bad"\] is not a string/,
        /^metadata\.ownerReferences is a string/,
        /^metadata\.managedFields is a number/,
        /containers\[1\] is a string, not an object; skipped$/,
        /containers\[0\]\.ports is an object/,
        /containers\[0\]\.image is a number/,
        /containers\[0\]\.securityContext\.privileged is a string/,
        /capabilities\.add is a string/,
        /volumes\[0\]\.hostPath is a string/,
        /spec\.template\.spec\.hostNetwork is a string/,
        /^spec\.replicas is a string/,
      ],
    },
    {
      name: 'control characters and bidi overrides in a name',
      obj: odd[3],
      notes: [/resources\[0\] is a number/, /resources\[1\] is a number/, /verbs is a string/],
      summary: /^ClusterRole evil\\u001b\[2J\\u202ename grants 1 rule$/,
    },
    {
      name: 'null',
      obj: null,
      notes: [/not a JSON object/, /apiVersion or kind is missing/, /metadata is missing/],
    },
    {
      name: 'a string',
      obj: 'kind: Pod',
      notes: [/not a JSON object/, /apiVersion or kind is missing/, /metadata is missing/],
    },
    {
      name: 'a list',
      obj: [{ kind: 'Pod' }],
      notes: [/not a JSON object/, /apiVersion or kind is missing/, /metadata is missing/],
    },
    { name: 'an empty object', obj: {}, notes: [/apiVersion or kind is missing/, /metadata is missing/] },
    {
      name: 'a kind the analyser has no table entry for in a known group',
      obj: {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: { name: 'r', namespace: 'n' },
        data: {},
      },
      notes: [],
      summary: /^ControllerRevision n\/r$/,
    },
    {
      name: 'a workload list with more than 100 containers',
      obj: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'n' },
        spec: { containers: Array.from({ length: 150 }, (_, i) => ({ name: `c${i}`, image: 'x' })) },
      },
      notes: [/^spec\.containers has 150 items; only the first 100 were read$/],
      summary: /runs 100 containers/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = analyseSubject(c.obj);
      assert.equal(got.notes.length, c.notes.length, got.notes.join('\n'));
      c.notes.forEach((re, i) => {
        assert.match(got.notes[i] ?? '', re);
      });
      if (c.summary) assert.match(got.summary, c.summary);
      assert.doesNotMatch(JSON.stringify(got.evidence) + got.summary, RAW_CONTROL);
    });
  }

  it('escapes control characters in evidence values and keys', () => {
    const got = analyseSubject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n', annotations: { 'x\u0007': 'bell\u0007\nline' } },
    });
    const annotations = (got.evidence.metadata as { annotations: Record<string, string> }).annotations;
    assert.deepEqual(annotations, { 'x\\u0007': 'bell\\u0007\\u000aline' });
  });

  it('caps the notes of a hopeless object and says how many were left out', () => {
    const got = analyseSubject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n' },
      spec: { containers: Array.from({ length: 60 }, () => 'not a container') },
    });
    assert.equal(got.notes.length, 33);
    assert.equal(got.notes.at(-1), '28 more notes left out');
  });

  it('survives deeply nested input', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 5000; i++) deep = { next: deep };
    const got = analyseSubject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n' },
      spec: deep,
    });
    assert.deepEqual(got.evidence.spec, { fields: {}, nestedFields: ['next'] });
  });
});

describe('evidence bounded per kind (ADR 27)', () => {
  const pod = (containers: number) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'n', uid: 'u' },
    spec: {
      containers: Array.from({ length: containers }, (_, i) => ({
        name: `container-${i}`,
        image: `registry.example.com/team/image-${i}:1.0.${i}`,
        ports: [{ containerPort: 8000 + i, name: `p${i}` }],
      })),
    },
  });
  const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

  it('keeps a typical workload whole, without a note', () => {
    const got = analyseSubject(pod(2));
    assert.ok(bytes(got.evidence) < 3072);
    assert.ok(!got.notes.some((n) => n.startsWith('evidence bounded')), got.notes.join('\n'));
  });

  for (const n of [30, 99]) {
    it(`caps a workload of ${n} containers to its kind's 3072 bytes and says so`, () => {
      const got = analyseSubject(pod(n));
      assert.ok(bytes(got.evidence) <= 3072, `${bytes(got.evidence)} bytes`);
      assert.ok(
        got.notes.some((x) => /^evidence bounded to 3072 bytes for a Pod: /.test(x)),
        got.notes.join('\n'),
      );
    });
  }

  it('caps a kind without a row of its own to the default 2048 bytes', () => {
    const data = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`example.com/key-${i}`, 'v'.repeat(60)]),
    );
    const got = analyseSubject({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: data },
    });
    assert.ok(bytes(got.evidence) <= 2048, `${bytes(got.evidence)} bytes`);
    assert.ok(got.notes.some((x) => x.startsWith('evidence bounded to 2048 bytes for a Widget')));
  });
});
