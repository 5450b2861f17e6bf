import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageUser } from './image-convert.js';
import { credentialsOf } from './image-service.js';

test("an image's user: numeric uid (kubelet's runAsNonRoot check), a name otherwise, nothing when unset", () => {
  assert.deepEqual(imageUser('1000:1000'), { uid: { value: '1000' }, username: '' });
  assert.deepEqual(imageUser('0'), { uid: { value: '0' }, username: '' });
  assert.deepEqual(imageUser('nobody'), { uid: null, username: 'nobody' });
  assert.deepEqual(imageUser(''), { uid: null, username: '' });
  assert.deepEqual(imageUser(undefined), { uid: null, username: '' });
});

test('AuthConfig: username/password, auth (base64 user:password), tokens; a malformed auth refused', () => {
  assert.deepEqual(credentialsOf({ username: 'a', password: 'b', auth: '', identity_token: '', registry_token: '' }), { username: 'a', password: 'b' });
  assert.deepEqual(credentialsOf({ auth: Buffer.from('alice:pw:with:colons').toString('base64') }), { username: 'alice', password: 'pw:with:colons' });
  assert.deepEqual(credentialsOf({ identity_token: 'idt', registry_token: 'rt' }), { identityToken: 'idt', registryToken: 'rt' });
  assert.equal(credentialsOf(null), undefined);
  assert.equal(credentialsOf({ username: '', password: '' }), undefined);
  assert.throws(() => credentialsOf({ auth: Buffer.from('nocolon').toString('base64') }), /AuthConfig\.auth is not base64 of username:password/);
});
