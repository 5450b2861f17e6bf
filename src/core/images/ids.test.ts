import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chainIds, imageId } from './ids.js';
import type { Digest } from '../../util/index.js';

const d = (s: string): Digest => `sha256:${createHash('sha256').update(s).digest('hex')}`;

test('chain IDs follow the OCI definition', () => {
  const a = d('a');
  const b = d('b');
  const c = d('c');
  const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}` as Digest;
  const abc = `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}` as Digest;
  assert.deepEqual(chainIds([]), []);
  assert.deepEqual(chainIds([a]), [a]);
  assert.deepEqual(chainIds([a, b, c]), [a, ab, abc]);
});

test('image ID is the digest of the exact config bytes', () => {
  const bytes = Buffer.from('{"architecture":"amd64"}');
  assert.equal(imageId(bytes), d('{"architecture":"amd64"}'));
  assert.notEqual(imageId(Buffer.from('{"architecture": "amd64"}')), imageId(bytes));
});
