import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile, link, utimes } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgument } from '../../errdefs/index.js';
import { packDirectory, readTar, TarWriter, type TarHeader } from './index.js';

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

async function readAll(src: Readable | AsyncIterable<Uint8Array>): Promise<{ header: TarHeader; data: Buffer }[]> {
  const out: { header: TarHeader; data: Buffer }[] = [];
  for await (const e of readTar(src)) out.push({ header: e.header, data: await collect(e.body) });
  return out;
}

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-tar-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const T = new Date('2024-01-02T03:04:05Z');
const base = { mode: 0o644, uid: 0, gid: 0, mtime: T, size: 0 } as const;

async function writeArchive(entries: [TarHeader, Buffer?][]): Promise<Buffer> {
  const w = new TarWriter();
  const out = collect(w.stream);
  for (const [h, b] of entries) await w.add(h, b);
  await w.finish();
  return out;
}

test('round-trip keeps every field, long names and binary xattrs', async () => {
  const long150 = 'd/'.repeat(70) + 'file-150';
  const long300 = 'x'.repeat(120) + '/' + 'y'.repeat(120) + '/' + 'z'.repeat(60);
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x3d, 0x20, 0x01]);
  const entries: [TarHeader, Buffer?][] = [
    [{ ...base, name: 'dir', type: 'directory', mode: 0o1777, uid: 1000, gid: 1001, uname: 'u', gname: 'g' }],
    [{ ...base, name: 'dir/a.txt', type: 'file', size: 5, mode: 0o4755, xattrs: { 'security.capability': binary, 'user.text': Buffer.from('héllo') } }, Buffer.from('hello')],
    [{ ...base, name: long150, type: 'file', size: 600 }, Buffer.alloc(600, 7)],
    [{ ...base, name: long300, type: 'file', size: 1 }, Buffer.from('!')],
    [{ ...base, name: 'ln', type: 'symlink', linkname: '/very/' + 'long/'.repeat(40) + 'target' }],
    [{ ...base, name: 'hard', type: 'hardlink', linkname: 'dir/a.txt' }],
    [{ ...base, name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 }],
    [{ ...base, name: 'dev/big', type: 'block', devmajor: 259, devminor: 70000 }],
    [{ ...base, name: 'fifo', type: 'fifo' }],
    [{ ...base, name: 'bigid', type: 'file', uid: 3_000_000_000, gid: 4_000_000 }],
    [{ ...base, name: 'ünïcode-名前', type: 'file' }],
  ];
  const got = await readAll(Readable.from([await writeArchive(entries)]));
  assert.equal(got.length, entries.length);
  for (let i = 0; i < entries.length; i++) {
    const [want, body] = entries[i]!;
    assert.deepEqual(got[i]!.header, want, `entry ${i}`);
    assert.deepEqual(got[i]!.data, body ?? Buffer.alloc(0));
  }
  assert.deepEqual(got[1]!.header.xattrs?.['security.capability'], binary);
});

test('GNU tar reads what we write', async () => {
  await withTmp(async (dir) => {
    const long = 'n'.repeat(180);
    const data = await writeArchive([
      [{ ...base, name: 'a', type: 'directory', mode: 0o755 }],
      [{ ...base, name: `a/${long}`, type: 'file', size: 3 }, Buffer.from('abc')],
      [{ ...base, name: 'a/l', type: 'symlink', linkname: long }],
    ]);
    await writeFile(join(dir, 'x.tar'), data);
    const listing = execFileSync('tar', ['-tf', join(dir, 'x.tar')], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(listing, ['a/', `a/${long}`, 'a/l']);
    await mkdir(join(dir, 'out'));
    execFileSync('tar', ['-xf', join(dir, 'x.tar'), '-C', join(dir, 'out')]);
    assert.equal(await readFile(join(dir, 'out', 'a', long), 'utf8'), 'abc');
  });
});

for (const format of ['gnu', 'pax', 'ustar', 'v7'] as const) {
  test(`reads an archive made by GNU tar --format=${format}`, async () => {
    await withTmp(async (dir) => {
      const src = join(dir, 'src');
      const deep = format === 'v7' ? 'short' : 'deep/' + 'q'.repeat(90) + '/' + 'r'.repeat(60);
      await mkdir(join(src, deep), { recursive: true });
      await writeFile(join(src, deep, 'f.bin'), Buffer.alloc(70000, 0xab));
      await writeFile(join(src, 'empty'), '');
      await symlink('../target', join(src, 'sl'));
      await link(join(src, 'empty'), join(src, 'hl'));
      await utimes(join(src, 'empty'), T, T);
      const ids = format === 'gnu' ? ['--owner=big:3000000', '--group=big:2100000'] : ['--owner=0', '--group=0'];
      execFileSync('tar', [`--format=${format}`, '--numeric-owner', ...ids, '-C', src, '-cf', join(dir, 'x.tar'), '.']);
      const got = await readAll(createReadStream(join(dir, 'x.tar'), { highWaterMark: 777 }));
      const byName = new Map(got.map((e) => [e.header.name, e]));
      assert.ok(byName.has(''), 'the ./ root entry is reported as ""');
      const f = byName.get(`${deep}/f.bin`);
      assert.ok(f, `long path ${deep}/f.bin`);
      assert.equal(f.header.type, 'file');
      assert.equal(f.data.length, 70000);
      assert.ok(f.data.every((b) => b === 0xab));
      assert.equal(byName.get('sl')?.header.linkname, '../target');
      assert.equal(byName.get('sl')?.header.type, 'symlink');
      const hard = [byName.get('hl'), byName.get('empty')].find((e) => e?.header.type === 'hardlink');
      assert.ok(hard && (hard.header.linkname === 'empty' || hard.header.linkname === 'hl'));
      assert.equal(byName.get('deep')?.header.type ?? byName.get('short')?.header.type, 'directory');
      const empty = byName.get('empty')!.header;
      if (empty.type === 'file') assert.equal(empty.mtime.getTime(), T.getTime());
      if (format === 'gnu') {
        assert.equal(f.header.uid, 3000000, 'base-256 uid');
        assert.equal(f.header.gid, 2100000, 'base-256 gid');
      }
    });
  });
}

test('packDirectory output matches GNU tar extraction', async () => {
  await withTmp(async (dir) => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'sub/deeper'), { recursive: true });
    await writeFile(join(src, 'sub/deeper/file'), 'content');
    await writeFile(join(src, 'b'), 'bee');
    await link(join(src, 'b'), join(src, 'a-hardlink'));
    await symlink('sub/deeper/file', join(src, 'link'));
    execFileSync('mkfifo', [join(src, 'fifo')]);
    const got = await readAll(packDirectory(src));
    assert.deepEqual(
      got.map((e) => [e.header.name, e.header.type]),
      [
        ['a-hardlink', 'file'],
        ['b', 'hardlink'],
        ['fifo', 'fifo'],
        ['link', 'symlink'],
        ['sub', 'directory'],
        ['sub/deeper', 'directory'],
        ['sub/deeper/file', 'file'],
      ],
    );
    assert.equal(got[1]!.header.linkname, 'a-hardlink');
    await writeFile(join(dir, 'p.tar'), await collect(packDirectory(src, { prefix: 'root' })));
    await mkdir(join(dir, 'out'));
    execFileSync('tar', ['-xf', join(dir, 'p.tar'), '-C', join(dir, 'out')]);
    assert.equal(await readFile(join(dir, 'out/root/sub/deeper/file'), 'utf8'), 'content');
    assert.equal(await readFile(join(dir, 'out/root/b'), 'utf8'), 'bee');
  });
});

test('packDirectory passes xattrs from the injected reader', async () => {
  await withTmp(async (dir) => {
    await writeFile(join(dir, 'f'), 'x');
    const v = Buffer.from([0, 1, 2, 255]);
    const got = await readAll(packDirectory(dir, { xattrs: async () => ({ 'user.k': v }) }));
    assert.deepEqual(got[0]!.header.xattrs, { 'user.k': v });
  });
});

test('unconsumed bodies are drained when iteration advances', async () => {
  const data = await writeArchive([
    [{ ...base, name: 'a', type: 'file', size: 100_000 }, Buffer.alloc(100_000, 1)],
    [{ ...base, name: 'b', type: 'file', size: 3 }, Buffer.from('bbb')],
  ]);
  const names: string[] = [];
  let last: Buffer = Buffer.alloc(0);
  for await (const e of readTar(Readable.from([data.subarray(0, 1000), data.subarray(1000)]))) {
    names.push(e.header.name);
    if (e.header.name === 'a') {
      e.body.once('data', () => undefined); // start reading, then abandon it
      await new Promise((r) => setImmediate(r));
    } else last = await collect(e.body);
  }
  assert.deepEqual(names, ['a', 'b']);
  assert.equal(last.toString(), 'bbb');
});

test('truncated or corrupt archives throw InvalidArgument', async () => {
  const data = await writeArchive([[{ ...base, name: 'a', type: 'file', size: 2000 }, Buffer.alloc(2000, 1)]]);
  await assert.rejects(readAll(Readable.from([data.subarray(0, 1200)])), InvalidArgument);
  await assert.rejects(readAll(Readable.from([data.subarray(0, 300)])), InvalidArgument);
  const bad = Buffer.from(data);
  bad[10] = 0x41;
  await assert.rejects(readAll(Readable.from([bad])), /invalid tar header/);
  await assert.rejects(readAll(Readable.from([Buffer.alloc(512, 0x61)])), InvalidArgument);
});

test('an archive that stops inside the last entry\'s padding ends there (what the docker CLI sends for build -f)', async () => {
  const data = await writeArchive([[{ ...base, name: 'a', type: 'file', size: 47 }, Buffer.alloc(47, 1)]]);
  const entries = await readAll(Readable.from([data.subarray(0, 512 + 47)]));
  assert.deepEqual(entries.map((e) => [e.header.name, e.data.length]), [['a', 47]]);
  // Cut inside the body is still an error.
  await assert.rejects(readAll(Readable.from([data.subarray(0, 512 + 20)])), InvalidArgument);
});

test('the writer rejects a body whose length differs from size', async () => {
  const w = new TarWriter();
  void collect(w.stream).catch(() => undefined);
  await assert.rejects(w.add({ ...base, name: 'a', type: 'file', size: 5 }, Buffer.from('abc')), InvalidArgument);
});

test('the writer respects backpressure', async () => {
  const w = new TarWriter();
  let done = false;
  const p = w.add({ ...base, name: 'big', type: 'file', size: 4 << 20 }, Buffer.alloc(4 << 20)).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false, 'add waits while nobody reads');
  const all = collect(w.stream);
  await p;
  await w.finish();
  assert.equal((await all).length, 512 + (4 << 20) + 1024);
});

test('a read that starts mid-archive (at an entry, inside a body or its padding) gives what a whole read gives from there', async () => {
  const body = Buffer.alloc(3000, 9);
  const entries: [TarHeader, Buffer?][] = [
    [{ ...base, name: 'a', type: 'directory', mode: 0o755 }],
    [{ ...base, name: 'a/' + 'long'.repeat(40), type: 'file', size: body.length, xattrs: { 'user.x': Buffer.from('y') } }, body],
    [{ ...base, name: 'a/b', type: 'file', size: 5 }, Buffer.from('hello')],
    [{ ...base, name: 'c', type: 'symlink', linkname: 'a/b' }],
  ];
  const archive = await writeArchive(entries);
  const whole: { e: { header: TarHeader; headerOffset: number; dataOffset: number; endOffset: number }; data: Buffer }[] = [];
  for await (const e of readTar(Readable.from([archive]))) whole.push({ e, data: await collect(e.body) });
  const long = whole[1]!.e;
  assert.ok(long.headerOffset < long.dataOffset - 512, 'the long name takes header blocks of its own');
  const from = async (offset: number, entry?: { header: TarHeader; dataOffset: number }) => {
    const out: { name: string; data: Buffer; bodyFrom: number; endOffset: number }[] = [];
    for await (const e of readTar(Readable.from([archive.subarray(offset)]), { start: { offset, ...(entry ? { entry } : {}) } })) {
      out.push({ name: e.header.name, data: await collect(e.body), bodyFrom: e.bodyFrom, endOffset: e.endOffset });
    }
    return out;
  };
  // At an entry's first header block: that entry and the rest, as a whole read gives them.
  assert.deepEqual(
    (await from(long.headerOffset)).map((x) => [x.name, x.data.length, x.bodyFrom]),
    whole.slice(1).map((x) => [x.e.header.name, x.data.length, 0]),
  );
  // Inside the body: the rest of it, then the next entries.
  const inside = await from(long.dataOffset + 1000, { header: long.header, dataOffset: long.dataOffset });
  assert.deepEqual(inside[0]!.data, body.subarray(1000));
  assert.equal(inside[0]!.bodyFrom, 1000);
  assert.equal(inside[0]!.endOffset, long.endOffset);
  assert.deepEqual(inside.slice(1).map((x) => [x.name, x.data.toString()]), [['a/b', 'hello'], ['c', '']]);
  // In the padding after the body: an empty rest, then the next entries.
  const pad = await from(long.dataOffset + body.length + 7, { header: long.header, dataOffset: long.dataOffset });
  assert.deepEqual(pad.map((x) => [x.name, x.data.length]), [[long.header.name, 0], ['a/b', 5], ['c', 0]]);
  // An offset outside the entry named is refused.
  await assert.rejects(from(long.endOffset + 1, { header: long.header, dataOffset: long.dataOffset }), InvalidArgument);
});
