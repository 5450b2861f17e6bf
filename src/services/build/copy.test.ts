import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCopy, planCopy } from './copy.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-copy-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

const ctxOpts = { fromContext: true, unpack: false };

test('COPY semantics: directory contents, globs, a file into an existing directory, several sources need a trailing /', async () => {
  const ctx = tree({ 'dir/a': 'a', 'dir/sub/b': 'b', 'x.txt': 'x', 'y.txt': 'y', 'z.md': 'z' });
  const root = tree({ 'existing/keep': 'k' });
  try {
    await applyCopy(root, await planCopy(ctx, ['dir'], ctxOpts), '/out', ctxOpts);
    assert.equal(readFileSync(join(root, 'out/sub/b'), 'utf8'), 'b');
    assert.equal(existsSync(join(root, 'out/dir')), false, 'the directory itself is not copied');
    await applyCopy(root, await planCopy(ctx, ['*.txt'], ctxOpts), '/globbed/', ctxOpts);
    assert.equal(readFileSync(join(root, 'globbed/y.txt'), 'utf8'), 'y');
    assert.equal(existsSync(join(root, 'globbed/z.md')), false);
    await applyCopy(root, await planCopy(ctx, ['x.txt'], ctxOpts), '/existing', ctxOpts);
    assert.equal(readFileSync(join(root, 'existing/x.txt'), 'utf8'), 'x');
    await applyCopy(root, await planCopy(ctx, ['x.txt'], ctxOpts), '/renamed', ctxOpts);
    assert.equal(readFileSync(join(root, 'renamed'), 'utf8'), 'x');
    await assert.rejects(applyCopy(root, await planCopy(ctx, ['x.txt', 'y.txt'], ctxOpts), '/nodir', ctxOpts), /must be a directory and end with a \//);
    await assert.rejects(planCopy(ctx, ['nothing*'], ctxOpts), /no source files were specified/);
    await assert.rejects(planCopy(ctx, ['../etc/passwd'], ctxOpts), /forbidden path outside the build context/);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});

test('a destination through a symlink of the image stays inside its rootfs', async () => {
  const ctx = tree({ f: 'payload' });
  const root = tree({});
  const outside = mkdtempSync(join(tmpdir(), 'berth-outside-'));
  try {
    symlinkSync(outside, join(root, 'link'));
    await applyCopy(root, await planCopy(ctx, ['f'], ctxOpts), '/link/f', ctxOpts);
    assert.equal(existsSync(join(outside, 'f')), false);
    assert.equal(readFileSync(join(root, outside, 'f'), 'utf8'), 'payload');
  } finally {
    for (const d of [ctx, root, outside]) rmSync(d, { recursive: true, force: true });
  }
});

test('the checksum follows content, mode and --chown, not mtime', async () => {
  const ctx = tree({ f: 'one' });
  try {
    const h0 = (await planCopy(ctx, ['f'], ctxOpts)).hash;
    assert.match(h0, /^file:[0-9a-f]{64}$/);
    utimesSync(join(ctx, 'f'), new Date(0), new Date(0));
    assert.equal((await planCopy(ctx, ['f'], ctxOpts)).hash, h0);
    chmodSync(join(ctx, 'f'), 0o600);
    const h1 = (await planCopy(ctx, ['f'], ctxOpts)).hash;
    assert.notEqual(h1, h0);
    assert.notEqual((await planCopy(ctx, ['f'], { ...ctxOpts, ownerKey: '1:1' })).hash, h1);
    writeFileSync(join(ctx, 'f'), 'two');
    assert.notEqual((await planCopy(ctx, ['f'], ctxOpts)).hash, h1);
    assert.match((await planCopy(ctx, ['.'], ctxOpts)).hash, /^dir:/);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});
