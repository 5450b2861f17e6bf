import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { InvalidArgument } from '../src/errdefs/index.js';
import { applyLayer } from '../src/core/diff/index.js';
import { lgetxattr } from '../src/sys/index.js';
import { TarWriter, type TarHeader } from '../src/util/tar/index.js';
import { busyboxLayerFiles } from './helpers/busybox.js';

const T = new Date('2023-05-06T07:08:09Z');
type E = Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'>;

async function tarOf(entries: (E & { data?: string })[]): Promise<Buffer> {
  const w = new TarWriter();
  const parts: Buffer[] = [];
  const done = (async () => {
    for await (const c of w.stream as AsyncIterable<Buffer>) parts.push(c);
  })();
  for (const e of entries) {
    const body = e.data !== undefined ? Buffer.from(e.data) : undefined;
    const { data: _d, ...rest } = e;
    await w.add({ mode: e.type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: T, ...rest, size: body?.length ?? 0 }, body);
  }
  await w.finish();
  await done;
  return Buffer.concat(parts);
}

async function withSandbox(fn: (sandbox: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-diff-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('plain, gzip and zstd layers give the same diffId, equal to sha256sum of the tar', async () => {
  await withSandbox(async (sb) => {
    const { plain, files, diffId: expected } = busyboxLayerFiles(sb);
    const src = join(sb, 'src');
    const size = (await stat(plain)).size;
    for (const f of files) {
      const target = join(sb, `t-${f.slice(-3)}`);
      await mkdir(target);
      const r = await applyLayer(target, createReadStream(f), { format: 'overlay' });
      assert.equal(r.diffId, expected, f);
      assert.equal(r.size, size, f);
      assert.equal(await readlink(join(target, 'bin/sh')), 'busybox');
      assert.deepEqual(await readFile(join(target, 'bin/busybox')), await readFile(join(src, 'bin/busybox')));
      assert.equal((await stat(join(target, 'tmp'))).mode & 0o7777, 0o1777);
    }
  });
});

test('corrupt compressed layers are InvalidArgument', async () => {
  await withSandbox(async (sb) => {
    const tar = await tarOf([{ name: 'f', type: 'file', data: 'x'.repeat(5000) }]);
    const gz = gzipSync(tar);
    await assert.rejects(applyLayer(sb, Readable.from([gz.subarray(0, gz.length - 20)]), { format: 'copy' }), InvalidArgument);
    const zst = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5, 6]);
    await assert.rejects(applyLayer(sb, Readable.from([zst]), { format: 'copy' }), InvalidArgument);
  });
});

test('metadata: owner, modes, mtime, binary xattrs, hardlinks, devices, fifos', async () => {
  await withSandbox(async (sb) => {
    const x = Buffer.from([0, 0xff, 0x01]);
    const tar = await tarOf([
      { name: 'd', type: 'directory', mode: 0o750, uid: 7, gid: 8 },
      { name: 'd/suid', type: 'file', mode: 0o4755, uid: 1000, gid: 1000, data: 'abc', xattrs: { 'user.bin': x } },
      { name: 'd/hl', type: 'hardlink', linkname: 'd/suid' },
      { name: 'sl', type: 'symlink', linkname: 'd/suid', uid: 5, gid: 6 },
      { name: 'null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'p', type: 'fifo', mode: 0o600 },
    ]);
    await applyLayer(sb, Readable.from([tar]), { format: 'copy' });
    const d = await lstat(join(sb, 'd'));
    assert.equal(d.mode & 0o7777, 0o750);
    assert.equal(d.uid, 7);
    assert.equal(d.mtime.getTime(), T.getTime(), 'directory mtime survives its children');
    const f = await lstat(join(sb, 'd/suid'));
    assert.equal(f.mode & 0o7777, 0o4755);
    assert.equal(f.uid, 1000);
    assert.equal(f.mtime.getTime(), T.getTime());
    assert.equal(f.nlink, 2);
    assert.equal((await lstat(join(sb, 'd/hl'))).ino, f.ino);
    assert.deepEqual(lgetxattr(join(sb, 'd/suid'), 'user.bin'), x);
    const sl = await lstat(join(sb, 'sl'));
    assert.ok(sl.isSymbolicLink());
    assert.equal(sl.uid, 5);
    const n = await lstat(join(sb, 'null'));
    assert.ok(n.isCharacterDevice());
    assert.equal(n.rdev, 0x103);
    assert.ok((await lstat(join(sb, 'p'))).isFIFO());
  });
});

test("whiteouts in 'overlay' format become 0/0 devices and opaque xattrs", async () => {
  await withSandbox(async (sb) => {
    const tar = await tarOf([
      { name: '.wh.gone', type: 'file' },
      { name: 'd', type: 'directory' },
      { name: 'd/.wh..wh..opq', type: 'file' },
      { name: 'd/new', type: 'file', data: 'n' },
      { name: 'e/deep/.wh.x', type: 'file' },
    ]);
    await applyLayer(sb, Readable.from([tar]), { format: 'overlay' });
    const wh = await lstat(join(sb, 'gone'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.deepEqual(lgetxattr(join(sb, 'd'), 'trusted.overlay.opaque'), Buffer.from('y'));
    assert.equal(await readFile(join(sb, 'd/new'), 'utf8'), 'n');
    assert.ok((await lstat(join(sb, 'e/deep/x'))).isCharacterDevice());
    assert.deepEqual((await readdir(sb)).sort(), ['d', 'e', 'gone']);
  });
});

test("whiteouts in 'copy' format delete; opaque keeps only this layer's entries", async () => {
  await withSandbox(async (sb) => {
    await mkdir(join(sb, 'd/sub'), { recursive: true });
    await writeFile(join(sb, 'd/old'), 'o');
    await writeFile(join(sb, 'd/sub/older'), 'o');
    await writeFile(join(sb, 'gone'), 'g');
    await mkdir(join(sb, 'gonedir/x'), { recursive: true });
    await writeFile(join(sb, 'keep'), 'k');
    const tar = await tarOf([
      { name: '.wh.gone', type: 'file' },
      { name: '.wh.gonedir', type: 'file' },
      { name: 'd', type: 'directory' },
      { name: 'd/new', type: 'file', data: 'n' },
      { name: 'd/.wh..wh..opq', type: 'file' },
      { name: 'd/later', type: 'file', data: 'l' },
    ]);
    await applyLayer(sb, Readable.from([tar]), { format: 'copy' });
    assert.deepEqual((await readdir(sb)).sort(), ['d', 'keep']);
    assert.deepEqual((await readdir(join(sb, 'd'))).sort(), ['later', 'new']);
  });
});

/** Every path under `dir` (no symlink followed), except those under `skip`. */
async function listTree(dir: string, skip: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const n of (await readdir(join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    if (r === skip) continue;
    out.push(r);
    if ((await lstat(join(dir, r))).isDirectory()) out.push(...(await listTree(dir, skip, r)));
  }
  return out;
}

async function escapeCase(name: string, entries: (E & { data?: string })[], check: (target: string, sandbox: string) => Promise<void>, opts: { expectError?: boolean; lower?: (target: string, sandbox: string) => Promise<void> } = {}): Promise<void> {
  await test(name, async () => {
    await withSandbox(async (sb) => {
      const target = join(sb, 'a/b/target');
      await mkdir(target, { recursive: true });
      await opts.lower?.(target, sb);
      const before = await listTree(sb, 'a/b/target');
      const p = applyLayer(target, Readable.from([await tarOf(entries)]), { format: 'copy' });
      if (opts.expectError) await assert.rejects(p, InvalidArgument);
      else await p;
      const after = await listTree(sb, 'a/b/target');
      assert.deepEqual(after, before, 'nothing changed outside the target');
      await check(target, sb);
    });
  });
}

test('escape attempts leave the host untouched', async () => {
  const marker = `berth-evil-${process.pid}`;
  await escapeCase('../evil is refused', [{ name: `../${marker}`, type: 'file', data: 'x' }], async () => {}, { expectError: true });
  await escapeCase('a/../../evil is refused', [{ name: `a/../../${marker}`, type: 'file', data: 'x' }], async () => {}, { expectError: true });
  await escapeCase('/etc/evil lands inside', [{ name: `/etc/${marker}`, type: 'file', data: 'x' }], async (t) => {
    assert.ok(!existsSync(`/etc/${marker}`));
    assert.equal(await readFile(join(t, 'etc', marker), 'utf8'), 'x');
  });
  await escapeCase('symlink a -> / then a/evil lands inside', [
    { name: 'a', type: 'symlink', linkname: '/' },
    { name: `a/${marker}`, type: 'file', data: 'x' },
  ], async (t) => {
    assert.ok(!existsSync(`/${marker}`));
    assert.equal(await readFile(join(t, marker), 'utf8'), 'x');
  });
  await escapeCase('symlink a -> ../../.. then a/x lands inside', [
    { name: 'a', type: 'symlink', linkname: '../../..' },
    { name: 'a/x', type: 'file', data: 'x' },
    { name: 'a/sub/y', type: 'file', data: 'y' },
  ], async (t) => {
    assert.equal(await readFile(join(t, 'x'), 'utf8'), 'x');
    assert.equal(await readFile(join(t, 'sub/y'), 'utf8'), 'y');
  });
  await escapeCase('chained symlinks stay confined', [
    { name: 'l1', type: 'symlink', linkname: 'l2/../../..' },
    { name: 'l2', type: 'symlink', linkname: '/tmp' },
    { name: `l1/${marker}`, type: 'file', data: 'x' },
  ], async (t) => {
    assert.ok(!existsSync(`/tmp/${marker}`));
    assert.equal(await readFile(join(t, marker), 'utf8'), 'x');
  });
  await escapeCase('hardlink to ../../etc/passwd is refused', [{ name: 'h', type: 'hardlink', linkname: '../../etc/passwd' }], async (t) => {
    assert.ok(!existsSync(join(t, 'h')));
  }, { expectError: true });
  const passwdLinks = (await stat('/etc/passwd')).nlink;
  await escapeCase('hardlink through a symlink to /etc is confined', [
    { name: 'e', type: 'symlink', linkname: '/etc' },
    { name: 'h', type: 'hardlink', linkname: 'e/passwd' },
  ], async (t) => {
    assert.ok(!existsSync(join(t, 'h')));
    assert.equal((await stat('/etc/passwd')).nlink, passwdLinks);
  }, { expectError: true });
  await escapeCase('a symlink from a lower layer is confined too', [{ name: 'lnk/x', type: 'file', data: 'x' }], async (t, sb) => {
    assert.ok(!existsSync(join(sb, 'outside/x')));
    // An absolute link is taken relative to the target's root, as inside the container.
    assert.equal(await readFile(join(t, sb, 'outside/x'), 'utf8'), 'x');
  }, { lower: async (t, sb) => {
    await mkdir(join(sb, 'outside'));
    await symlink(join(sb, 'outside'), join(t, 'lnk'));
  } });
  await escapeCase('a directory later replaced by a symlink does not redirect deferred times', [
    { name: 'd', type: 'directory' },
    { name: 'd/outside', type: 'directory' },
    { name: 'd', type: 'symlink', linkname: '../../..' },
  ], async (t, sb) => {
    assert.ok((await lstat(join(t, 'd'))).isSymbolicLink());
    assert.notEqual((await lstat(join(sb, 'outside'))).mtime.getTime(), T.getTime());
  }, { lower: async (_t, sb) => void (await mkdir(join(sb, 'outside'))) });
  await escapeCase('a file entry replaces a symlink instead of writing through it', [
    { name: 's', type: 'symlink', linkname: '../../../x' },
    { name: 's', type: 'file', data: 'x' },
  ], async (t, sb) => {
    assert.ok((await lstat(join(t, 's'))).isFile());
    assert.equal(await readFile(join(sb, 'x'), 'utf8'), 'host');
  }, { lower: async (_t, sb) => void (await writeFile(join(sb, 'x'), 'host')) });
});

test('an abort stops a stalled layer promptly, gzip and zstd included', async () => {
  await withSandbox(async (sb) => {
    const tar = await tarOf([{ name: 'big', type: 'file', data: 'y'.repeat(100_000) }]);
    const zst = execFileSync('zstd', ['-q', '-c'], { input: tar });
    for (const [kind, bytes] of [['plain', tar], ['gzip', gzipSync(tar)], ['zstd', zst]] as const) {
      const target = join(sb, kind);
      await mkdir(target);
      const src = new Readable({ read() {} });
      src.push(bytes.subarray(0, Math.floor(bytes.length / 2))); // never ends
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(applyLayer(target, src, { format: 'copy', signal: ac.signal }), { name: 'AbortError' }, kind);
      assert.ok(Date.now() - started < 2000, `${kind} aborted promptly`);
      assert.ok(src.destroyed, `${kind} source destroyed`);
    }
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(applyLayer(sb, Readable.from([tar]), { format: 'copy', signal: ac.signal }), { name: 'AbortError' });
  });
});

test('diffDirectories finds adds, changes and deletes; exportChanges re-applies them', async () => {
  await withSandbox(async (sb) => {
    const lower = join(sb, 'lower');
    const upper = join(sb, 'upper');
    await mkdir(join(lower, 'etc/sub'), { recursive: true });
    await writeFile(join(lower, 'etc/keep'), 'k');
    await writeFile(join(lower, 'etc/edit'), 'old');
    await writeFile(join(lower, 'etc/sub/x'), 'x');
    await writeFile(join(lower, 'gone'), 'g');
    await mkdir(join(lower, 'gonedir/deep'), { recursive: true });
    execFileSync('cp', ['-a', `${lower}/.`, upper]);
    await writeFile(join(upper, 'etc/edit'), 'new content');
    await rm(join(upper, 'gone'));
    await rm(join(upper, 'gonedir'), { recursive: true });
    await mkdir(join(upper, 'newdir/inner'), { recursive: true });
    await writeFile(join(upper, 'newdir/inner/f'), 'f');
    const { diffDirectories, exportChanges } = await import('../src/core/diff/index.js');
    const changes = [];
    for await (const c of diffDirectories(lower, upper)) changes.push(`${c.kind[0]!.toUpperCase()} ${c.path}`);
    assert.deepEqual(changes, ['M etc/edit', 'D gone', 'D gonedir', 'A newdir', 'A newdir/inner', 'A newdir/inner/f']);

    const target = join(sb, 'target');
    execFileSync('cp', ['-a', `${lower}/.`, target]);
    await applyLayer(target, exportChanges(upper, diffDirectories(lower, upper)), { format: 'copy' });
    const after = [];
    // Tar keeps whole seconds, so only mtimes may still differ.
    for await (const c of diffDirectories(target, upper)) if (c.kind !== 'modify') after.push(c);
    assert.deepEqual(after, [], 'applying the exported changes to lower gives upper');
    assert.equal(await readFile(join(target, 'etc/edit'), 'utf8'), 'new content');
    assert.equal(await readFile(join(target, 'newdir/inner/f'), 'utf8'), 'f');
    assert.ok(!existsSync(join(target, 'gonedir')));
  });
});
