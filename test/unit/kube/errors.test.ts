import assert from 'node:assert/strict';
import { ApiError, classifyError, isInvalid, isTooLarge, TerminalError } from '../../../src/kube/errors.js';

const api = (status: number, message: string, method = 'POST', reason = ''): ApiError =>
  new ApiError(`${method} /apis/tripline.dev/v1alpha1/auditalerts: ${status} ${reason} ${message}`, {
    status,
    reason,
    method,
  });

describe('API error helpers', () => {
  const sizes = [
    { name: '413', err: api(413, 'Request Entity Too Large'), tooLarge: true },
    {
      name: 'etcd request is too large (500)',
      err: api(500, 'etcdserver: request is too large'),
      tooLarge: true,
    },
    {
      name: 'request entity too large (422)',
      err: api(422, 'Request entity too large: limit is 3145728', 'POST', 'RequestEntityTooLarge'),
      tooLarge: true,
    },
    {
      name: 'schema Too long is a validation message, not a size',
      err: api(
        422,
        'AuditAlert.tripline.dev "a" is invalid: spec.summary: Too long: may not be more than 5 bytes',
        'POST',
        'Invalid',
      ),
      tooLarge: false,
    },
    {
      name: 'schema maxItems is a validation message, not a size',
      err: api(422, 'spec.notes: Too many: 70: must have at most 64 items', 'POST', 'Invalid'),
      tooLarge: false,
    },
    {
      name: 'a 500 that is not about size',
      err: api(500, 'internal error: exceeds nothing'),
      tooLarge: false,
    },
  ];
  for (const c of sizes) {
    it(`isTooLarge: ${c.name}`, () => {
      assert.equal(isTooLarge(c.err), c.tooLarge);
      // Every 422 that is not a size rejection is an invalid object.
      if (c.err.status === 422) assert.equal(isInvalid(c.err), !c.tooLarge);
    });
  }

  const classes = [
    { name: 'TerminalError', err: new TerminalError('no'), want: 'terminal' },
    {
      name: '422 wrapped in a cause chain',
      err: new Error('creating', { cause: api(422, 'x') }),
      want: 'terminal',
    },
    { name: '400', err: api(400, 'bad'), want: 'terminal' },
    { name: '413', err: api(413, 'big'), want: 'terminal' },
    { name: '404 on GET: gone', err: api(404, 'nf', 'GET'), want: 'done' },
    { name: '404 on PATCH: gone', err: new Error('x', { cause: api(404, 'nf', 'PATCH') }), want: 'done' },
    { name: '404 on POST: collection missing, retried', err: api(404, 'nf', 'POST'), want: 'retry' },
    { name: '409', err: api(409, 'conflict', 'PUT'), want: 'retry' },
    { name: '429', err: api(429, 'slow down'), want: 'retry' },
    { name: '503', err: api(503, 'unavailable'), want: 'retry' },
    { name: '403', err: api(403, 'forbidden'), want: 'retry' },
    { name: 'network (status 0)', err: api(0, 'ECONNRESET'), want: 'retry' },
    { name: 'no API answer at all', err: new Error('bug'), want: 'retry' },
  ] as const;
  for (const c of classes)
    it(`classifyError: ${c.name} → ${c.want}`, () => assert.equal(classifyError(c.err), c.want));
});
