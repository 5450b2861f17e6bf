import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listedReferences, referenceMatches } from './image-filters.js';

const D = 'sha256:41b28138db004aa8c7e8eced9dc81fa9058bb846962f10b0029bec6be259a1bd';

test('a reference pattern matches the familiar reference or its name, tags and digests alike', () => {
  assert.equal(referenceMatches('127.0.0.1:5000/dig/bb', '127.0.0.1:5000/dig/bb:1'), true);
  assert.equal(referenceMatches('127.0.0.1:5000/dig/bb', `127.0.0.1:5000/dig/bb@${D}`), true);
  assert.equal(referenceMatches('127.0.0.1:5000/dig/bb:1', `127.0.0.1:5000/dig/bb@${D}`), false);
  assert.equal(referenceMatches('busybox', 'busybox:latest'), true);
  assert.equal(referenceMatches('busy*', 'busybox:latest'), true);
  assert.equal(referenceMatches('*', 'library/busybox:latest'), false, '* stops at /');
  assert.equal(referenceMatches('busybo?', 'busybox:1'), true);
  assert.equal(referenceMatches('127.0.0.1:5000', '127.0.0.1:5000/dig/bb:1'), false);
});

test('a listing keeps only the matching tags and digests, and drops an image none matches', () => {
  const tags = ['busybox:latest', 'reg:5000/a:1'];
  const digests = [`reg:5000/a@${D}`, `reg:5000/b@${D}`];
  assert.deepEqual(listedReferences(tags, digests, []), { tags, digests });
  assert.deepEqual(listedReferences(tags, digests, ['reg:5000/a']), { tags: ['reg:5000/a:1'], digests: [`reg:5000/a@${D}`] });
  assert.deepEqual(listedReferences([], digests, ['reg:5000/b']), { tags: [], digests: [`reg:5000/b@${D}`] }, 'digest only');
  assert.equal(listedReferences(tags, digests, ['other']), null);
});
