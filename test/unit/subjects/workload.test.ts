import assert from 'node:assert/strict';
import { analyseSubject } from '../../../src/subjects/index.js';
import { subjectFixture } from '../support/fixtures.js';

interface Pod {
  serviceAccountName: string;
  images: string[];
  privileged: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  capabilitiesAdded: string[];
  hostPathVolumes: Array<{ path: string }>;
  secrets: string[];
  configMaps: string[];
  containers: Array<Record<string, unknown>>;
}

describe('workload analyser', () => {
  const cases: {
    fixture: string;
    serviceAccount: string;
    images: string[];
    controller: Record<string, unknown>;
    pod: Partial<Omit<Pod, 'hostPathVolumes'>> & { hostPaths?: string[] };
    summary: RegExp;
  }[] = [
    {
      fixture: 'pod',
      serviceAccount: 'web',
      images: ['docker.io/library/alpine:latest', 'busybox:1.36', 'nicolaka/netshoot:v0.13'],
      controller: {},
      pod: {
        privileged: true,
        hostNetwork: true,
        hostPID: true,
        capabilitiesAdded: ['SYS_ADMIN', 'NET_RAW'],
        hostPaths: ['/', '/var/run/docker.sock'],
        secrets: ['api-token', 'db-credentials', 'tls-certs', 'projected-secret', 'registry-creds'],
        configMaps: ['settings', 'shared-config', 'projected-config'],
      },
      summary:
        /^Pod shop\/debug-shell runs 1 container \+1 init \+1 ephemeral \(.*\) as service account web; privileged; hostNetwork; hostPID; hostPath \/, \/var\/run\/docker\.sock; adds SYS_ADMIN, NET_RAW$/,
    },
    {
      fixture: 'deployment',
      serviceAccount: 'web',
      images: [
        'registry.example.com/shop/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        'prom/statsd-exporter:v0.26.0',
      ],
      controller: { replicas: 3 },
      pod: { privileged: false, capabilitiesAdded: [], hostPaths: [], secrets: [] },
      summary: /^Deployment shop\/web runs 2 containers \(.*\) as service account web; 3 replicas$/,
    },
    {
      fixture: 'replicaset',
      serviceAccount: 'default',
      images: ['registry.example.com/shop/web:1.4.2'],
      controller: { replicas: 3, controlledBy: { kind: 'Deployment', name: 'web' } },
      pod: {},
      summary: /^ReplicaSet shop\/web-7d9f8c6b5 runs 1 container .* as service account default; 3 replicas$/,
    },
    {
      fixture: 'statefulset',
      serviceAccount: 'db-legacy',
      images: ['postgres:16'],
      controller: { replicas: 1 },
      pod: { secrets: ['db-credentials'] },
      summary:
        /^StatefulSet shop\/db runs 1 container \(postgres:16\) as service account db-legacy; 1 replica$/,
    },
    {
      fixture: 'daemonset',
      serviceAccount: 'default',
      images: ['ghcr.io/example/agent:2.0'],
      controller: {},
      pod: {
        hostNetwork: true,
        hostIPC: true,
        capabilitiesAdded: ['NET_ADMIN'],
        hostPaths: ['/run/containerd/containerd.sock'],
      },
      summary: /; hostNetwork; hostIPC; hostPath \/run\/containerd\/containerd\.sock; adds NET_ADMIN$/,
    },
    {
      fixture: 'job',
      serviceAccount: 'default',
      images: ['registry.example.com/shop/migrate:1.4.2'],
      controller: { parallelism: 1, completions: 1, backoffLimit: 2 },
      pod: { secrets: ['db-credentials'] },
      summary: /^Job shop\/migrate runs 1 container/,
    },
    {
      fixture: 'cronjob',
      serviceAccount: 'backup',
      images: ['curlimages/curl:8.10.1'],
      controller: { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid' },
      pod: {},
      summary:
        /^CronJob shop\/backup runs 1 container .* as service account backup; schedule \*\/5 \* \* \* \*$/,
    },
  ];
  for (const c of cases) {
    it(c.fixture, () => {
      const got = analyseSubject(subjectFixture(c.fixture));
      const pod = got.evidence.pod as Pod;
      assert.deepEqual(got.notes, []);
      assert.equal(got.vars.serviceAccount, c.serviceAccount);
      assert.equal(pod.serviceAccountName, c.serviceAccount);
      assert.deepEqual(pod.images, c.images);
      for (const [k, v] of Object.entries(c.controller)) assert.deepEqual(got.evidence[k], v, k);
      const { hostPaths, ...rest } = c.pod;
      for (const [k, v] of Object.entries(rest)) assert.deepEqual(pod[k as keyof Pod], v, k);
      if (hostPaths)
        assert.deepEqual(
          pod.hostPathVolumes.map((v) => v.path),
          hostPaths,
        );
      assert.match(got.summary, c.summary);
    });
  }

  it('reads container details: ports, security context, env names, mounts', () => {
    const pod = analyseSubject(subjectFixture('pod')).evidence.pod as Pod;
    assert.deepEqual(pod.containers[0], {
      name: 'shell',
      image: 'docker.io/library/alpine:latest',
      ports: [{ name: 'ssh', containerPort: 22, hostPort: 22, protocol: 'TCP' }],
      securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN', 'NET_RAW'], drop: ['MKNOD'] } },
      env: ['DB_PASSWORD', 'API_TOKEN', 'MODE'],
      envFrom: [{ secret: 'db-credentials' }, { configMap: 'shared-config' }],
      volumeMounts: [
        { name: 'host-root', mountPath: '/host' },
        { name: 'docker', mountPath: '/var/run/docker.sock', readOnly: true },
      ],
    });
  });

  it('reads pod-level runAsNonRoot, runAsUser and seccomp', () => {
    const pod = analyseSubject(subjectFixture('deployment')).evidence.pod as Pod & {
      securityContext: unknown;
    };
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: 'RuntimeDefault',
    });
  });

  it('never reads env values or command lines', () => {
    const text = JSON.stringify(analyseSubject(subjectFixture('pod')));
    assert.ok(!text.includes('hunter2'));
    assert.ok(!text.includes('echo'));
  });
});
