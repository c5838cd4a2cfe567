/**
 * The `analyze` scenario of `make bench`: `tripline analyze -f -` over one multi-document stream of
 * many objects of mixed kinds (apps with probes and resources, Services, ConfigMaps, Ingresses,
 * risky Pods and DaemonSets, Roles and the bindings to them, some before and some after their
 * role), written to its stdin as it reads. Measures the process's peak RSS (GNU time's maximum
 * resident set size) and wall time: memory must stay flat in the number of objects.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../hack/controlplane/binaries.js';
import { progress } from './progress.js';

/** The target: peak RSS of `tripline analyze` on 50,000 objects. */
export const ANALYZE_TARGET_RSS_MB = 200;

/** The analyze figures in bench-results JSON. */
export interface AnalyzeResult {
  objects: number;
  /** Size of the stream written to stdin. */
  streamMB: number;
  /** From the summary line of the table output. */
  analysed: number;
  findings: number;
  exitCode: number;
  peakRssMB: number;
  wallSeconds: number;
  objectsPerSecond: number;
  target: number;
}

const TIME = '/usr/bin/time';

/** A realistic `kubectl get -o yaml`-sized metadata block, with managedFields like the API returns. */
const meta = (name: string, ns: string, i: number): string => `metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app.kubernetes.io/name: ${name}, app.kubernetes.io/part-of: shop, team: t${i % 17}}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"x","metadata":{"name":"${name}","namespace":"${ns}"},"note":"${'a'.repeat(300)}"}'
  managedFields:
  - manager: kubectl-client-side-apply
    operation: Update
    time: "2026-12-01T10:00:00Z"
    apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata": {"f:labels": {".": {}, "f:app": {}}, "f:annotations": {".": {}}}, "f:spec": {"f:replicas": {}}}
`;

const container = (name: string): string => `      - name: ${name}
        image: registry.example.com/shop/${name}:1.${name.length}.0
        ports: [{containerPort: 8080, name: http}]
        env:
        - {name: LOG_LEVEL, value: info}
        - {name: DB_URL, valueFrom: {secretKeyRef: {name: db, key: url}}}
        resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 10}
        livenessProbe: {httpGet: {path: /live, port: http}, periodSeconds: 20}
        securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
`;

/** Document `i` of the stream; the mix repeats every 10 objects. */
export function objectText(i: number): string {
  // Ten objects in a row share a namespace, so an Ingress finds its Service there.
  const ns = `team-${Math.floor(i / 10) % 50}`;
  const name = `obj-${i}`;
  switch (i % 10) {
    case 0:
    case 1:
      return `apiVersion: apps/v1\nkind: Deployment\n${meta(name, ns, i)}spec:\n  replicas: 2\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec:\n      automountServiceAccountToken: false\n      securityContext: {seccompProfile: {type: RuntimeDefault}}\n      containers:\n${container('web')}${container('sidecar')}`;
    case 2:
      return `apiVersion: v1\nkind: Service\n${meta(name, ns, i)}spec:\n  selector: {app: ${name}}\n  ports: [{port: 80, targetPort: http}]\n`;
    case 3:
      return `apiVersion: v1\nkind: ConfigMap\n${meta(name, ns, i)}data:\n  app.properties: |\n${'    key.number.line=some configuration value\n'.repeat(30)}`;
    case 4:
      return `apiVersion: networking.k8s.io/v1\nkind: Ingress\n${meta(name, ns, i)}spec:\n  ingressClassName: nginx\n  tls: [{hosts: [${name}.example.com], secretName: ${name}-tls}]\n  rules:\n  - host: ${name}.example.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: obj-${i - 2}, port: {number: 80}}}}]}\n`;
    case 5:
      // Risky: a Pod entering the host's namespaces.
      return `apiVersion: v1\nkind: Pod\n${meta(name, ns, i)}spec:\n  hostPID: true\n  hostNetwork: true\n  containers:\n${container('debug').replaceAll('      ', '  ')}`;
    case 6:
      // A binding whose Role comes in the next document: judged at the end of the stream.
      return `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n${meta(name, ns, i)}roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: obj-${i + 1}}\nsubjects:\n- {kind: ServiceAccount, name: deployer, namespace: ${ns}}\n`;
    case 7:
      return `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n${meta(name, ns, i)}rules:\n- {apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, update, patch]}\n- {apiGroups: [""], resources: [configmaps, services], verbs: [get, list, watch]}\n`;
    case 8:
      return `apiVersion: apps/v1\nkind: DaemonSet\n${meta(name, 'kube-system', i)}spec:\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec:\n      containers:\n      - name: agent\n        image: registry.example.com/agent:2.0\n        securityContext: {privileged: true}\n        volumeMounts: [{name: root, mountPath: /host}]\n      volumes: [{name: root, hostPath: {path: /}}]\n`;
    default:
      return `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n${meta(name, '', i).replace('  namespace: \n', '')}roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {kind: Group, name: team-${i % 50}-readers}\n`;
  }
}

/** Writes `count` objects to `stdin`, waiting when the pipe is full; returns the bytes written. */
async function feed(stdin: NodeJS.WritableStream, count: number): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const text = `---\n${objectText(i)}`;
    bytes += Buffer.byteLength(text);
    if (!stdin.write(text)) await new Promise((resolve) => stdin.once('drain', resolve));
  }
  stdin.end();
  return bytes;
}

/** Runs `tripline analyze -f -` on `count` objects and returns its figures. */
export async function runAnalyzeBench(count: number): Promise<AnalyzeResult> {
  if (!existsSync(TIME))
    throw new Error(`the analyze scenario needs GNU time at ${TIME} (apt-get install time)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tripline-bench-analyze-'));
  try {
    const timeOut = path.join(dir, 'time');
    const cli = path.join(repoRoot(), 'dist/src/cli/tripline.js');
    progress(`analyze: streaming ${count} objects into tripline analyze -f -`);
    const t0 = performance.now();
    // The table goes to a file (its notes and warnings can be long); the summary line is read back.
    const outFile = path.join(dir, 'out.txt');
    const out = await open(outFile, 'w');
    const proc = spawn(TIME, ['-f', '%M', '-o', timeOut, process.execPath, cli, 'analyze', '-f', '-'], {
      cwd: repoRoot(),
      stdio: ['pipe', out.fd, 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-4096);
    });
    const exited = new Promise<number>((resolve) => proc.on('exit', (code) => resolve(code ?? -1)));
    const bytes = await feed(proc.stdin as NodeJS.WritableStream, count);
    const exitCode = await exited;
    await out.close();
    const wallSeconds = (performance.now() - t0) / 1000;
    if (exitCode !== 0 && exitCode !== 1) throw new Error(`tripline analyze exited ${exitCode}: ${stderr}`);
    const peakKB = Number((await readFile(timeOut, 'utf8')).trim().split('\n').at(-1));
    let line = '';
    for await (const l of createInterface({ input: createReadStream(outFile) }))
      if (/^(No risks found|\d+ risks?) in /.test(l)) line = l;
    const summary = /(\d+) risks? in (\d+) analysed objects? \(of (\d+)\)/.exec(line);
    if (!summary || Number(summary[3]) !== count)
      throw new Error(`tripline analyze did not report ${count} objects: ${line} ${stderr}`);
    return {
      objects: count,
      streamMB: Math.round((bytes / 1024 / 1024) * 10) / 10,
      analysed: Number(summary[2]),
      findings: Number(summary[1]),
      exitCode,
      peakRssMB: Math.round((peakKB / 1024) * 10) / 10,
      wallSeconds: Math.round(wallSeconds * 10) / 10,
      objectsPerSecond: Math.round(count / wallSeconds),
      target: ANALYZE_TARGET_RSS_MB,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Row = [string, string, string, string, string, string, string];

const n = (v: number): string => v.toLocaleString('en-US');

/** The rows of the report table (same columns as the other scenarios). */
export function analyzeRows(a: AnalyzeResult): Row[] {
  return [
    [
      'analyze',
      `tripline analyze -f - peak RSS (MB), ${n(a.objects)} objects`,
      String(a.peakRssMB),
      `${a.streamMB} MB stream; ${n(a.findings)} risks in ${n(a.analysed)} analysed objects`,
      `${(a.peakRssMB / a.target).toFixed(2)}×`,
      `≤ ${a.target} MB`,
      a.peakRssMB <= a.target ? 'yes' : 'NO',
    ],
    ['analyze', 'wall time (s)', String(a.wallSeconds), `${n(a.objectsPerSecond)} objects/s`, '', '', ''],
  ];
}
