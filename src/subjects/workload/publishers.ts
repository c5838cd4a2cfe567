/**
 * Look-alike names on Docker Hub, the registry an image uses when it names none. A namespace one
 * typo or homoglyph away from a well-known publisher (`bitnarni/redis`) is one anybody can
 * register; a single name one away from an official image (`ngnix`) reads as `library/ngnix`,
 * which only Docker publishes, but a pull-through mirror or a mirror in the runtime's config may
 * serve it. Lists as data, curated: the names compared against, and real names near them that are
 * never flagged (`mono` is an official image one letter from `mongo`).
 */
import { editDistance, type ImageRef, skeleton } from './images.js';

/** Hosts that are Docker Hub, written or implied. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Official images people pull by a single name; their look-alikes are compared. */
export const OFFICIAL_IMAGES = [
  'alpine',
  'busybox',
  'ubuntu',
  'debian',
  'centos',
  'fedora',
  'rockylinux',
  'almalinux',
  'amazonlinux',
  'nginx',
  'httpd',
  'haproxy',
  'traefik',
  'redis',
  'postgres',
  'mysql',
  'mariadb',
  'mongo',
  'memcached',
  'rabbitmq',
  'elasticsearch',
  'cassandra',
  'influxdb',
  'python',
  'node',
  'golang',
  'openjdk',
  'eclipse-temurin',
  'ruby',
  'php',
  'perl',
  'rust',
  'maven',
  'gradle',
  'tomcat',
  'jenkins',
  'wordpress',
  'registry',
  'docker',
  'consul',
  'vault',
  'caddy',
  'zookeeper',
  'telegraf',
  'kibana',
  'logstash',
  'sonarqube',
  'nextcloud',
] as const;

/** Docker Hub namespaces of well-known publishers (and `library` itself, written out). */
export const PUBLISHERS = [
  'library',
  'bitnami',
  'bitnamicharts',
  'grafana',
  'prom',
  'jetstack',
  'hashicorp',
  'rancher',
  'istio',
  'calico',
  'cilium',
  'fluent',
  'jaegertracing',
  'openpolicyagent',
  'kubernetesui',
  'coredns',
  'minio',
  'nginxinc',
  'envoyproxy',
  'confluentinc',
  'elastic',
  'datadog',
  'newrelic',
  'falcosecurity',
  'aquasec',
  'linuxserver',
  'portainer',
  'gitlab',
  'jenkins',
  'sonatype',
  'nvidia',
  'amazon',
  'circleci',
  'cimg',
  'apache',
  'percona',
  'traefik',
  'otel',
  'openzipkin',
  'kong',
  'curlimages',
] as const;

/**
 * Real names near the lists above, never flagged: official images and publishers one letter
 * from another one (`mono`/`mongo`, `nats`/`node`-like short names are compared by homoglyph only).
 */
const ALSO_REAL = new Set([
  'mono',
  'nats',
  'solr',
  'ghost',
  'kong',
  'julia',
  'httpd',
  'drupal',
  'joomla',
  'redmine',
  'haskell',
  'erlang',
  'elixir',
  'swift',
  'groovy',
  'bash',
  'neo4j',
  'couchdb',
  'couchbase',
  'odoo',
  'composer',
  'adminer',
  'phpmyadmin',
  'oraclelinux',
  'archlinux',
  'photon',
  'clearlinux',
  'ibmjava',
  'sapmachine',
  'amazoncorretto',
  'pypy',
  'hylang',
  'clojure',
  'buildpack-deps',
  'hello-world',
  'postfixadmin',
  'mediawiki',
  'matomo',
  'rocket.chat',
  'eclipse-mosquitto',
  'emqx',
  'varnish',
  'storm',
  'flink',
  'spark',
  'nginxdemos',
  'grafana-dev',
  'prometheus',
  'bitnamilegacy',
]);

/** Short names differ by one letter from too many real ones: only homoglyphs count for them. */
const SHORT = 4;

/** Why `name` imitates `known`, or `undefined`. Equal names are not imitations. */
function imitation(name: string, known: string): string | undefined {
  if (name === known) return undefined;
  if (skeleton(name) === skeleton(known)) return `reads like ${known}`;
  if (known.length <= SHORT) return undefined;
  return editDistance(name, known, 1) === 1 ? `one letter from ${known}` : undefined;
}

/** The first entry of `list` that `name` imitates, with how; `undefined` for a real or unrelated name. */
function imitated(name: string, list: readonly string[]): { known: string; how: string } | undefined {
  const n = name.toLowerCase();
  if (ALSO_REAL.has(n) || list.includes(n)) return undefined;
  for (const known of list) {
    const how = imitation(n, known);
    if (how) return { known, how };
  }
  return undefined;
}

/** What a Docker Hub image imitates: a publisher's namespace or an official image's name. */
export interface HubLookalike {
  what: 'publisher' | 'official';
  known: string;
  how: string;
}

/**
 * The well-known Docker Hub publisher or official image that a Docker Hub image (registry written
 * or implied) imitates, or `undefined` for other registries, real names and unrelated names.
 */
export function hubLookalikeOf(ref: ImageRef): HubLookalike | undefined {
  if (!DOCKER_HUB.has(ref.registry)) return undefined;
  const parts = ref.repository.split('/');
  if (parts.length === 1 || parts[0] === 'library') {
    const name = parts[parts.length - 1] ?? '';
    const like = imitated(name, OFFICIAL_IMAGES);
    return like && { what: 'official', ...like };
  }
  const like = imitated(parts[0] ?? '', PUBLISHERS);
  return like && { what: 'publisher', ...like };
}
