import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyUp } from './copy-up.js';

async function withDirs(fn: (rootfs: string, vol: string, base: string) => Promise<void>): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'berth-copyup-'));
  try {
    const rootfs = join(base, 'rootfs');
    const vol = join(base, 'vol');
    await mkdir(rootfs);
    await mkdir(vol);
    await fn(rootfs, vol, base);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

test('copyUp copies the image directory with owners, modes and links, only into an empty volume', async () => {
  await withDirs(async (rootfs, vol) => {
    await mkdir(join(rootfs, 'srv/data/sub'), { recursive: true, mode: 0o750 });
    await writeFile(join(rootfs, 'srv/data/sub/f'), 'content', { mode: 0o640 });
    await symlink('sub/f', join(rootfs, 'srv/data/link'));
    if (process.getuid?.() === 0) await chown(join(rootfs, 'srv/data'), 1234, 4321);
    assert.equal(await copyUp(rootfs, '/srv/data', vol), true);
    assert.equal(await readFile(join(vol, 'sub/f'), 'utf8'), 'content');
    assert.equal((await stat(join(vol, 'sub/f'))).mode & 0o777, 0o640);
    assert.equal(await readlink(join(vol, 'link')), 'sub/f');
    if (process.getuid?.() === 0) assert.equal((await stat(vol)).uid, 1234, 'the volume root takes the owner of the image directory');
    await writeFile(join(rootfs, 'srv/data/later'), 'x');
    assert.equal(await copyUp(rootfs, '/srv/data', vol), false, 'a volume with data is left alone');
    assert.deepEqual((await readdir(vol)).sort(), ['link', 'sub']);
  });
});

test('copyUp never follows an image symlink out of the rootfs', async () => {
  await withDirs(async (rootfs, vol, base) => {
    const secret = join(base, 'host-secret');
    await mkdir(secret);
    await writeFile(join(secret, 'key'), 'do not copy');
    await symlink(secret, join(rootfs, 'data'));
    assert.equal(await copyUp(rootfs, '/data', vol), false);
    assert.deepEqual(await readdir(vol), []);
    assert.ok((await lstat(join(rootfs, 'data'))).isSymbolicLink());
  });
});
