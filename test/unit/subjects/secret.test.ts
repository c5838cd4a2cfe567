import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/kube-object.js';
import { analyseSubject } from '../../../src/subjects/index.js';
import { lastWrite, writesTo } from '../../../src/subjects/writes.js';

const VALUE = 'c3VwZXItc2VjcmV0LWtleQ==';

/** A Secret as a metadata-only read delivers it. */
const metadataOnly: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: 'shop-tls',
    namespace: 'web',
    uid: 's-1',
    managedFields: [
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        time: '2026-11-23T10:00:00Z',
        fieldsV1: { 'f:data': { '.': {}, 'f:tls.crt': {}, 'f:tls.key': {} }, 'f:type': {} },
      },
      {
        manager: 'kubectl-label',
        operation: 'Update',
        time: '2026-11-23T10:05:00Z',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:x': {} } } },
      },
      {
        manager: 'renewer',
        operation: 'Apply',
        time: '2026-11-23T11:00:00Z',
        fieldsV1: { 'f:data': { 'f:tls.crt': {} } },
      },
    ],
  },
};

describe('Secret analysis', () => {
  it('lists key names and data writers from managedFields', () => {
    const a = analyseSubject(metadataOnly);
    assert.deepEqual(a.evidence.dataKeys, ['tls.crt', 'tls.key']);
    assert.deepEqual(a.evidence.dataWrites, [
      { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-11-23T10:00:00Z' },
      { manager: 'renewer', operation: 'Apply', time: '2026-11-23T11:00:00Z' },
    ]);
    assert.equal(
      a.summary,
      'Secret web/shop-tls (keys tls.crt, tls.key; data last written by renewer (Apply) at 2026-11-23T11:00:00Z)',
    );
  });

  it('reads only key names and type from a whole Secret, never a value', () => {
    const whole = {
      ...metadataOnly,
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': VALUE, 'tls.key': VALUE },
    };
    const a = analyseSubject(whole);
    assert.equal(a.evidence.type, 'kubernetes.io/tls');
    assert.deepEqual(a.evidence.dataKeys, ['tls.crt', 'tls.key']);
    assert.ok(!JSON.stringify(a).includes(VALUE), 'a value reached the analysis');
  });

  it('says nothing it does not know', () => {
    const a = analyseSubject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'n' } });
    assert.equal(a.summary, 'Secret n/x');
    assert.equal(a.evidence.dataKeys, undefined);
  });
});

describe('managedFields writes', () => {
  it('writesTo: the main-resource entries owning the fields, sorted, names only', () => {
    const withStatus = {
      metadata: {
        managedFields: [
          ...(metadataOnly.metadata.managedFields ?? []),
          { manager: 'ctl', operation: 'Update', subresource: 'status', fieldsV1: { 'f:data': {} } },
          'garbage',
          { operation: 'Update' },
        ],
      },
    };
    assert.deepEqual(
      writesTo(withStatus, ['data']).map((w) => [w.manager, w.fields]),
      [
        ['kubectl-client-side-apply', ['data.tls.crt', 'data.tls.key']],
        ['renewer', ['data.tls.crt']],
      ],
    );
    assert.deepEqual(
      writesTo({ metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:data': {} } }] } }, ['data']),
      [{ manager: 'm', fields: ['data'] }],
    );
  });

  it('lastWrite: the newest main-resource write; status writes and undated entries never count', () => {
    assert.deepEqual(lastWrite(metadataOnly), {
      manager: 'renewer',
      operation: 'Apply',
      time: '2026-11-23T11:00:00Z',
    });
    const obj = {
      metadata: {
        managedFields: [
          { manager: 'a', operation: 'Update', time: '2026-11-23T10:00:00Z' },
          { manager: 'ctl', operation: 'Update', time: '2026-11-23T12:00:00Z', subresource: 'status' },
          { manager: 'b', operation: 'Update' },
        ],
      },
    };
    assert.equal(lastWrite(obj)?.manager, 'a');
    assert.equal(lastWrite({ metadata: {} }), undefined);
  });
});
