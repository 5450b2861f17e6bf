import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFound } from '../../errdefs/index.js';
import { lexical, resolveContainerPath, statOf } from './archive.js';

test('lexical cleaning stops at the root', () => {
  assert.deepEqual(lexical('/a/./b/../c'), ['a', 'c']);
  assert.deepEqual(lexical('../../etc'), ['etc']);
  assert.deepEqual(lexical('/'), []);
});

test('container paths resolve inside the root, whatever the symlinks say', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fsops-root-'));
  try {
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc/passwd'), 'inside');
    await symlink('/etc', join(root, 'abs'));
    await symlink('../../../../..', join(root, 'up'));
    await symlink('/etc/passwd', join(root, 'pw'));
    const a = await resolveContainerPath(root, '/abs/passwd', 'c');
    assert.equal(a.host, join(root, 'etc/passwd'));
    const u = await resolveContainerPath(root, '/up/etc/passwd', 'c');
    assert.equal(u.host, join(root, 'etc/passwd'));
    // The last component is not followed, but its stat names the target inside the container.
    const p = await resolveContainerPath(root, '/pw', 'c');
    assert.ok(p.stat.isSymbolicLink());
    assert.equal((await statOf(root, p)).linkTarget, '/etc/passwd');
    // A trailing '/.' follows and names the archive '.'.
    const dot = await resolveContainerPath(root, '/abs/.', 'c');
    assert.equal(dot.host, join(root, 'etc'));
    assert.equal(dot.base, '.');
    await assert.rejects(resolveContainerPath(root, '/up/tmp/nothing', 'c'), (e: unknown) => e instanceof NotFound && /Could not find the file \/up\/tmp\/nothing in container c/.test(e.message));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
