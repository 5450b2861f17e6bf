import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { hostDevices } from './host-resolve.js';

test('hostDevices: the host\'s device nodes by path and number, no console, nothing of pts, shm or fd', async () => {
  const devs = await hostDevices();
  const nul = devs.find((d) => d.path === '/dev/null');
  assert.deepEqual(nul && { type: nul.type, major: nul.major, minor: nul.minor, permissions: nul.permissions }, { type: 'c', major: 1, minor: 3, permissions: 'rwm' });
  assert.equal(nul?.fileMode, statSync('/dev/null').mode & 0o777);
  assert.ok(!devs.some((d) => d.path === '/dev/console' || /^\/dev\/(pts|shm|fd|mqueue)\//.test(d.path)), JSON.stringify(devs.map((d) => d.path)));
  assert.ok(devs.every((d) => d.type === 'c' || d.type === 'b'));
  assert.deepEqual(await hostDevices('/nonexistent-dev'), []);
});
