import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRoot } from './confine.js';

test('resolveInRoot keeps every symlink and .. inside the root', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-confine-'));
  try {
    await mkdir(join(root, 'data/sub'), { recursive: true });
    await writeFile(join(root, 'data/sub/f'), 'x');
    await symlink('/etc', join(root, 'abs'));
    await symlink('../../../../etc', join(root, 'data/rel'));
    await symlink('missing/../../../../etc', join(root, 'dangling'));
    await symlink('sub', join(root, 'data/inner'));
    assert.equal(await resolveInRoot(root, '/abs/passwd'), join(root, 'etc/passwd'));
    assert.equal(await resolveInRoot(root, '/data/rel'), join(root, 'etc'));
    assert.equal(await resolveInRoot(root, '/dangling'), join(root, 'etc'));
    assert.equal(await resolveInRoot(root, '/data/inner/f'), join(root, 'data/sub/f'));
    assert.equal(await resolveInRoot(root, '/../../x'), join(root, 'x'));
    assert.equal(await resolveInRoot(root, '/nope/../../y'), join(root, 'y'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('resolveInRoot refuses a symlink loop', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-confine-'));
  try {
    await symlink('b', join(root, 'a'));
    await symlink('a', join(root, 'b'));
    await assert.rejects(resolveInRoot(root, '/a'), /too many levels/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
