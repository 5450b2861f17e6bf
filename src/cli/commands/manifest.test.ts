import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRef } from './manifest.js';

test('references as the docker CLI reads them for a registry lookup', () => {
  assert.deepEqual(parseRef('busybox'), { domain: 'docker.io', path: 'library/busybox', ref: 'latest', shown: 'busybox:latest' });
  assert.deepEqual(parseRef('127.0.0.1:5000/a/b:1'), { domain: '127.0.0.1:5000', path: 'a/b', ref: '1', shown: '127.0.0.1:5000/a/b:1' });
  assert.equal(parseRef('localhost/x').domain, 'localhost');
  assert.equal(parseRef('user/img:v2').path, 'user/img');
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(parseRef(`r.example/x@${d}`).ref, d);
  assert.throws(() => parseRef('r.example/UPPER'), /must be lowercase/);
  assert.throws(() => parseRef('r.example/x@sha256:zz'), /invalid reference format/);
});
