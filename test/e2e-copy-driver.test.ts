import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/** The copy driver serves where overlay cannot mount; the same container behaviour must hold. */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon), { driver: 'copy' });

test('info shows the copy driver, and containers run on it with their own writable layer', async () => {
  const info = await d.docker(['info', '--format', '{{.Driver}}']);
  assert.equal(info.stdout.trim(), 'vfs', info.stderr);
  const id = (await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'echo mine > /only-here; sleep 30'])).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  const other = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'cat /only-here || echo absent']);
  assert.equal(other.stdout, 'absent\n', other.stderr);
  const merged: string = JSON.parse((await d.berth(['inspect', id])).stdout)[0].GraphDriver.Data.MergedDir;
  await d.berth(['restart', '-t', '0', id]);
  const kept = await d.berth(['logs', id]);
  assert.equal(kept.code, 0);
  await d.berth(['rm', '-f', id]);
  assert.equal(existsSync(merged), false);
  const img = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'ls /bin/busybox && test ! -e /only-here']);
  assert.equal(img.code, 0, img.stderr);
});
