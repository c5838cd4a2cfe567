import type { SubjectKind } from '../kind.js';
import { describeRules, evaluate } from '../risks/types.js';
import { analyseIngress } from './analyse.js';
import { INGRESS_RULES, readIngress } from './risks.js';

/** Ingresses, in the current and the removed `extensions` shape. */
export const INGRESS: SubjectKind = {
  id: 'ingress',
  evidenceBytes: 3072,
  kinds: ['networking.k8s.io/Ingress', 'extensions/Ingress'],
  analyse: analyseIngress,
  risks: (obj, ctx, failed) =>
    evaluate(INGRESS_RULES, { ...readIngress(obj), serviceExists: ctx.serviceExists }, undefined, failed),
  rules: describeRules('Ingress', INGRESS_RULES),
};
