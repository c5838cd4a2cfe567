import assert from 'node:assert/strict';
import { parseImage } from '../../../../src/subjects/workload/images.js';
import { hubLookalikeOf, OFFICIAL_IMAGES, PUBLISHERS } from '../../../../src/subjects/workload/publishers.js';

const lookalike = (image: string) => {
  const ref = parseImage(image);
  assert.ok(ref, image);
  return hubLookalikeOf(ref);
};

describe('Docker Hub look-alikes (publishers and official images)', () => {
  const flagged: { image: string; what: 'publisher' | 'official'; known: string }[] = [
    { image: 'bitnarni/redis:7.2', what: 'publisher', known: 'bitnami' },
    { image: 'bitnaml/redis', what: 'publisher', known: 'bitnami' },
    { image: 'docker.io/grafanna/grafana', what: 'publisher', known: 'grafana' },
    { image: 'index.docker.io/hashicrop/vault', what: 'publisher', known: 'hashicorp' },
    { image: 'pr0m/prometheus', what: 'publisher', known: 'prom' },
    { image: 'jetstak/cert-manager-controller:v1.15.0', what: 'publisher', known: 'jetstack' },
    { image: 'librarry/nginx', what: 'publisher', known: 'library' },
    { image: 'ngnix', what: 'official', known: 'nginx' },
    { image: 'nginxx:1.27', what: 'official', known: 'nginx' },
    { image: 'library/postgress:16', what: 'official', known: 'postgres' },
    { image: 'alp1ne:3.20', what: 'official', known: 'alpine' },
    { image: 'n0de:22', what: 'official', known: 'node' },
    { image: 'ubuntv', what: 'official', known: 'ubuntu' },
  ];
  for (const c of flagged)
    it(`${c.image} imitates ${c.what} ${c.known}`, () => {
      const like = lookalike(c.image);
      assert.equal(like?.what, c.what);
      assert.equal(like?.known, c.known);
      assert.ok(like?.how.includes(c.known));
    });

  // Real images people run: none of them may be flagged (a High on benign input is a bug).
  const real = [
    ...OFFICIAL_IMAGES,
    ...PUBLISHERS.map((p) => `${p}/something:1.0`),
    'mono',
    'nats:2.10',
    'kong:3.7',
    'solr',
    'ghost',
    'tomee',
    'unit',
    'dart',
    'erlang',
    'chronograf',
    'mongo-express',
    'eclipse-mosquitto',
    'amazoncorretto:21',
    'rabbitmq:3-management',
    'php:8.3-fpm',
    'registry:2',
    'nginxinc/nginx-unprivileged:1.27',
    'bitnami/kubectl',
    'bitnamilegacy/redis',
    'curlimages/curl',
    'amazon/aws-cli',
    'rancher/k3s',
    'minio/minio',
    'jenkins/jenkins:lts',
    'gitlab/gitlab-runner',
    'sonatype/nexus3',
    'portainer/portainer-ce',
    'jaegertracing/all-in-one',
    'openpolicyagent/opa',
    'kubernetesui/dashboard',
    'coredns/coredns',
    'envoyproxy/envoy',
    'confluentinc/cp-kafka',
    'elastic/filebeat',
    'datadog/agent',
    'falcosecurity/falco',
    'aquasec/trivy',
    'otel/opentelemetry-collector',
    'grafana/loki',
    'prom/alertmanager',
    'istio/proxyv2',
    'calico/node',
    'fluent/fluent-bit',
    'nvidia/cuda',
    'kindest/node',
    'nicolaka/netshoot',
    'wurstmeister/kafka',
    'ubuntu/squid',
    'registry.example.com/bitnarni/redis',
    'ghcr.io/ngnix/ngnix',
  ];
  it('leaves real images, real publishers and other registries alone', () => {
    const wrong = real.filter((image) => lookalike(image) !== undefined);
    assert.deepEqual(wrong, []);
  });
});
