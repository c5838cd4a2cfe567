import assert from 'node:assert/strict';
import { runCaptured } from '../../../hack/docs/corpus.js';
import { jsonChunks } from '../../../src/cli/analyze/chunks.js';
import { parseSource } from '../../../src/cli/analyze/documents.js';
import { DocumentSplitter, MAX_DOCUMENT_CHARS, splitText } from '../../../src/cli/analyze/split.js';
import { ROOT } from '../support/fixtures.js';

/** Runs `tripline analyze -f - -o json` in-process with stdin given as these chunks. */
async function analyzeChunks(
  chunks: Iterable<string | Buffer>,
): Promise<{ code: number; out: Json; stderr: string }> {
  const { code, stdout, stderr } = await runCaptured(['-f', '-', '-o', 'json'], { cwd: ROOT, stdin: chunks });
  return { code, out: JSON.parse(stdout), stderr };
}

// biome-ignore lint/suspicious/noExplicitAny: JSON output read in assertions
type Json = any;

const POD = (name: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  hostPID: true\n  containers: [{name: c, image: x}]\n`;

describe('tripline analyze: cutting a stream into documents', () => {
  const texts: { name: string; text: string }[] = [
    {
      name: 'documents with markers, comments and empty documents',
      text: `# head\n---\n${POD('a')}---\n---\n# c\n---\n${POD('b')}`,
    },
    { name: 'a first document without marker', text: `${POD('a')}---\n${POD('b')}...\n---\n${POD('c')}` },
    {
      name: 'CRLF line ends and a BOM',
      text: `\ufeff---\r\n${POD('a').replaceAll('\n', '\r\n')}---\r\n${POD('b')}`,
    },
    {
      name: 'a block scalar holding dashes that are no marker',
      text: `${POD('a')}  x: |\n    --- not a marker\n---\n${POD('b')}`,
    },
    { name: 'a directive before a marker', text: `%YAML 1.1\n---\n${POD('a')}` },
  ];
  for (const c of texts)
    it(`cuts ${c.name} as yaml's parseAllDocuments does, whatever the chunk size`, () => {
      const whole = parseSource({ name: 'x', text: c.text });
      for (const size of [1, 2, 3, 7, 64]) {
        const s = new DocumentSplitter();
        const buf = Buffer.from(c.text, 'utf8');
        const raws = [];
        for (let i = 0; i < buf.length; i += size) raws.push(...s.push(buf.subarray(i, i + size)));
        raws.push(...s.end());
        assert.deepEqual(raws, splitText(c.text), `chunk size ${size}`);
      }
      assert.deepEqual(whole.errors, []);
      assert.ok(whole.objects.length > 0);
    });

  it('reports a document over the bound without holding it, and reads the next one', () => {
    const s = new DocumentSplitter();
    const big = `apiVersion: v1\nkind: ConfigMap\ndata:\n  a: "${'x'.repeat(1024 * 1024)}"\n`;
    const raws = [...s.push(POD('a')), ...s.push('---\n')];
    for (let i = 0; i <= MAX_DOCUMENT_CHARS / big.length; i++) raws.push(...s.push(big));
    raws.push(...s.push(`---\n${POD('b')}`), ...s.end());
    assert.deepEqual(
      raws.map((r) => [r.number, r.oversize ?? false, r.text.length > 0]),
      [
        [1, false, true],
        [2, true, false],
        [3, false, true],
      ],
    );
  });

  it('bounds one line without newline too', () => {
    const s = new DocumentSplitter();
    const raws = [...s.push('data: "')];
    for (let i = 0; i <= MAX_DOCUMENT_CHARS / 1_000_000; i++) raws.push(...s.push('y'.repeat(1_000_000)));
    raws.push(...s.push(`"\n---\n${POD('b')}`), ...s.end());
    assert.deepEqual(
      raws.map((r) => [r.number, r.line, r.oversize ?? false]),
      [
        [1, 1, true],
        [2, 2, false],
      ],
    );
  });
});

describe('tripline analyze: streaming and skipping', () => {
  it('analyses a stream chunk by chunk with the lines of the whole text', async () => {
    const text = `${POD('a')}---\n${POD('b')}`;
    const r = await analyzeChunks(Array.from(text, (ch) => ch));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.out.findings
        .filter((f: Json) => f.id === 'workload.host-pid')
        .map((f: Json) => [f.object.name, f.location.document, f.location.line]),
      [
        ['a', 1, 1],
        ['b', 2, 8],
      ],
    );
  });

  it('judges a binding whose role comes later in the stream by that role', async () => {
    const binding = `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\nsubjects: [{kind: Group, name: system:unauthenticated}]\n`;
    const role = `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: shop}\nrules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]\n`;
    const later = await analyzeChunks([binding, '---\n', role]);
    const first = await analyzeChunks([role, '---\n', binding]);
    const ids = (o: Json) => o.findings.map((f: Json) => `${f.object.kind} ${f.id}`).sort();
    assert.ok(
      ids(later.out).includes('RoleBinding binding.anonymous-escalating'),
      JSON.stringify(ids(later.out)),
    );
    assert.deepEqual(ids(later.out), ids(first.out));
  });

  it('checks Ingress backends against Services that come later in the stream', async () => {
    const ing = `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: a}\nspec:\n  rules: [{host: x.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: gone, port: {number: 80}}}}]}}]\n`;
    const svc =
      'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a}\nspec: {ports: [{port: 80}]}\n';
    const r = await analyzeChunks([ing, '---\n', svc]);
    assert.ok(r.out.findings.some((f: Json) => f.id === 'ingress.backend-missing'));
    assert.deepEqual(r.out.notes, []);
  });

  const skipped: { name: string; text: string; warning: RegExp }[] = [
    {
      name: 'a Chart.yaml',
      text: 'apiVersion: v2\nname: shop\nversion: 1.2.3\n',
      warning: /no apiVersion or no kind: not a Kubernetes object; skipped/,
    },
    {
      name: 'a values.yaml',
      text: 'replicaCount: 2\nimage: {repository: nginx}\n',
      warning: /not a Kubernetes object; skipped/,
    },
    {
      name: 'a kustomization.yaml',
      text: 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n',
      warning: /is a kustomize file, not a Kubernetes object: skipped \(render it first: kustomize build/,
    },
    {
      name: 'a scalar document',
      text: 'just text\n',
      warning: /document 1 \(line 1\) is a string, not a Kubernetes object; skipped/,
    },
    {
      name: 'a sequence document',
      text: '- a\n- b\n',
      warning: /is a list, not a Kubernetes object; skipped/,
    },
    {
      name: 'kind without apiVersion',
      text: 'kind: Pod\nmetadata: {name: x}\n',
      warning: /not a Kubernetes object; skipped/,
    },
    {
      name: 'a Helm template that is valid YAML',
      text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "{{ .Release.Name }}-web"\nspec:\n  hostPID: true\n  containers: [{name: c, image: x}]\n',
      warning: /stdin document 1 \(line 1\) is an unrendered Helm template .*helm template RELEASE CHART/,
    },
    {
      name: 'a Helm template that is no valid YAML',
      text: 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n{{- include "chart.pod" . | nindent 6 }}\n',
      warning: /is an unrendered Helm template/,
    },
    {
      name: 'a template of another tool that fails to read',
      text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: {{ name }}}\n  bad: [\n',
      warning: /is an unrendered Helm template/,
    },
  ];
  for (const c of skipped)
    it(`skips ${c.name} with a warning, exit 0, and analyses the rest`, async () => {
      const r = await analyzeChunks([c.text, '---\n', POD('after')]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.out.errors.length, 0);
      assert.match(
        r.out.warnings
          .map(
            (w: Json) =>
              `${w.location.file} document ${w.location.document} (line ${w.location.line}) ${w.message}`,
          )
          .join('\n'),
        c.warning,
      );
      assert.ok(
        r.out.findings.every((f: Json) => f.object.name === 'after'),
        'nothing of the skipped document is analysed',
      );
      assert.ok(r.out.findings.some((f: Json) => f.id === 'workload.host-pid'));
    });

  it('still analyses rendered manifests that carry other Go templates in strings (Alertmanager)', async () => {
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: am}\ndata:\n  tmpl: |\n    {{ define "x" }}{{ range .Alerts }}{{ .Labels.alertname }}{{ end }}{{ end }}\n---\n${POD('p')}`;
    const r = await analyzeChunks([cm]);
    assert.deepEqual(r.out.warnings, []);
    assert.equal(r.out.summary.objects, 2);
  });

  it('still exits 2 for invalid YAML that is no template, naming the document', async () => {
    const r = await analyzeChunks([`${POD('a')}---\nkind: [unclosed\n`]);
    assert.equal(r.code, 2);
    assert.match(r.out.errors[0].message, /stdin document 2 \(line 8\) is not valid YAML/);
  });
});

describe('tripline analyze: output in chunks', () => {
  const cases: { name: string; items: unknown[] }[] = [
    { name: 'no items', items: [] },
    { name: 'one item', items: [{ id: 'a', nested: { list: [1, 2], text: 'x\ny' } }] },
    {
      name: 'more items than a chunk',
      items: Array.from({ length: 600 }, (_, i) => ({ i, tags: ['a', { b: i }] })),
    },
  ];
  for (const c of cases)
    it(`writes the same bytes as JSON.stringify(…, null, 2) for ${c.name}`, () => {
      const build = (items: unknown[]) => ({
        head: { n: 1 },
        runs: [{ results: items, after: [] }],
        tail: 'z',
      });
      const chunks = [...jsonChunks(build, c.items, (x) => x)];
      assert.equal(chunks.join(''), `${JSON.stringify(build(c.items), null, 2)}\n`);
      if (c.items.length > 256) assert.ok(chunks.length > 3, 'written in several chunks');
    });
});
