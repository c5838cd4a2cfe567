import assert from 'node:assert/strict';
import { type Invocation, parseInvocation, UsageError } from '../../../../src/cli/plugin/args.js';

describe('kubectl-tripline arguments', () => {
  const ok: { argv: string[]; want: Invocation }[] = [
    { argv: ['--help'], want: { command: 'help' } },
    { argv: ['help', 'ack'], want: { command: 'help', topic: 'ack' } },
    { argv: ['resolve', '--help'], want: { command: 'help', topic: 'resolve' } },
    { argv: ['version'], want: { command: 'version' } },
    { argv: ['list'], want: { command: 'list', filters: {}, output: 'table' } },
    {
      argv: [
        'list',
        '--state',
        'open',
        '--severity',
        'HIGH',
        '--detection',
        'ingress-created',
        '-n',
        'shop',
        '-o',
        'json',
      ],
      want: {
        command: 'list',
        filters: { state: 'Open', severity: 'High', detection: 'ingress-created', namespace: 'shop' },
        output: 'json',
      },
    },
    {
      argv: ['list', '--namespace=shop'],
      want: { command: 'list', filters: { namespace: 'shop' }, output: 'table' },
    },
    { argv: ['show', 'a-1'], want: { command: 'show', name: 'a-1' } },
    { argv: ['show', 'auditalert.tripline.dev/a-1'], want: { command: 'show', name: 'a-1' } },
    { argv: ['show', 'aal/a-1'], want: { command: 'show', name: 'a-1' } },
    { argv: ['who-can', 'a-1'], want: { command: 'who-can', name: 'a-1', output: 'table' } },
    { argv: ['who-can', 'aal/a-1', '-o', 'JSON'], want: { command: 'who-can', name: 'a-1', output: 'json' } },
    {
      argv: ['who-can', '--output=table', 'a-1', '--kubeconfig', '/tmp/kc'],
      want: { command: 'who-can', name: 'a-1', output: 'table', kubeconfig: '/tmp/kc' },
    },
    { argv: ['who-can', '-h'], want: { command: 'help', topic: 'who-can' } },
    { argv: ['help', 'who-can'], want: { command: 'help', topic: 'who-can' } },
    { argv: ['ack', 'a-1'], want: { command: 'ack', name: 'a-1' } },
    { argv: ['ack', 'a-1', '--note', 'on it'], want: { command: 'ack', name: 'a-1', note: 'on it' } },
    { argv: ['ack', '--note', '', 'a-1'], want: { command: 'ack', name: 'a-1', note: '' } },
    {
      argv: ['resolve', 'a-1', '--reason', 'falsepositive', '--note', 'test'],
      want: { command: 'resolve', name: 'a-1', reason: 'FalsePositive', note: 'test' },
    },
    { argv: ['reopen', 'a-1'], want: { command: 'reopen', name: 'a-1' } },
    {
      argv: ['assign', 'a-1', 'team-security'],
      want: { command: 'assign', name: 'a-1', user: 'team-security' },
    },
    {
      argv: ['remediate', 'a-1', '--action', 'ScaleToZero'],
      want: { command: 'remediate', name: 'a-1', action: 'ScaleToZero' },
    },
    {
      argv: ['ack', 'a-1', '--kubeconfig', '/tmp/kc'],
      want: { command: 'ack', name: 'a-1', kubeconfig: '/tmp/kc' },
    },
    {
      argv: ['list', '--kubeconfig=/tmp/kc'],
      want: { command: 'list', filters: {}, output: 'table', kubeconfig: '/tmp/kc' },
    },
  ];
  for (const c of ok) {
    it(`parses ${c.argv.join(' ')}`, () => {
      assert.deepEqual(parseInvocation(c.argv), c.want);
    });
  }

  const bad: { argv: string[]; msg: RegExp }[] = [
    { argv: [], msg: /no command given; commands: list, show, who-can, ack/ },
    { argv: ['close', 'a-1'], msg: /unknown command "close"/ },
    { argv: ['help', 'close'], msg: /unknown command "close"/ },
    { argv: ['show'], msg: /"show" takes NAME: kubectl tripline show NAME/ },
    { argv: ['show', 'a', 'b'], msg: /"show" takes NAME/ },
    { argv: ['list', 'x'], msg: /"list" takes no arguments/ },
    { argv: ['assign', 'a-1'], msg: /"assign" takes NAME and USER/ },
    { argv: ['ack', 'a-1', '--force'], msg: /unknown flag "--force" for "ack"/ },
    { argv: ['reopen', 'a-1', '--note', 'x'], msg: /unknown flag "--note" for "reopen"/ },
    { argv: ['ack', 'a-1', '--note'], msg: /--note/ },
    { argv: ['resolve', 'a-1'], msg: /--reason is required/ },
    {
      argv: ['resolve', 'a-1', '--reason', 'Fixed'],
      msg: /--reason must be one of Remediated, FalsePositive/,
    },
    { argv: ['remediate', 'a-1'], msg: /--action is required/ },
    { argv: ['remediate', 'a-1', '--action', 'Nuke'], msg: /--action must be one of DeleteSubject/ },
    { argv: ['list', '--state', 'Closed'], msg: /--state must be one of Open, Acknowledged, Resolved/ },
    { argv: ['list', '--severity', 'Urgent'], msg: /--severity must be one of Critical/ },
    { argv: ['list', '-o', 'yaml'], msg: /--output must be one of table, json/ },
    { argv: ['who-can'], msg: /"who-can" takes NAME: kubectl tripline who-can NAME \[-o table\|json\]/ },
    { argv: ['who-can', 'a-1', 'b-2'], msg: /"who-can" takes NAME/ },
    { argv: ['who-can', 'a-1', '-o', 'yaml'], msg: /--output must be one of table, json; got "yaml"/ },
    { argv: ['who-can', 'a-1', '--verb', 'get'], msg: /unknown flag "--verb" for "who-can"/ },
    { argv: ['who-can', 'a/b'], msg: /not a valid alert name/ },
    { argv: ['show', '..'], msg: /not a valid alert name/ },
    { argv: ['show', 'Upper'], msg: /not a valid alert name/ },
    { argv: ['show', 'a/b'], msg: /not a valid alert name/ },
    { argv: ['show', 'x'.repeat(254)], msg: /not a valid alert name/ },
  ];
  for (const c of bad) {
    it(`refuses ${JSON.stringify(c.argv.join(' ').slice(0, 40))}`, () => {
      assert.throws(
        () => parseInvocation(c.argv),
        (e: unknown) => e instanceof UsageError && c.msg.test(e.message),
      );
    });
  }
});
