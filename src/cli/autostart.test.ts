import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonEnv } from './autostart.js';

test('an autostarted berthd gets back the NODE_EXTRA_CA_CERTS that bin/berth set aside', () => {
  const env = daemonEnv({ PATH: '/bin', BERTH_NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
  assert.deepEqual(env, { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
  // One the user set for the command itself wins; nothing set aside leaves the environment as it is.
  assert.equal(daemonEnv({ BERTH_NODE_EXTRA_CA_CERTS: '/a', NODE_EXTRA_CA_CERTS: '/b' })['NODE_EXTRA_CA_CERTS'], '/b');
  const plain = { PATH: '/bin' };
  assert.equal(daemonEnv(plain), plain);
});
