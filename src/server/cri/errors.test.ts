import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { Conflict, InvalidArgument, NotFound, NotImplemented } from '../../errdefs/index.js';
import { grpcError } from './errors.js';

test('berth errors become the gRPC statuses kubelet expects, with their own message', () => {
  assert.deepEqual(pick(grpcError(new NotFound('No such image: x:1'))), { code: status.NOT_FOUND, details: 'No such image: x:1' });
  assert.equal(grpcError(new Conflict('name in use')).code, status.ALREADY_EXISTS);
  assert.equal(grpcError(new InvalidArgument('bad')).code, status.INVALID_ARGUMENT);
  assert.equal(grpcError(new NotImplemented('later')).code, status.UNIMPLEMENTED);
  // Only what is not one of berth's errors is Unknown: a real failure.
  assert.equal(grpcError(new Error('disk on fire')).code, status.UNKNOWN);
  assert.equal(grpcError(new DOMException('aborted', 'AbortError')).code, status.CANCELLED);
});

function pick(e: { code?: status | undefined; details?: string | undefined }): { code?: status | undefined; details?: string | undefined } {
  return { code: e.code, details: e.details };
}
