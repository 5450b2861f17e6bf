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

const errno = (code: string, message: string, path?: string): Error => Object.assign(new Error(message), { code, ...(path ? { path } : {}) });

test('a full disk is named in words, with what was written, never as errno, SQLite or a data-root path', () => {
  const write = messageOf(errno('ENOSPC', 'ENOSPC: no space left on device, write'), 'loading the archive');
  assert.equal(write, "no space left on device: berthd could not write berthd's data root while loading the archive; free some space (berth system prune) and try again");
  const blob = messageOf(errno('ENOSPC', "ENOSPC: no space left on device, open '/var/lib/berth/blobs/sha256/ab.tmp'", '/var/lib/berth/blobs/sha256/ab.tmp'));
  assert.match(blob, /^no space left on device: berthd could not write image content;/);
  assert.doesNotMatch(blob, /\/var\/lib\/berth|ENOSPC/);
  const sqlite = messageOf(errno('SQLITE_FULL', 'database or disk is full'));
  assert.match(sqlite, /^no space left on device: berthd could not write berthd's database;/);
  // A worker thread's error arrives with its message only.
  assert.match(messageOf(new Error('ENOSPC: no space left on device, write')), /^no space left on device: /);
  assert.match(messageOf(errno('EDQUOT', 'EDQUOT: disk quota exceeded, write')), /^disk quota exceeded: /);
  assert.equal(statusOf(errno('ENOSPC', 'ENOSPC: no space left on device, write')), 500);
});

test('other errors keep their words', () => {
  assert.equal(messageOf(new errdefs.NotFound('No such image: x')), 'No such image: x');
  assert.equal(messageOf(errno('EACCES', 'EACCES: permission denied')), 'EACCES: permission denied');
});
