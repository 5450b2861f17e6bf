import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cniStatus } from './network-status.js';

test('NetworkReady follows the CNI conf dir: missing, empty, only unusable files, then a conflist', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cni-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const missing = await cniStatus(join(dir, 'nope'));
  assert.equal(missing.ready, false);
  assert.match(missing.message, /does not exist/);
  assert.equal((await cniStatus(dir)).ready, false);
  await writeFile(join(dir, '10-broken.conflist'), '{"cniVersion": "1.0.0", ');
  await writeFile(join(dir, 'README'), 'not a conf');
  const broken = await cniStatus(dir);
  assert.equal(broken.ready, false);
  assert.match(broken.message, /no network config found in .*10-broken\.conflist/);
  await writeFile(join(dir, '20-pods.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'bridge' }] }));
  await writeFile(join(dir, '30-one.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'one', type: 'bridge' }));
  assert.deepEqual(await cniStatus(dir), { ready: true, networks: ['pods', 'one'], message: '' });
});
