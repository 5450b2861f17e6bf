import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errnoCode, lgetxattr, llistxattr, lremovexattr, lsetxattr, mknod, mount, MNT_DETACH, readXattrs, S_IFCHR, umount2 } from '../src/sys/index.js';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sys-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('xattrs: binary values, trusted namespace, symlinks not followed, absent is undefined', async () => {
  await withTmp(async (dir) => {
    const f = join(dir, 'f');
    await writeFile(f, 'x');
    const v = Buffer.from([0, 255, 10, 61, 0]);
    lsetxattr(f, 'user.bin', v);
    lsetxattr(f, 'trusted.overlay.opaque', 'y');
    assert.deepEqual(lgetxattr(f, 'user.bin'), v);
    assert.equal(lgetxattr(f, 'user.none'), undefined);
    assert.deepEqual(llistxattr(f).sort(), ['trusted.overlay.opaque', 'user.bin']);
    assert.deepEqual(await readXattrs(f), { 'trusted.overlay.opaque': Buffer.from('y'), 'user.bin': v });
    lremovexattr(f, 'user.bin');
    assert.deepEqual(llistxattr(f), ['trusted.overlay.opaque']);
    const big = Buffer.alloc(3000, 7);
    lsetxattr(f, 'user.big', big);
    assert.deepEqual(lgetxattr(f, 'user.big'), big);
    await symlink('f', join(dir, 'l'));
    assert.deepEqual(llistxattr(join(dir, 'l')), []);
  });
});

test('mknod makes a 0/0 whiteout char device', async () => {
  await withTmp(async (dir) => {
    const p = join(dir, 'wh');
    mknod(p, S_IFCHR, 0, 0);
    const st = await lstat(p);
    assert.ok(st.isCharacterDevice());
    assert.equal(st.rdev, 0);
  });
});

test('mount and umount2 a tmpfs; errors name the errno', async () => {
  await withTmp(async (dir) => {
    const m = join(dir, 'm');
    await mkdir(m);
    mount('berth-test', m, 'tmpfs', 0, 'size=1m,mode=0700');
    try {
      await writeFile(join(m, 'x'), 'y');
      assert.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${m} `));
    } finally {
      umount2(m, MNT_DETACH);
    }
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${m} `));
    await assert.rejects(readFile(join(m, 'x')));
    assert.throws(() => mount('none', m, 'no-such-fs', 0, null), (e: unknown) => errnoCode(e) === 'ENODEV' && /No such device/.test((e as Error).message));
    assert.throws(() => umount2(m), (e: unknown) => errnoCode(e) === 'EINVAL');
  });
});
