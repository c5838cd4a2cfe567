import type { KubeApi } from '../kube/api.js';
import { ACCEPT_METADATA } from '../kube/client.js';
import { isForbidden, isNotFound } from '../kube/errors.js';
import { INGRESS_RULES, readIngress, type ServiceBackend } from '../subjects/ingress/risks.js';
import { asRecord, asString, unique } from '../subjects/read.js';
import { type AlertRisk, evaluate, type RuleFailure, ruleFailureNote } from '../subjects/risks/types.js';
import type { Enricher, Enrichment } from './enrich.js';

/** Whether a Service exists; `undefined` when that cannot be known. */
export type ServiceExists = (namespace: string, name: string) => boolean | undefined;

const BACKEND_RULE = INGRESS_RULES.filter((r) => r.id === 'ingress.backend-missing');

/** The Service backends of an Ingress (default backend and every path), in either API shape. */
export function backendServices(obj: unknown): ServiceBackend[] {
  const o = asRecord(obj);
  return o ? readIngress(o).services : [];
}

/**
 * The `ingress.backend-missing` risk of an Ingress, given a way to tell whether a Service exists,
 * the Services whose existence could not be told, and the rule if it threw. Pure: the caller
 * decides where the answer comes from (the API server in the operator, the other documents in
 * `tripline analyze`).
 */
export function checkBackends(
  obj: unknown,
  serviceExists: ServiceExists,
): { risks: AlertRisk[]; unknown: string[]; failed: RuleFailure[] } {
  const o = asRecord(obj);
  if (!o) return { risks: [], unknown: [], failed: [] };
  const ingress = readIngress(o);
  const unknown = unique(
    ingress.services.filter((s) => serviceExists(ingress.namespace, s.name) === undefined).map((s) => s.name),
  );
  const failed: RuleFailure[] = [];
  return { risks: evaluate(BACKEND_RULE, { ...ingress, serviceExists }, undefined, failed), unknown, failed };
}

/** Most distinct Services one alert looks up; an Ingress with more is checked for the first ones. */
export const MAX_BACKEND_LOOKUPS = 16;

async function lookUp(
  client: KubeApi,
  namespace: string,
  name: string,
): Promise<boolean | 'forbidden' | undefined> {
  try {
    await client.request(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}`,
      { accept: ACCEPT_METADATA },
    );
    return true;
  } catch (err: unknown) {
    if (isNotFound(err)) return false;
    // Not knowing is not a risk: the alert says the check could not be made instead.
    return isForbidden(err) ? 'forbidden' : undefined;
  }
}

/**
 * Enricher that raises `ingress.backend-missing` for Ingress backends whose Service does not exist
 * (GET `/api/v1/namespaces/NS/services/NAME` answers 404). Needs `get` on services; without it, or
 * when the API server does not answer, the alert carries a note instead of the risk.
 */
export function createIngressBackendsEnricher(client: KubeApi): Enricher {
  return {
    name: 'ingress-backends',
    async enrich({ alert, subject }): Promise<Enrichment | undefined> {
      if (subject.kind !== 'Ingress' || alert.spec.event === 'Deleted') return undefined;
      const namespace = asString(subject.metadata?.namespace) ?? '';
      const names = unique(backendServices(subject).map((s) => s.name)).slice(0, MAX_BACKEND_LOOKUPS);
      if (names.length === 0 || namespace === '') return undefined;
      const answers = new Map(
        await Promise.all(names.map(async (n) => [n, await lookUp(client, namespace, n)] as const)),
      );
      const { risks, unknown, failed } = checkBackends(subject, (_, name) => {
        const a = answers.get(name);
        return typeof a === 'boolean' ? a : undefined;
      });
      const forbidden = [...answers.values()].includes('forbidden');
      const notes =
        unknown.length === 0
          ? []
          : [
              `ingress-backends: could not tell whether Service ${unknown.join(', ')} exists${forbidden ? ' (get on services is forbidden)' : ''}`,
            ];
      return { risks, notes: [...notes, ...failed.map(ruleFailureNote)], ruleFailures: failed };
    },
  };
}
