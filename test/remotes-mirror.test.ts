import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { freePort, startRegistry } from './remotes-helpers.js';

test('registry-mirrors: a dead mirror is skipped, the next (a pull-through cache) serves, also once the origin is gone', async (t) => {
  const origin = await startRegistry();
  t.after(() => origin.stop());
  const cache = await startRegistry({ proxy: origin.url });
  t.after(() => cache.stop());
  const dead = `http://127.0.0.1:${await freePort()}`;
  const dir = await mkdtemp(join(tmpdir(), 'berth-remotes-mirror-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'daemon.json');
  await writeFile(cfg, JSON.stringify({ 'registry-mirrors': { [origin.host]: [dead, cache.url] } }));
  const old = process.env['BERTH_CONFIG_FILE'];
  process.env['BERTH_CONFIG_FILE'] = cfg;
  let d: TestDaemon;
  try {
    d = await TestDaemon.start();
  } finally {
    if (old === undefined) delete process.env['BERTH_CONFIG_FILE'];
    else process.env['BERTH_CONFIG_FILE'] = old;
  }
  t.after(() => d.cleanup());
  await d.makeBusyboxImage('busybox:latest');
  const name = `${origin.host}/m`;
  assert.equal((await d.berth(['tag', 'busybox', `${name}:1`])).code, 0);
  const pushed = await d.berth(['push', `${name}:1`]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed.stdout)?.[1] ?? '';
  assert.ok(digest);
  assert.equal((await d.berth(['rmi', 'busybox', `${name}:1`])).code, 0);

  // Through the (dead, then caching) mirrors: the cache fetches from the origin and keeps the blobs.
  const first = await d.berth(['pull', `${name}:1`]);
  assert.equal(first.code, 0, first.stderr);
  const cached = await fetch(`${cache.url}/v2/m/manifests/${digest}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(cached.status, 200, 'the pull went through the caching mirror');

  // With the origin gone, the mirror alone serves the image.
  await origin.stop();
  assert.equal((await d.berth(['rmi', `${name}:1`])).code, 0);
  const second = await d.berth(['pull', `${name}@${digest}`]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`Digest: ${digest}`));
});
