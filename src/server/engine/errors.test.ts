import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as errdefs from '../../errdefs/index.js';
import { statusOf, messageOf } from './errors.js';

test('every error class has a Docker status', () => {
  assert.equal(statusOf(new errdefs.NotFound('No such container: x')), 404);
  assert.equal(statusOf(new errdefs.Conflict('in use')), 409);
  assert.equal(statusOf(new errdefs.InvalidArgument('bad')), 400);
  assert.equal(statusOf(new errdefs.NotModified('already')), 304);
  assert.equal(statusOf(new errdefs.CommandNotFound('executable file not found')), 400);
  assert.equal(statusOf(new errdefs.Forbidden('no')), 403);
  assert.equal(statusOf(new errdefs.NotImplemented('no')), 501);
  assert.equal(statusOf(new Error('boom')), 500);
  assert.equal(statusOf(new SyntaxError('Unexpected token')), 400);
  assert.match(messageOf(new SyntaxError('Unexpected token')), /invalid JSON/);
});
