import assert from 'node:assert/strict';
import { describeError, serverMessage } from '../../../../src/cli/plugin/errors.js';
import { ApiError } from '../../../../src/kube/errors.js';

describe('kubectl-tripline errors', () => {
  const cel =
    'AuditAlert.tripline.dev "a" is invalid: status.note: Invalid value: a note is required when reason is Other';
  const cases: { name: string; err: unknown; want: string }[] = [
    {
      name: 'a refused patch: the server message, verbatim',
      err: new ApiError(`PATCH /apis/tripline.dev/v1alpha1/auditalerts/a/status: 422 Invalid ${cel}`, {
        status: 422,
        reason: 'Invalid',
      }),
      want: `Error from server (Invalid): ${cel}`,
    },
    {
      name: 'an answer without a reason',
      err: new ApiError('GET /x: 502  bad gateway', { status: 502 }),
      want: 'Error from server (502): bad gateway',
    },
    {
      name: 'no answer at all',
      err: new ApiError('GET /x failed', {
        status: 0,
        cause: new Error('connect ECONNREFUSED 127.0.0.1:6443'),
      }),
      want: 'error: cannot reach the API server: GET /x failed: connect ECONNREFUSED 127.0.0.1:6443',
    },
    {
      name: 'an unreadable kubeconfig',
      err: new Error('reading kubeconfig /k', { cause: new Error('ENOENT') }),
      want: 'error: reading kubeconfig /k: ENOENT',
    },
  ];
  for (const c of cases) {
    it(`describes ${c.name}`, () => {
      assert.equal(describeError(c.err), c.want);
    });
  }

  it('falls back to the whole message when it is not shaped by the client', () => {
    assert.equal(serverMessage(new ApiError('odd', { status: 500, reason: 'InternalError' })), 'odd');
  });
});
