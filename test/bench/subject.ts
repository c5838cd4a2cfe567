/**
 * What the latency and burst scenarios time: Tripline raising an AuditAlert for each new object, or
 * the reference copier writing its record of it (copier.ts). Both run the same load and are timed
 * by the same watcher, so their figures can be set side by side.
 */
import type { ControlPlane } from '../../hack/controlplane/index.js';
import type { OperatorProcess } from '../../hack/operator-process.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { CopierProcess } from './copier.js';
import { RECORDS_PATH } from './copier.js';
import { type AlertCounts, alertTally, countAlerts, type Expectation } from './counts.js';
import { type CpuRoles, controlPlanePids } from './cpu.js';
import { BenchWatcher } from './watcher.js';

/** The process under measurement. */
export type Subject = { name: 'tripline'; op: OperatorProcess } | { name: 'copier'; copier: CopierProcess };

/** The word for one result in progress lines. */
export const resultWord = (s: Subject): string => (s.name === 'tripline' ? 'alerts' : 'records');

/** The pid of the subject's process. */
export const subjectPid = (s: Subject): number =>
  s.name === 'tripline' ? (s.op.proc.pid as number) : s.copier.pid;

/** The processes whose CPU a scenario accounts: control plane, the subject (`operator` or `copier`) and this benchmark. */
export const subjectRoles = (cp: ControlPlane, s: Subject): CpuRoles => ({
  ...controlPlanePids(cp.dir),
  [s.name === 'tripline' ? 'operator' : 'copier']: [subjectPid(s)],
  bench: [process.pid],
});

/** A watcher of `objectPaths` and of the subject's results. */
export const subjectWatcher = (client: KubeClient, objectPaths: string[], s: Subject): BenchWatcher =>
  s.name === 'tripline'
    ? new BenchWatcher(client, objectPaths, true)
    : new BenchWatcher(client, objectPaths, false, RECORDS_PATH);

/** When the result about the object `uid` was seen (its alert of `detection`, or its record); undefined: not yet. */
export function resultSeen(w: BenchWatcher, s: Subject, detection: string, uid: string): number | undefined {
  return s.name === 'tripline' ? w.alertSeen(detection, uid) : w.recordSeen(uid);
}

/** Resolves once the subject has nothing left to write (the operator's queue is empty; the copier writes as events come). */
export async function waitIdle(s: Subject, timeoutMs: number): Promise<void> {
  if (s.name === 'tripline') await s.op.waitIdle(timeoutMs);
}

/** Throws when the subject's process died (its log when it is the operator). */
export function assertRunning(s: Subject, scenario: string): void {
  if (s.name === 'tripline' && !s.op.running())
    throw new Error(`the operator died during ${scenario}:\n${s.op.logs().slice(-3000)}`);
  if (s.name === 'copier' && !s.copier.running()) throw new Error(`the copier died during ${scenario}`);
}

/** Missed and duplicate results for `expected`, from a full list: AuditAlerts, or the copier's records. */
export async function countResults(
  client: KubeClient,
  s: Subject,
  expected: Expectation[],
): Promise<AlertCounts> {
  if (s.name === 'tripline') return countAlerts(await alertTally(client), expected);
  const tally = await recordTally(client);
  return countAlerts(
    tally,
    expected.map((e) => ({ uid: e.uid, detection: COPIED })),
  );
}

/** The "detection" of every copier record in a tally. */
const COPIED = 'copied';

/** Lists the copier's records, page by page: how many exist per `subjectUid|copied`. */
async function recordTally(client: KubeClient): Promise<Map<string, number>> {
  const tally = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.request<{
      items: { data?: { uid?: string } }[];
      metadata: { continue?: string };
    }>('GET', RECORDS_PATH, { query: { limit: 500, continue: token } });
    for (const r of page.items) {
      const key = `${r.data?.uid}|${COPIED}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    token = page.metadata.continue || undefined;
  } while (token);
  return tally;
}
