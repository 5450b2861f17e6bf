import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkName, checkTag, parseManifestRef } from './names.js';
import { parseByteRange } from './blobs.js';
import { toWireError } from './errors.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return toWireError(e).body.errors[0]?.code ?? '';
  }
  return 'ok';
};

test('repository names follow the distribution grammar', () => {
  for (const ok of ['a', 'library/busybox', 'a-b/c_d/e.f', 'a__b', 'a--b', 'x'.repeat(255)]) assert.equal(code(() => checkName(ok)), 'ok', ok);
  for (const bad of ['', 'A', 'a/', '/a', 'a//b', '..', 'a/../b', 'a/%2e%2e/b', 'a%2fb', '-a', 'a_', 'a___b', 'x'.repeat(256)]) {
    assert.equal(code(() => checkName(bad)), 'NAME_INVALID', bad);
  }
});

test('tags and manifest references', () => {
  assert.equal(code(() => checkTag('v1.0_rc-2')), 'ok');
  assert.equal(code(() => checkTag('-x')), 'TAG_INVALID');
  assert.equal(code(() => checkTag('a'.repeat(129))), 'TAG_INVALID');
  assert.deepEqual(parseManifestRef('latest'), { tag: 'latest' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseManifestRef(d), { digest: d });
  assert.equal(code(() => parseManifestRef('sha256:short')), 'DIGEST_INVALID');
});

test('byte ranges', () => {
  assert.deepEqual(parseByteRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseByteRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange('bytes=95-200', 100), { start: 95, end: 99 });
  assert.equal(parseByteRange('bytes=100-', 100), 'invalid');
  assert.equal(parseByteRange('bytes=5-2', 100), 'invalid');
  assert.equal(parseByteRange('items=0-1', 100), 'invalid');
});
