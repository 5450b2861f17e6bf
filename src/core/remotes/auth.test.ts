import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRegistryAuth, parseChallenges } from './auth.js';

test('parses bearer challenges with quoted, comma-holding scopes', () => {
  const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"');
  assert.deepEqual(c, { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' } });
});

test('parses basic challenges and ignores unknown schemes', () => {
  assert.deepEqual(parseChallenges('Basic realm="test"'), [{ scheme: 'basic', params: { realm: 'test' } }]);
  assert.deepEqual(parseChallenges('Negotiate abc'), []);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('decodes X-Registry-Auth (base64url JSON) and ignores empty or junk headers', () => {
  const h = Buffer.from(JSON.stringify({ username: 'u', password: 'p?>', serveraddress: '127.0.0.1:5000' })).toString('base64url');
  assert.deepEqual(decodeRegistryAuth(h), { username: 'u', password: 'p?>', serverAddress: '127.0.0.1:5000' });
  assert.equal(decodeRegistryAuth(Buffer.from('{}').toString('base64')), undefined);
  assert.equal(decodeRegistryAuth('!!!'), undefined);
  assert.equal(decodeRegistryAuth(undefined), undefined);
});
