import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PatchInvocation } from '../../../../src/cli/plugin/args.js';
import {
  alertPath,
  kubectlEquivalent,
  patchedMessage,
  statusPatch,
} from '../../../../src/cli/plugin/patches.js';
import { ROOT } from '../../support/fixtures.js';

describe('kubectl-tripline patches', () => {
  const cases: { inv: PatchInvocation; body: object; said: string }[] = [
    { inv: { command: 'ack', name: 'a' }, body: { status: { state: 'Acknowledged' } }, said: 'acknowledged' },
    {
      inv: { command: 'ack', name: 'a', note: 'on it' },
      body: { status: { state: 'Acknowledged', note: 'on it' } },
      said: 'acknowledged',
    },
    {
      inv: { command: 'resolve', name: 'a', reason: 'Duplicate' },
      body: { status: { state: 'Resolved', reason: 'Duplicate' } },
      said: 'resolved (Duplicate)',
    },
    {
      inv: { command: 'resolve', name: 'a', reason: 'Other', note: 'see ticket 12' },
      body: { status: { state: 'Resolved', reason: 'Other', note: 'see ticket 12' } },
      said: 'resolved (Other)',
    },
    {
      inv: { command: 'reopen', name: 'a' },
      body: { status: { state: 'Open', reason: null } },
      said: 'reopened',
    },
    {
      inv: { command: 'assign', name: 'a', user: 'alice' },
      body: { status: { assignee: 'alice' } },
      said: 'assigned to alice',
    },
    {
      inv: { command: 'remediate', name: 'a', action: 'DeleteSubject' },
      body: { status: { remediation: { action: 'DeleteSubject', result: null, message: null } } },
      said: 'remediation DeleteSubject requested',
    },
  ];
  for (const c of cases) {
    it(`${c.inv.command} ${JSON.stringify(c.inv)} sends ${JSON.stringify(c.body)}`, () => {
      assert.deepEqual(statusPatch(c.inv), c.body);
      assert.ok(patchedMessage(c.inv).startsWith(`auditalert.tripline.dev/a`));
      assert.ok(patchedMessage(c.inv).includes(c.said), patchedMessage(c.inv));
    });
  }

  it('never touches fields a command does not name (a merge patch keeps the rest)', () => {
    assert.deepEqual(Object.keys(statusPatch({ command: 'resolve', name: 'a', reason: 'Expected' }).status), [
      'state',
      'reason',
    ]);
  });

  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const documented: PatchInvocation[] = [
    { command: 'ack', name: 'NAME', note: 'looking into it' },
    { command: 'assign', name: 'NAME', user: 'alice' },
    { command: 'resolve', name: 'NAME', reason: 'FalsePositive', note: 'load test of the shop team' },
    { command: 'reopen', name: 'NAME' },
  ];
  for (const inv of documented) {
    it(`sends the body of the README's raw command for ${inv.command}`, () => {
      assert.ok(readme.includes(`${kubectlEquivalent(inv)}\n`), kubectlEquivalent(inv));
    });
  }

  it('quotes single quotes for the shell in the raw equivalent', () => {
    assert.equal(
      kubectlEquivalent({ command: 'ack', name: 'a', note: "it's fine" }),
      `kubectl patch auditalert a --subresource=status --type=merge -p '{"status":{"state":"Acknowledged","note":"it'\\''s fine"}}'`,
    );
  });

  it('builds the status subresource path', () => {
    assert.equal(alertPath('a-1', 'status'), '/apis/tripline.dev/v1alpha1/auditalerts/a-1/status');
    assert.equal(alertPath('a-1'), '/apis/tripline.dev/v1alpha1/auditalerts/a-1');
  });
});
