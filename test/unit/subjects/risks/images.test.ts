import assert from 'node:assert/strict';
import { editDistance, lookalikeOf, parseImage, skeleton } from '../../../../src/subjects/workload/images.js';

const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('image references', () => {
  const cases: { image: string; want: ReturnType<typeof parseImage> }[] = [
    {
      image: 'nginx',
      want: {
        registry: 'docker.io',
        explicitRegistry: false,
        repository: 'nginx',
        tag: undefined,
        digest: undefined,
      },
    },
    {
      image: 'library/nginx:1.25',
      want: {
        registry: 'docker.io',
        explicitRegistry: false,
        repository: 'library/nginx',
        tag: '1.25',
        digest: undefined,
      },
    },
    {
      image: 'localhost:5000/app:dev',
      want: {
        registry: 'localhost',
        explicitRegistry: true,
        repository: 'app',
        tag: 'dev',
        digest: undefined,
      },
    },
    {
      image: `Registry.Example.com:443/team/app:1.0@${DIGEST}`,
      want: {
        registry: 'registry.example.com',
        explicitRegistry: true,
        repository: 'team/app',
        tag: '1.0',
        digest: DIGEST,
      },
    },
    {
      image: 'ghcr.io/org/app@sha256:short',
      want: {
        registry: 'ghcr.io',
        explicitRegistry: true,
        repository: 'org/app',
        tag: undefined,
        digest: undefined,
      },
    },
  ];
  for (const c of cases) it(`parses ${c.image}`, () => assert.deepEqual(parseImage(c.image), c.want));

  // biome-ignore lint/suspicious/noTemplateCurlyInString: an unrendered shell-style placeholder is the input.
  for (const unrendered of ['', '  ', '{{ .Values.image }}', '${IMAGE}', 'repo/app:$(TAG)'])
    it(`ignores ${JSON.stringify(unrendered)} (not a concrete reference)`, () =>
      assert.equal(parseImage(unrendered), undefined));
});

describe('look-alike registries', () => {
  const lookalikes: [string, string][] = [
    ['d0cker.io', 'docker.io'],
    ['dockerr.io', 'docker.io'],
    ['docker.co', 'docker.io'],
    ['docker.io.example.net', 'docker.io'],
    ['gchr.io', 'ghcr.io'],
    ['ghcr.com', 'ghcr.io'],
    ['qauy.io', 'quay.io'],
    ['quay.lo', 'quay.io'],
    ['registry-k8s.io', 'registry.k8s.io'],
    ['registry.k8s.co', 'registry.k8s.io'],
    ['regisrty.k8s.lo', 'registry.k8s.io'],
    ['k8s-gcr.io', 'k8s.gcr.io'],
    ['gcr.io-mirror.com', 'gcr.io'],
    ['rncr.rnicrosoft.com', 'mcr.microsoft.com'],
    ['dοcker.io', 'docker.io'], // Greek omicron
  ];
  for (const [host, known] of lookalikes)
    it(`${host} imitates ${known}`, () =>
      assert.equal(lookalikeOf(host)?.known, known, JSON.stringify(lookalikeOf(host))));

  const genuine = [
    'docker.io',
    'index.docker.io',
    'gcr.io',
    'eu.gcr.io',
    'ghcr.io',
    'icr.io',
    'us.icr.io',
    'quay.io',
    'registry.k8s.io',
    'k8s.gcr.io',
    'europe-docker.pkg.dev',
    'public.ecr.aws',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    'myteam.azurecr.io',
    'nvcr.io',
    'registry.gitlab.com',
    'registry.example.com',
    'harbor.internal',
    'quay.mycompany.com',
    'docker.mycorp.io',
    'localhost',
    '10.0.0.5',
    'cgr.dev',
    'docker.elastic.co',
  ];
  for (const host of genuine)
    it(`${host} is no look-alike`, () =>
      assert.equal(lookalikeOf(host), undefined, JSON.stringify(lookalikeOf(host))));

  it('measures edits with transpositions', () => {
    assert.equal(editDistance('quay.io', 'qauy.io', 2), 1);
    assert.equal(editDistance('docker.io', 'dockr.io', 2), 1);
    assert.equal(editDistance('abc', 'xyzxyz', 2), 3, 'stops early above the budget');
  });

  it('reads confusables alike', () => assert.equal(skeleton('D0CKER-IO'), skeleton('docker.io')));
});
