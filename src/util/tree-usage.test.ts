import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeUsage } from './tree-usage.js';

test('treeUsage counts every inode once (hard links too) and the blocks files take; a missing root counts nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-tree-usage-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'a/b'), { recursive: true });
  await writeFile(join(dir, 'a/b/f'), Buffer.alloc(64 * 1024, 1));
  await link(join(dir, 'a/b/f'), join(dir, 'a/g'));
  const u = await treeUsage([join(dir, 'a'), join(dir, 'missing')]);
  // a, a/b, and the one file behind two names.
  assert.equal(u.inodes, 3);
  assert.ok(u.bytes >= 64 * 1024, `${u.bytes} bytes`);
  assert.ok(u.bytes < 2 * 64 * 1024 + 64 * 1024, 'the linked file is counted once');
  assert.deepEqual(await treeUsage([join(dir, 'missing')]), { bytes: 0, inodes: 0 });
});
