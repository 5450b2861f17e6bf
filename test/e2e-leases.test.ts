import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { startRegistry } from './remotes-helpers.js';

/*
 * Leases: content an operation is still assembling cannot be collected by an rmi racing it, and what
 * a rejected operation stored is removed again. The store is checked directly: every image's blobs
 * and layers present while it exists, and nothing left once every image is gone.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const blobCount = (): number => (existsSync(join(d.dataRoot, 'blobs/sha256')) ? readdirSync(join(d.dataRoot, 'blobs/sha256')).length : 0);
const layerCount = (): number => (existsSync(join(d.dataRoot, 'layers')) ? readdirSync(join(d.dataRoot, 'layers')).filter((n) => /^[a-f0-9]{64}$/.test(n)).length : 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function ok(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Every listed image is whole: its layers unpack into a container, and save reads every blob. */
async function assertImagesWhole(): Promise<void> {
  for (const id of (await ok(['images', '-q', '--no-trunc'])).split('\n').filter(Boolean)) {
    const save = await d.docker(['save', '-o', join(d.dir, 'check.tar'), id]);
    assert.equal(save.code, 0, `image ${id} lost content: ${save.stderr}`);
    const run = await d.docker(['run', '--rm', '--network', 'none', id, 'true']);
    assert.equal(run.code, 0, `image ${id} does not run: ${run.stderr}`);
  }
}

test('a rejected load leaves the blob and layer counts where they were', async () => {
  const ctx = join(d.dir, 'ctx-load');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo extra > /extra\n');
  await ok(['build', '-q', '-t', 'loadme', ctx]);
  await ok(['save', '-o', join(d.dir, 'good.tar'), 'loadme']);
  await ok(['rmi', 'loadme']);
  // The same archive with its config's last diff ID changed: the layer blob is stored, then refused.
  const x = join(d.dir, 'bad');
  mkdirSync(x);
  execFileSync('tar', ['-xf', join(d.dir, 'good.tar'), '-C', x]);
  const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8')) as { Config: string }[];
  const entry = manifest[0];
  assert.ok(entry);
  const cfg = JSON.parse(readFileSync(join(x, entry.Config), 'utf8')) as { rootfs: { diff_ids: string[] } };
  cfg.rootfs.diff_ids[cfg.rootfs.diff_ids.length - 1] = `sha256:${'0'.repeat(64)}`;
  const text = JSON.stringify(cfg);
  const hex = createHash('sha256').update(text).digest('hex');
  const cfgName = entry.Config.startsWith('blobs/') ? `blobs/sha256/${hex}` : `${hex}.json`;
  writeFileSync(join(x, cfgName), text);
  entry.Config = cfgName;
  writeFileSync(join(x, 'manifest.json'), JSON.stringify(manifest));
  execFileSync('tar', ['-cf', join(d.dir, 'bad.tar'), '-C', x, '.']);
  const blobs = blobCount();
  const layers = layerCount();
  const r = await d.docker(['load', '-i', join(d.dir, 'bad.tar')]);
  assert.notEqual(r.code, 0, 'the altered archive is refused');
  assert.match(r.stderr + r.stdout, /diff ID/i);
  assert.equal(blobCount(), blobs, 'the refused load left no blob behind');
  assert.equal(layerCount(), layers, 'the refused load left no layer behind');
});

test('rmi -f racing a pull and a build of images on the same layers never leaves a broken image, nor orphans', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const ctx = join(d.dir, 'ctx-race');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo top > /top\n');
  const a = `${reg.host}/race/a:1`;
  const b = `${reg.host}/race/b:1`;
  await ok(['build', '-q', '-t', b, ctx]);
  await ok(['tag', 'busybox', a]);
  await ok(['push', a]);
  await ok(['push', b]);
  await ok(['rmi', b]);
  // By ID: rmi -f of one of several names would only untag it.
  const aId = (await ok(['image', 'inspect', '--format', '{{.Id}}', a])).trim();
  const outcomes = { pulled: 0, pullFailed: 0, built: 0, buildFailed: 0 };
  for (let i = 0; i < 8; i++) {
    await ok(['pull', a]);
    // B's base layer is A's: the pull fetches only the top one, and counts on A's being there.
    const pull = d.docker(['pull', b]);
    await sleep(Math.floor(Math.random() * 60));
    await d.docker(['rmi', '-f', aId]);
    const p = await pull;
    if (p.code === 0) {
      outcomes.pulled++;
      assert.equal(await ok(['run', '--rm', '--network', 'none', b, 'cat', '/top']), 'top\n');
    } else {
      outcomes.pullFailed++;
    }
    await assertImagesWhole();
    await d.docker(['rmi', '-f', b]);

    await ok(['pull', a]);
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${a}\nRUN echo step${i} > /step\n`);
    const build = d.docker(['build', '--no-cache', '-t', 'raced', ctx]);
    await sleep(Math.floor(Math.random() * 200));
    await d.docker(['rmi', '-f', aId]);
    const bres = await build;
    if (bres.code === 0) {
      outcomes.built++;
      assert.equal(await ok(['run', '--rm', '--network', 'none', 'raced', 'cat', '/step']), `step${i}\n`);
    } else {
      outcomes.buildFailed++;
      assert.doesNotMatch(bres.stderr, /at .*\.js:\d+/, 'a failed build says why in words, with no stack');
    }
    await assertImagesWhole();
    await d.docker(['rmi', '-f', 'raced']).catch(() => undefined);
  }
  t.diagnostic(`outcomes: ${JSON.stringify(outcomes)}`);
  // Once every image is gone, so is every blob and layer: nothing was orphaned along the way.
  for (const id of (await ok(['images', '-aq', '--no-trunc'])).split('\n').filter(Boolean)) await d.docker(['rmi', '-f', id]);
  await d.docker(['builder', 'prune', '-af']);
  assert.equal(blobCount(), 0, `orphan blobs: ${existsSync(join(d.dataRoot, 'blobs/sha256')) ? readdirSync(join(d.dataRoot, 'blobs/sha256')).join(' ') : ''}`);
  assert.equal(layerCount(), 0, 'orphan layers');
  await d.makeBusyboxImage();
});
