#!/usr/bin/env node
/**
 * `kubectl-tripline`: the kubectl plugin for triaging AuditAlerts (`kubectl tripline …` once it is
 * on PATH). Every triage command is one merge patch of the status subresource, the same body as the
 * raw `kubectl patch` the README documents first; the API server validates it.
 */
import { ALERTS_PATH, DETECTIONS_PATH } from '../api/constants.js';
import type { AuditAlert } from '../api/generated/audit-alert.js';
import type { AuditDetection } from '../api/generated/audit-detection.js';
import { pluginKubeconfig } from '../config/plugin-env.js';
import { loadClusterAccess } from '../kube/access.js';
import { KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';
import { Discovery } from '../kube/resources.js';
import { exitWith } from './exit.js';
import {
  type ClusterInvocation,
  type Invocation,
  type ListFilters,
  type OutputFormat,
  type PatchInvocation,
  parseInvocation,
  UsageError,
} from './plugin/args.js';
import { describeError } from './plugin/errors.js';
import { helpText, USAGE_HINT } from './plugin/help.js';
import { alertPath, MERGE_PATCH, patchedMessage, statusPatch } from './plugin/patches.js';
import { renderAlert } from './plugin/show.js';
import { alertTable, fieldSelector } from './plugin/table.js';
import { alertQuestion, fullAnswer, readRbac, whoCanJson, whoCanTable } from './plugin/who-can.js';

const VERSION = '0.1.0';
/** Field manager of the plugin's writes, visible in the alert's managedFields. */
const FIELD_MANAGER = 'kubectl-tripline';
const PAGE_SIZE = 500;

/** Where the plugin prints; tests can pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Entry point of `kubectl-tripline`. Returns the exit code: 0 done, 1 API or access error, 2 usage. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let inv: Invocation;
  try {
    inv = parseInvocation(argv);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`error: ${err.message}\n${USAGE_HINT}\n`);
    return 2;
  }
  if (inv.command === 'help') io.out(helpText(inv.topic));
  else if (inv.command === 'version') io.out(`kubectl-tripline ${VERSION}\n`);
  else return await runAgainstCluster(inv, io);
  return 0;
}

async function runAgainstCluster(inv: ClusterInvocation, io: Io): Promise<number> {
  let client: KubeClient | undefined;
  try {
    const access = await loadClusterAccess({ kubeconfig: pluginKubeconfig(inv.kubeconfig) });
    client = new KubeClient(access, {
      maxSockets: 4,
      userAgent: `kubectl-tripline/${VERSION}`,
      requestTimeoutMs: 30_000,
    });
    await execute(inv, client, io);
    return 0;
  } catch (err: unknown) {
    io.err(`${describeError(err)}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

async function execute(inv: ClusterInvocation, client: KubeClient, io: Io): Promise<void> {
  switch (inv.command) {
    case 'list':
      return await list(client, inv.filters, inv.output, io);
    case 'show': {
      const alert = await client.request<AuditAlert>('GET', alertPath(inv.name));
      io.out(renderAlert(alert, Date.now(), await detectionOf(client, alert)));
      return;
    }
    case 'who-can':
      return await whoCanCommand(client, inv.name, inv.output, io);
    default:
      return await patch(client, inv, io);
  }
}

/**
 * The detection that raised `alert`, for the explanations of its steps; undefined when it cannot be
 * read (deleted, or the user may read alerts but not detections): the alert is shown all the same.
 */
async function detectionOf(client: KubeClient, alert: AuditAlert): Promise<AuditDetection | undefined> {
  try {
    return await client.request<AuditDetection>(
      'GET',
      `${DETECTIONS_PATH}/${encodeURIComponent(alert.spec.detection.name)}`,
    );
  } catch (err: unknown) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return undefined;
    throw err;
  }
}

async function list(client: KubeClient, filters: ListFilters, output: OutputFormat, io: Io): Promise<void> {
  const items = await listAlerts(client, filters);
  if (output === 'json') {
    io.out(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2)}\n`);
  } else if (items.length === 0) {
    io.err('No alerts found.\n');
  } else {
    io.out(`${alertTable(items, Date.now())}\n`);
  }
}

/** Every alert matching the filters, read page by page; the API server applies the field selector. */
async function listAlerts(client: KubeClient, filters: ListFilters): Promise<AuditAlert[]> {
  const items: AuditAlert[] = [];
  let cont: string | undefined;
  do {
    const page = await client.request<{ items: AuditAlert[]; metadata?: { continue?: string } }>(
      'GET',
      ALERTS_PATH,
      { query: { fieldSelector: fieldSelector(filters), limit: PAGE_SIZE, continue: cont } },
    );
    items.push(...page.items);
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return items;
}

/**
 * The alert's who-can question answered in full from the RBAC objects the user may list: the
 * same index code as the operator's, without its cap.
 */
async function whoCanCommand(client: KubeClient, name: string, output: OutputFormat, io: Io): Promise<void> {
  const alert = await client.request<AuditAlert>('GET', alertPath(name));
  const q = await alertQuestion(alert, new Discovery(client));
  const answer = fullAnswer(await readRbac(client), q);
  io.out(output === 'json' ? whoCanJson(name, q, answer) : whoCanTable(name, q, answer));
}

async function patch(client: KubeClient, inv: PatchInvocation, io: Io): Promise<void> {
  await client.request('PATCH', alertPath(inv.name, 'status'), {
    query: { fieldManager: FIELD_MANAGER },
    body: statusPatch(inv),
    contentType: MERGE_PATCH,
  });
  io.out(`${patchedMessage(inv)}\n`);
}

// `kubectl tripline list | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

exitWith('kubectl-tripline', main(process.argv.slice(2)));
