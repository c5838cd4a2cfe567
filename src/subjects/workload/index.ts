import type { SubjectKind } from '../kind.js';
import { describeRules, evaluate } from '../risks/types.js';
import { analyseWorkload } from './analyse.js';
import { WORKLOAD_PATH_RULES } from './path-risks.js';
import { readPod } from './pod.js';
import { WORKLOAD_RULES } from './risks.js';

/** Who the workload rules apply to, for the rule tables. */
const APPLIES_TO =
  'Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, CronJob, any kind with a pod template';

/** Every kind that carries a pod (template); any other kind whose objects carry a pod spec too. */
export const WORKLOAD: SubjectKind = {
  id: 'workload',
  evidenceBytes: 3072,
  kinds: [
    '/Pod',
    'apps/Deployment',
    'apps/ReplicaSet',
    'apps/StatefulSet',
    'apps/DaemonSet',
    'extensions/Deployment',
    'extensions/ReplicaSet',
    'extensions/DaemonSet',
    'batch/Job',
    'batch/CronJob',
    '/ReplicationController',
  ],
  analyse: analyseWorkload,
  risks: (obj, _ctx, failed) => {
    const pod = readPod(obj);
    return pod
      ? [
          ...evaluate(WORKLOAD_RULES, pod, undefined, failed),
          ...evaluate(WORKLOAD_PATH_RULES, pod, undefined, failed),
        ]
      : [];
  },
  rules: [...describeRules(APPLIES_TO, WORKLOAD_RULES), ...describeRules(APPLIES_TO, WORKLOAD_PATH_RULES)],
  byShape: true,
};
