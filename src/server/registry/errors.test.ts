import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument, NotFound, isNotFound } from '../../errdefs/index.js';
import { errorTable, registryError, toWireError } from './errors.js';

test('every reason has a spec code, a status and a message', () => {
  const codes = new Set(['BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'TAG_INVALID', 'UNAUTHORIZED', 'DENIED', 'UNSUPPORTED', 'TOOMANYREQUESTS', 'RANGE_INVALID', 'PAGINATION_NUMBER_INVALID', 'UNKNOWN']);
  for (const e of errorTable()) {
    assert.ok(codes.has(e.code), `${e.reason} → ${e.code}`);
    assert.ok(e.status >= 400 && e.status < 600, e.reason);
    assert.ok(e.message.length > 0);
  }
});

test('registry errors are errdefs classes and map to the spec body', () => {
  const e = registryError('MANIFEST_BLOB_UNKNOWN', { detail: { digest: 'sha256:x' } });
  assert.ok(e instanceof InvalidArgument);
  assert.deepEqual(toWireError(e), { status: 400, body: { errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: 'sha256:x' } }] } });
  assert.ok(isNotFound(registryError('NAME_UNKNOWN')));
  assert.equal(toWireError(registryError('UPLOAD_RANGE_INVALID')).status, 416);
  assert.equal(toWireError(registryError('MANIFEST_TOO_LARGE')).body.errors[0]?.code, 'SIZE_INVALID');
});

test('plain errdefs errors map by kind; unexpected errors do not leak their message', () => {
  assert.equal(toWireError(new NotFound('content digest sha256:x: not found')).body.errors[0]?.code, 'BLOB_UNKNOWN');
  const internal = toWireError(new Error('EACCES /secret/path'));
  assert.equal(internal.status, 500);
  assert.deepEqual(internal.body.errors[0], { code: 'UNKNOWN', message: 'unknown error' });
});
