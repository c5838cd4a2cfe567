import assert from 'node:assert/strict';
import {
  allowedVerbs,
  type PolicyRule,
  type ResourceRequest,
  readRules,
  ruleAllows,
} from '../../../src/rbac/rules.js';

describe('rbac rule matching', () => {
  const create = (resource: string, group = '', extra: Partial<ResourceRequest> = {}): ResourceRequest => ({
    verb: 'create',
    group,
    resource,
    ...extra,
  });
  const cases: { name: string; rule: PolicyRule; req: ResourceRequest; want: boolean }[] = [
    {
      name: 'exact verb, group and resource',
      rule: { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['create'] },
      req: create('ingresses', 'networking.k8s.io'),
      want: true,
    },
    {
      name: 'another verb does not match',
      rule: { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list'] },
      req: create('ingresses', 'networking.k8s.io'),
      want: false,
    },
    {
      name: 'another group does not match',
      rule: { apiGroups: [''], resources: ['ingresses'], verbs: ['create'] },
      req: create('ingresses', 'networking.k8s.io'),
      want: false,
    },
    {
      name: 'the core group is the empty string',
      rule: { apiGroups: [''], resources: ['pods'], verbs: ['create'] },
      req: create('pods'),
      want: true,
    },
    {
      name: 'no apiGroups matches no resource',
      rule: { resources: ['pods'], verbs: ['create'] },
      req: create('pods'),
      want: false,
    },
    {
      name: 'wildcard verb',
      rule: { apiGroups: [''], resources: ['pods'], verbs: ['*'] },
      req: create('pods'),
      want: true,
    },
    {
      name: 'wildcard group',
      rule: { apiGroups: ['*'], resources: ['deployments'], verbs: ['create'] },
      req: create('deployments', 'apps'),
      want: true,
    },
    {
      name: 'wildcard resource',
      rule: { apiGroups: ['apps'], resources: ['*'], verbs: ['create'] },
      req: create('deployments', 'apps'),
      want: true,
    },
    {
      name: 'wildcard resource covers subresources',
      rule: { apiGroups: [''], resources: ['*'], verbs: ['create'] },
      req: create('pods', '', { subresource: 'exec' }),
      want: true,
    },
    {
      name: 'a resource does not cover its subresources',
      rule: { apiGroups: [''], resources: ['pods'], verbs: ['create'] },
      req: create('pods', '', { subresource: 'exec' }),
      want: false,
    },
    {
      name: 'resource/subresource matches exactly',
      rule: { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
      req: create('pods', '', { subresource: 'exec' }),
      want: true,
    },
    {
      name: 'a subresource rule does not grant the resource',
      rule: { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
      req: create('pods'),
      want: false,
    },
    {
      name: 'another subresource does not match',
      rule: { apiGroups: [''], resources: ['pods/log'], verbs: ['create'] },
      req: create('pods', '', { subresource: 'exec' }),
      want: false,
    },
    {
      name: '*/subresource matches that subresource of any resource',
      rule: { apiGroups: [''], resources: ['*/exec'], verbs: ['create'] },
      req: create('pods', '', { subresource: 'exec' }),
      want: true,
    },
    {
      name: '*/subresource does not match the resource itself',
      rule: { apiGroups: [''], resources: ['*/exec'], verbs: ['create'] },
      req: create('pods'),
      want: false,
    },
    {
      name: 'resourceNames do not grant create (no name at collection level)',
      rule: { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get'], resourceNames: ['tls'] },
      req: create('secrets'),
      want: false,
    },
    {
      name: 'resourceNames grant the named object',
      rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['tls'] },
      req: { verb: 'get', group: '', resource: 'secrets', name: 'tls' },
      want: true,
    },
    {
      name: 'resourceNames do not grant another name',
      rule: { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['tls'] },
      req: { verb: 'get', group: '', resource: 'secrets', name: 'db' },
      want: false,
    },
    {
      name: 'nonResourceURLs never grant a resource',
      rule: { nonResourceURLs: ['*'], verbs: ['*'] },
      req: create('pods'),
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(ruleAllows(c.rule, c.req), c.want));

  it('lists the allowed verbs in the order asked', () => {
    const rules: PolicyRule[] = [
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterroles'],
        verbs: ['escalate', 'create'],
      },
    ];
    assert.deepEqual(
      allowedVerbs(rules, ['create', 'bind', 'escalate'], {
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterroles',
      }),
      ['create', 'escalate'],
    );
  });

  it('reads rules defensively: malformed entries and rules without verbs are dropped', () => {
    const got = readRules([
      null,
      'x',
      { apiGroups: [''], resources: ['pods'] },
      { apiGroups: [''], resources: ['pods', 7], verbs: ['get'], resourceNames: [] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    assert.deepEqual(got, [
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    assert.deepEqual(readRules(undefined), []);
  });
});
