/**
 * The attribution manifests (manifests/webhooks, manifests/rbac/attribution) agree with each other,
 * with the operator's defaults and with the default detections. The e2e test applies the webhook
 * configuration and the audit policy to a real kube-apiserver.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS_SCHEMA } from '../../../src/config/schema.js';
import { defaultDetections, loadAll, ROOT } from '../support/fixtures.js';

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}
interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  failurePolicy: string;
  timeoutSeconds: number;
  matchPolicy: string;
  clientConfig: { service: { name: string; namespace: string; path: string; port: number } };
  rules: Rule[];
}
interface AuditRule {
  level: string;
  verbs?: string[];
  resources?: Array<{ group: string; resources: string[] }>;
  users?: string[];
  userGroups?: string[];
  namespaces?: string[];
}
interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

const [vwc] = loadAll<{ metadata: { name: string }; webhooks: Webhook[] }>(
  'manifests/webhooks/admission/validating-webhook.yaml',
);
const webhook = vwc?.webhooks[0] as Webhook;
const [policy] = loadAll<{ omitStages: string[]; rules: AuditRule[] }>(
  'manifests/webhooks/audit-policy.yaml',
);
const rbac = loadAll<Obj>('manifests/rbac/attribution/role.yaml');
const [service] = loadAll<{
  metadata: { name: string; namespace: string };
  spec: { selector: Record<string, string> };
}>('manifests/webhooks/admission/service.yaml');
const defaults = SETTINGS_SCHEMA.properties;
const EVENT_OPERATION: Record<string, string> = { Created: 'CREATE', Updated: 'UPDATE', Deleted: 'DELETE' };

/** group/resource and the admission operations each default detection needs. */
function watched(): Array<{ group: string; resource: string; operations: string[] }> {
  const out = [];
  for (const d of defaultDetections().values()) {
    // Action detections watch nothing: the actions webhook and the audit reads feed them.
    if ((d.spec.events ?? []).some((e) => !(e in EVENT_OPERATION) && e !== 'TrafficAnomaly')) continue;
    const operations = (d.spec.events ?? []).flatMap((e) => EVENT_OPERATION[e] ?? []);
    for (const r of d.spec.resources ?? [])
      out.push({ group: r.group ?? '', resource: r.resource, operations });
  }
  return out;
}

describe('attribution manifests', () => {
  it('the admission webhook observes only: Ignore on failure, no side effects, a short timeout', () => {
    assert.equal(webhook.failurePolicy, 'Ignore');
    assert.equal(webhook.sideEffects, 'None');
    assert.ok(webhook.timeoutSeconds >= 1 && webhook.timeoutSeconds <= 3);
    assert.equal(webhook.matchPolicy, 'Equivalent');
    assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
  });

  it('covers every kind and event the default detections watch, Secrets excepted', () => {
    for (const w of watched().filter((x) => x.resource !== 'secrets')) {
      const rule = webhook.rules.find(
        (r) => r.apiGroups.includes(w.group) && r.resources.includes(w.resource),
      );
      assert.ok(rule, `no admission rule for ${w.group}/${w.resource}`);
      for (const op of w.operations) assert.ok(rule.operations.includes(op), `${w.resource}: ${op} missing`);
    }
  });

  it('records who moves an alert (auditalerts/status updates) and never sees a Secret', () => {
    assert.ok(
      webhook.rules.some(
        (r) =>
          r.apiGroups.includes('tripline.dev') &&
          r.resources.includes('auditalerts/status') &&
          r.operations.includes('UPDATE'),
      ),
    );
    for (const r of webhook.rules) {
      assert.ok(!r.resources.some((x) => x === '*' || x.startsWith('secrets')), JSON.stringify(r));
      assert.ok(!r.apiGroups.includes('*'), JSON.stringify(r));
    }
  });

  it('reaches the operator through the leader-only Service, at the path the operator serves', () => {
    assert.deepEqual(webhook.clientConfig.service, {
      name: service?.metadata.name,
      namespace: service?.metadata.namespace,
      path: '/admission',
      port: 443,
    });
    assert.equal(service?.spec.selector['tripline.dev/leader'], 'true');
    const [deployment] = loadAll<{ spec: { template: { metadata: { labels: Record<string, string> } } } }>(
      'manifests/manager/deployment.yaml',
    );
    for (const [k, v] of Object.entries(deployment?.spec.template.metadata.labels ?? {}))
      assert.equal(service?.spec.selector[k], v, `selector misses the Pod label ${k}`);
  });

  it('is the webhook configuration the operator patches, and its certificate names the Service', () => {
    assert.equal(vwc?.metadata.name, defaults.admissionWebhookConfiguration.default);
    const hosts = defaults.attributionCertHosts.default.split(',');
    assert.ok(hosts.includes(`${service?.metadata.name}.${service?.metadata.namespace}.svc`));
  });

  it('the audit policy: Metadata for writes of every watched kind and alert status, None for the rest', () => {
    assert.ok(policy?.omitStages.includes('RequestReceived'));
    const metadata = policy?.rules.find((r) => r.level === 'Metadata');
    assert.deepEqual(metadata?.verbs?.sort(), ['create', 'delete', 'patch', 'update']);
    const covers = (group: string, resource: string) =>
      (metadata?.resources ?? []).some((g) => g.group === group && g.resources.includes(resource));
    for (const w of watched())
      assert.ok(covers(w.group, w.resource), `audit policy misses ${w.group}/${w.resource}`);
    assert.ok(covers('tripline.dev', 'auditalerts/status'));
    assert.deepEqual(policy?.rules.at(-1), { level: 'None' });
  });

  it('the audit policy never asks for a request or response body', () => {
    for (const r of policy?.rules ?? []) assert.ok(['None', 'Metadata'].includes(r.level), JSON.stringify(r));
  });

  it('RBAC: the certificate Secret in its own namespace by name, its own webhook configuration by name', () => {
    const role = rbac.find((o) => o.kind === 'Role');
    assert.equal(role?.metadata.namespace, service?.metadata.namespace);
    const rules = (role?.rules ?? []) as PolicyRule[];
    assert.deepEqual(rules.find((r) => r.resourceNames)?.resourceNames, [
      defaults.attributionCertSecret.default,
    ]);
    assert.deepEqual(rules.find((r) => r.resourceNames)?.verbs, ['get', 'update']);
    const unnamed = rules.filter((r) => !r.resourceNames);
    assert.deepEqual(
      unnamed.map((r) => r.verbs),
      [['create']],
      'only create may be granted without a name',
    );
    const cabundle = rbac.find((o) => o.metadata.name === 'tripline-webhook-cabundle');
    assert.deepEqual(cabundle?.rules, [
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        resourceNames: [vwc?.metadata.name],
        verbs: ['get', 'patch'],
      },
    ]);
  });

  it('the audit webhook kubeconfig example points at the receiver path with a client certificate', () => {
    const text = readFileSync(path.join(ROOT, 'manifests/webhooks/audit-webhook-kubeconfig.yaml'), 'utf8');
    const [kc] = loadAll<{
      clusters: Array<{ cluster: { server: string } }>;
      users: Array<{ user: Record<string, string> }>;
    }>('manifests/webhooks/audit-webhook-kubeconfig.yaml');
    assert.match(kc?.clusters[0]?.cluster.server ?? '', /^https:\/\/.+:9444\/audit$/);
    assert.ok(kc?.users[0]?.user['client-certificate-data'] && kc.users[0].user['client-key-data']);
    assert.match(text, /--audit-policy-file/);
  });

  const component = (dir: string) =>
    readFileSync(path.join(ROOT, `manifests/webhooks/${dir}/kustomization.yaml`), 'utf8');
  const receivers = [
    { dir: 'admission', flag: 'admission', secret: 'tripline-admission-client-ca' },
    { dir: 'audit', flag: 'audit', secret: 'tripline-audit-client-ca' },
  ];
  for (const r of receivers) {
    it(`the ${r.dir} component pins the API server: a client CA and the client certificate name`, () => {
      const text = component(r.dir);
      assert.match(text, new RegExp(`--${r.flag}-client-ca-file=/etc/tripline/${r.flag}-client-ca/ca.crt`));
      assert.match(text, new RegExp(`--${r.flag}-client-names=kube-apiserver`));
      assert.match(text, new RegExp(`secretName: ${r.secret}`));
      assert.doesNotMatch(
        text,
        /kind: NetworkPolicy\n\s+name: tripline-operator/,
        'never opens the operator policy',
      );
    });
  }

  it('NetworkPolicy: the receiver ports admit an ipBlock only, never every Pod or every address', () => {
    const [np] = loadAll<{
      spec: {
        ingress: Array<{ from?: Array<Record<string, { cidr?: string }>>; ports: Array<{ port: number }> }>;
      };
    }>('manifests/webhooks/admission/network-policy.yaml');
    const rules = np?.spec.ingress ?? [];
    assert.deepEqual(
      rules.flatMap((r) => r.ports.map((p) => p.port)),
      [9443],
    );
    for (const rule of rules) {
      assert.ok(rule.from && rule.from.length > 0, 'a rule without from admits everyone');
      for (const peer of rule.from) {
        assert.deepEqual(Object.keys(peer), ['ipBlock'], 'no Pod or namespace selectors');
        assert.ok(!['0.0.0.0/0', '::/0'].includes(peer.ipBlock?.cidr ?? ''), 'not every address');
      }
    }
    assert.match(
      component('audit'),
      /name: tripline-webhook\n\s+patch: \|-\n\s+- op: add\n\s+path: \/spec\/ingress\/0\/ports\/-/,
    );
    const [operator] = loadAll<{ spec: { ingress: Array<{ ports: Array<{ port: number }> }> } }>(
      'manifests/manager/network_policy.yaml',
    );
    // The operator's own policy opens the probe port and the access-log port (to its shipper only),
    // never the receiver ports: those are tripline-webhook's alone.
    const opened = operator?.spec.ingress.flatMap((r) => r.ports.map((p) => p.port)) ?? [];
    assert.ok(opened.includes(8080));
    assert.ok(!opened.includes(9443) && !opened.includes(9444), `operator policy opens ${opened.join(', ')}`);
  });

  it('the admission example configures kube-apiserver to present a client certificate to the webhook', () => {
    const [ac] = loadAll<{
      kind: string;
      plugins: Array<{ name: string; configuration: { kubeConfigFile: string } }>;
    }>('manifests/webhooks/admission-control-config.yaml');
    assert.equal(ac?.kind, 'AdmissionConfiguration');
    const validating = ac?.plugins.find((p) => p.name === 'ValidatingAdmissionWebhook');
    assert.match(validating?.configuration.kubeConfigFile ?? '', /admission-webhook-kubeconfig.yaml$/);
    const [kc] = loadAll<{ users: Array<{ name: string; user: Record<string, string> }> }>(
      'manifests/webhooks/admission-webhook-kubeconfig.yaml',
    );
    assert.equal(kc?.users[0]?.name, `${service?.metadata.name}.${service?.metadata.namespace}.svc`);
    assert.ok(kc?.users[0]?.user['client-certificate-data'] && kc.users[0].user['client-key-data']);
  });
});

describe('action manifests (issue 20)', () => {
  const actions = vwc?.webhooks.find((w) => w.name === 'actions.tripline.dev') as Webhook;

  it('the actions webhook observes only and reaches the same leader-only Service', () => {
    assert.ok(actions, 'no actions.tripline.dev webhook');
    assert.equal(actions.failurePolicy, 'Ignore');
    assert.equal(actions.sideEffects, 'None');
    assert.ok(actions.timeoutSeconds >= 1 && actions.timeoutSeconds <= 3);
    assert.deepEqual(actions.clientConfig, webhook.clientConfig);
  });

  it('the actions webhook is not sent kubelet token requests (a Pod start never waits for it)', () => {
    const conditions =
      (actions as Webhook & { matchConditions?: Array<{ expression: string }> }).matchConditions ?? [];
    assert.ok(
      conditions.some((c) => c.expression.includes("g == 'system:nodes'")),
      JSON.stringify(conditions),
    );
  });

  const cases: Array<{ operation: string; resource: string }> = [
    { operation: 'CONNECT', resource: 'pods/exec' },
    { operation: 'CONNECT', resource: 'pods/attach' },
    { operation: 'CONNECT', resource: 'pods/portforward' },
    { operation: 'CREATE', resource: 'serviceaccounts/token' },
  ];
  for (const c of cases)
    it(`sees ${c.operation} on ${c.resource}`, () => {
      assert.ok(
        actions.rules.some(
          (r) =>
            r.apiGroups.includes('') &&
            r.resources.includes(c.resource) &&
            r.operations.includes(c.operation),
        ),
      );
    });

  it('the audit policy logs Secret reads at Metadata, after leaving out the control plane, and no bodies anywhere', () => {
    const rules = policy?.rules ?? [];
    const readsSecrets = (r: AuditRule) =>
      (r.verbs ?? []).includes('get') && (r.resources ?? []).some((g) => g.resources.includes('secrets'));
    const reads = rules.filter(readsSecrets);
    assert.equal(reads.at(-1)?.level, 'Metadata');
    assert.deepEqual(reads.at(-1)?.verbs?.sort(), ['get', 'list', 'watch']);
    const none = reads.filter((r) => r.level === 'None');
    assert.ok(none.some((r) => r.userGroups?.includes('system:nodes')));
    for (const r of rules) assert.ok(['None', 'Metadata'].includes(r.level), JSON.stringify(r));
  });
});
