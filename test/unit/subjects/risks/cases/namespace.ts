import { namespace, RESTRICTED } from '../fixtures.js';
import type { Case } from './case.js';

/** Namespace cases. */
export const NAMESPACE_CASES: Case[] = [
  { name: 'restricted namespace', obj: namespace(RESTRICTED), want: [] },
  { name: 'no labels', obj: namespace({}), want: ['namespace.pss-enforce-missing'] },
  {
    name: 'baseline enforced',
    obj: namespace({ 'pod-security.kubernetes.io/enforce': 'baseline' }),
    want: [],
    negativeFor: 'namespace.pss-enforce-missing',
  },
  {
    name: 'privileged enforced',
    obj: namespace({ ...RESTRICTED, 'pod-security.kubernetes.io/enforce': 'privileged' }),
    want: ['namespace.pss-enforce-privileged'],
  },
  {
    name: 'privileged only pinned as a version label',
    obj: namespace({ ...RESTRICTED, 'pod-security.kubernetes.io/enforce-version': 'latest' }),
    want: [],
    negativeFor: 'namespace.pss-enforce-privileged',
  },
  {
    name: 'warn privileged',
    obj: namespace({ ...RESTRICTED, 'pod-security.kubernetes.io/warn': 'privileged' }),
    want: ['namespace.pss-audit-warn-privileged'],
  },
  {
    name: 'audit baseline',
    obj: namespace({ ...RESTRICTED, 'pod-security.kubernetes.io/audit': 'baseline' }),
    want: [],
    negativeFor: 'namespace.pss-audit-warn-privileged',
  },
];
