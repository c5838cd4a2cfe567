import assert from 'node:assert/strict';
import { groupOf } from '../../../src/api/kube-object.js';
import { analyseGeneric } from '../../../src/subjects/generic.js';
import { analyserFor, analyseSubject } from '../../../src/subjects/index.js';
import { analyseIngress } from '../../../src/subjects/ingress/analyse.js';
import { analyseNamespace } from '../../../src/subjects/namespace/analyse.js';
import { analyseClusterRole } from '../../../src/subjects/role/analyse.js';
import { analyseWorkload } from '../../../src/subjects/workload/analyse.js';

describe('subject registry', () => {
  const cases: { group: string; kind: string; want: unknown }[] = [
    { group: 'networking.k8s.io', kind: 'Ingress', want: analyseIngress },
    { group: 'extensions', kind: 'Ingress', want: analyseIngress },
    { group: '', kind: 'Pod', want: analyseWorkload },
    { group: 'apps', kind: 'Deployment', want: analyseWorkload },
    { group: 'apps', kind: 'ReplicaSet', want: analyseWorkload },
    { group: 'apps', kind: 'StatefulSet', want: analyseWorkload },
    { group: 'apps', kind: 'DaemonSet', want: analyseWorkload },
    { group: 'batch', kind: 'Job', want: analyseWorkload },
    { group: 'batch', kind: 'CronJob', want: analyseWorkload },
    { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', want: analyseClusterRole },
    { group: '', kind: 'Namespace', want: analyseNamespace },
    { group: '', kind: 'ConfigMap', want: analyseGeneric },
    { group: 'example.com', kind: 'Pod', want: analyseGeneric },
  ];
  for (const c of cases)
    it(`${c.group || 'core'}/${c.kind}`, () => assert.equal(analyserFor(c.group, c.kind), c.want));

  const groups: [string, string][] = [
    ['v1', ''],
    ['apps/v1', 'apps'],
    ['networking.k8s.io/v1', 'networking.k8s.io'],
    ['', ''],
  ];
  for (const [apiVersion, group] of groups)
    it(`groupOf(${JSON.stringify(apiVersion)})`, () => assert.equal(groupOf(apiVersion), group));

  it('gives the common template variables', () => {
    const got = analyseSubject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n', uid: 'u' },
    });
    assert.deepEqual(got.vars, {
      name: 'p',
      namespace: 'n',
      kind: 'Pod',
      apiVersion: 'v1',
      uid: 'u',
      serviceAccount: 'default',
    });
  });

  it('a ConfigMap named by a detection gets generic facts and the ConfigMap risk rules', () => {
    const got = analyseSubject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx' },
      data: { 'allow-snippet-annotations': 'true' },
    });
    assert.deepEqual(
      got.risks.map((r) => [r.id, r.severity]),
      [['configmap.nginx-snippets-allowed', 'Medium']],
    );
  });
});
