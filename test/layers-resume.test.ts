import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { applyLayer, type ApplyCheckpoint, type DirTime } from '../src/core/diff/index.js';
import { TarWriter, type TarHeader } from '../src/util/tar/index.js';
import { createContentStore } from '../src/core/content/index.js';
import type { Remote } from '../src/core/remotes/index.js';
import { streamLayer } from '../src/services/images/stream-layer.js';
import { UnpackProgress } from '../src/services/images/unpack-progress.js';
import { sha256 } from '../src/util/index.js';

const T = new Date('2023-05-06T07:08:09Z');

async function tarOf(entries: (Pick<TarHeader, 'name' | 'type'> & Partial<TarHeader> & { data?: Buffer })[]): Promise<Buffer> {
  const w = new TarWriter();
  const parts: Buffer[] = [];
  const done = (async () => {
    for await (const c of w.stream as AsyncIterable<Buffer>) parts.push(c);
  })();
  for (const { data, ...h } of entries) {
    await w.add({ mode: h.type === 'directory' ? 0o755 : 0o640, uid: 1000, gid: 1000, mtime: T, ...h, size: data?.length ?? 0 }, data);
  }
  await w.finish();
  await done;
  return Buffer.concat(parts);
}

/** Every entry below `root`: type, mode, owner, mtime, and content digest or link target. */
async function snapshot(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(root, rel))).sort()) {
    const p = join(root, rel, name);
    const st = await lstat(p);
    const what = st.isSymbolicLink() ? `-> ${await readlink(p)}` : st.isFile() ? createHash('sha256').update(await readFile(p)).digest('hex') : 'dir';
    out.push(`${join(rel, name)} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isSymbolicLink() ? '' : st.mtime.toISOString()} ${what}`);
    if (st.isDirectory()) out.push(...(await snapshot(root, join(rel, name))));
  }
  return out;
}

function chunks(b: Buffer, size = 64 << 10): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

/** Applies `layer` to `target` until more than 2 MiB are written, then stops it; returns the last offset noted. */
async function stoppedInside(target: string, layer: Buffer): Promise<number> {
  const stop = new AbortController();
  let noted = 0;
  const onProgress = (offset: number): void => {
    noted = offset;
    if (offset > 2 << 20) stop.abort(new Error('stopped'));
  };
  await assert.rejects(applyLayer(target, chunks(layer), { format: 'overlay', signal: stop.signal, onProgress }));
  return noted;
}

test('an unpack stopped partway continues from its noted offset, inside a half-written file too, to the same tree', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-resume-'));
  try {
    const big = randomBytes(5 << 20);
    const layer = gzipSync(
      await tarOf([
        { name: 'etc', type: 'directory' },
        { name: 'etc/conf', type: 'file', data: Buffer.from('a=1\n') },
        { name: 'data', type: 'directory', mode: 0o700 },
        { name: 'data/big', type: 'file', data: big, mode: 0o600 },
        { name: 'data/link', type: 'symlink', linkname: 'big' },
        { name: 'data/hard', type: 'hardlink', linkname: 'data/big' },
        { name: 'last', type: 'file', data: randomBytes(300 << 10) },
      ]),
    );
    const whole = join(dir, 'whole');
    await mkdir(whole);
    const full = await applyLayer(whole, chunks(layer), { format: 'overlay' });

    // The first try is stopped once it has written part of data/big; what it noted is the resume point.
    const resumed = join(dir, 'resumed');
    await mkdir(resumed);
    const noted = await stoppedInside(resumed, layer);
    assert.ok(noted > 2 << 20 && noted < (5 << 20) + 4096, `stopped inside data/big (${noted})`);
    assert.ok((await lstat(join(resumed, 'data/big'))).size < big.length, 'data/big is half written');

    const again = await applyLayer(resumed, chunks(layer), { format: 'overlay', resumeAt: noted });
    assert.equal(again.diffId, full.diffId);
    assert.deepEqual(await snapshot(resumed), await snapshot(whole));

    // A resume point beyond what the half-written file holds is refused, not papered over.
    const short = join(dir, 'short');
    await mkdir(short);
    const noted2 = await stoppedInside(short, layer);
    await rm(join(short, 'data/big'));
    await assert.rejects(applyLayer(short, chunks(layer), { format: 'overlay', resumeAt: noted2 }), /does not match|ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const kind of ['gzip', 'plain'] as const) test(`an unpack continued from a checkpoint reads only the bytes after it and ends in the same tree, directory times included (${kind} layer)`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-resume-ck-'));
  try {
    const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `row ${i} ${'ab'.repeat(i % 13)}\n`).join(''));
    const entries: Parameters<typeof tarOf>[0] = [];
    for (let d = 0; d < 12; d++) {
      entries.push({ name: `d${d}`, type: 'directory', mtime: new Date(T.getTime() + d * 1000) });
      for (let f = 0; f < 6; f++) entries.push({ name: `d${d}/f${f}`, type: 'file', data: randomBytes(20_000 + d * 997 + f) });
      if (d === 5) entries.push({ name: 'd5/big', type: 'file', data: randomBytes(3 << 20) });
      if (d === 8) entries.push({ name: 'd8/text', type: 'file', data: text });
    }
    entries.push({ name: 'd0/late', type: 'file', data: Buffer.from('written last, into an early directory') });
    const tarBytes = await tarOf(entries);
    const layer = kind === 'gzip' ? gzipSync(tarBytes, { level: 6 }) : tarBytes;
    const whole = join(dir, 'whole');
    await mkdir(whole);
    const full = await applyLayer(whole, chunks(layer), { format: 'overlay' });

    // A first try notes checkpoints and is stopped once it has written 2 MiB.
    const first = async (target: string) => {
      const marks: { c: ApplyCheckpoint; dirs: DirTime[] }[] = [];
      const stop = new AbortController();
      let noted = 0;
      await mkdir(target);
      await assert.rejects(
        applyLayer(target, chunks(layer), {
          format: 'overlay',
          signal: stop.signal,
          onProgress: (o) => {
            noted = o;
            if (o > 2 << 20) stop.abort(new Error('stopped'));
          },
          checkpoints: { every: 256 << 10, on: (c, dirs) => marks.push({ c, dirs }) },
        }),
      );
      return { marks, noted };
    };
    const probe = await first(join(dir, 'probe'));
    const usable = probe.marks.filter((m) => m.c.out <= probe.noted);
    assert.ok(usable.length >= 3, `checkpoints before the stop (${usable.length})`);
    assert.ok(usable.some((m) => m.c.tar.entry), 'some fall inside a file body');

    // Continue from the first, a middle and the last usable checkpoint: the stream handed over starts at its `in`.
    for (const k of [0, usable.length >> 1, usable.length - 1]) {
      const target = join(dir, `resumed-${k}`);
      const { marks, noted } = await first(target);
      const upTo = marks.filter((m) => m.c.out <= noted);
      const m = upTo[k]!;
      const dirs = upTo.slice(0, k + 1).flatMap((x) => x.dirs);
      const again = await applyLayer(target, chunks(layer.subarray(m.c.in)), { format: 'overlay', resumeAt: noted, from: { checkpoint: m.c, dirs } });
      assert.equal(again.diffId, full.diffId, `from checkpoint ${k} (in ${m.c.in}, out ${m.c.out})`);
      assert.equal(again.size, full.size);
      assert.deepEqual(await snapshot(target), await snapshot(whole), `tree from checkpoint ${k}`);
    }

    // A checkpoint beyond what the target holds cannot be continued.
    const last = probe.marks.at(-1)!;
    await assert.rejects(
      applyLayer(join(dir, 'probe'), chunks(layer.subarray(last.c.in)), { format: 'overlay', resumeAt: last.c.out - 1, from: { checkpoint: last.c, dirs: [] } }),
      /beyond what the target holds/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a layer whose blob is stored but whose unpack was stopped is unpacked from its checkpoint, without the registry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-resume-stored-'));
  try {
    const layer = gzipSync(
      await tarOf([
        { name: 'a', type: 'directory' },
        { name: 'a/big', type: 'file', data: randomBytes(12 << 20) },
        { name: 'b', type: 'file', data: randomBytes(1 << 20) },
      ]),
      { level: 1 },
    );
    const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length };
    const blobs = createContentStore(join(dir, 'content'));
    await blobs.write(layer, { digest: desc.digest, size: desc.size });
    const whole = join(dir, 'whole');
    await mkdir(whole);
    const full = await applyLayer(whole, chunks(layer), { format: 'overlay' });
    const remote = {
      fetchBlobFrom: () => {
        throw new Error('the registry was asked');
      },
    } as unknown as Remote;
    const job = { repo: { domain: 'example.invalid', path: 'x' }, desc, dir: join(dir, 'layer'), format: 'overlay' as const, progressFile: join(dir, 'progress') };
    await mkdir(job.dir);

    const stop = new AbortController();
    const seen: number[] = [];
    const progress = (onUnpacked: (n: number) => void) => ({ downloaded: () => undefined, unpacked: onUnpacked, stored: () => undefined });
    await assert.rejects(
      streamLayer({ remote, blobs, applyLayer }, { ...job, signal: stop.signal }, progress((n) => (n > 9 << 20 ? stop.abort(new Error('stopped')) : undefined))),
    );
    const again = await streamLayer({ remote, blobs, applyLayer }, job, progress((n) => seen.push(n)));
    assert.equal(again.diffId, full.diffId);
    assert.deepEqual(await snapshot(job.dir), await snapshot(whole));
    // The second pass read the stored blob from the checkpoint on, not from its first byte.
    assert.ok(seen[0]! > 4 << 20, `the unpack went on from ${seen[0]}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('without the native addon (BERTH_NO_NATIVE=1) gzip layers unpack through node:zlib, and no checkpoint is claimed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-no-native-'));
  try {
    const tar = await tarOf([{ name: 'f', type: 'file', data: randomBytes(3 << 20) }]);
    await writeFile(join(dir, 'layer.gz'), gzipSync(tar));
    const script = `
      const { applyLayer } = await import(${JSON.stringify(new URL('../src/core/diff/index.js', import.meta.url).href)});
      const { nativeResumable } = await import(${JSON.stringify(new URL('../src/util/index.js', import.meta.url).href)});
      const { createReadStream, mkdirSync } = await import('node:fs');
      mkdirSync(process.argv[1] + '/t');
      let marks = 0;
      const r = await applyLayer(process.argv[1] + '/t', createReadStream(process.argv[1] + '/layer.gz'), { format: 'overlay', checkpoints: { every: 1 << 16, on: () => marks++ } });
      console.log(JSON.stringify({ native: nativeResumable() !== null, diffId: r.diffId, marks }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, dir], { env: { ...process.env, BERTH_NO_NATIVE: '1' } }).toString();
    assert.deepEqual(JSON.parse(out), { native: false, diffId: sha256(tar), marks: 0 });
    assert.deepEqual(await readFile(join(dir, 't', 'f')), tar.subarray(512, 512 + (3 << 20)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the progress file: the newest checkpoint the dir holds and the kept bytes can feed is chosen; a torn or altered record ends the log; another blob starts over', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-progress-'));
  try {
    const file = join(dir, 'progress');
    const target = join(dir, 'diff');
    await mkdir(target);
    await writeFile(join(target, 'kept'), 'x');
    const digest = sha256('layer');
    const ck = (inAt: number, out: number): ApplyCheckpoint => ({ in: inAt, out, gunzip: Buffer.from([inAt & 255]), tarHash: Buffer.from([out & 255]), tar: { offset: out } });
    const MiB = 1 << 20;
    const first = await UnpackProgress.open(file, target, digest, 0);
    assert.equal(first.resumeAt, 0);
    first.checkpoint(ck(MiB / 2, MiB), [['a', 1]]);
    first.checkpoint(ck(2 * MiB, 3 * MiB), [['b', 2]]);
    first.note(5 * MiB);
    first.checkpoint(ck(5 * MiB, 6 * MiB), [['c', 3]]); // beyond what the dir holds
    first.close();
    await writeFile(file, Buffer.from([7, 0, 0, 0, 1, 2, 3]), { flag: 'a' }); // a torn frame

    const again = await UnpackProgress.open(file, target, digest, 10 * MiB);
    assert.equal(again.resumeAt, 5 * MiB);
    assert.deepEqual(again.from?.checkpoint, ck(2 * MiB, 3 * MiB));
    assert.deepEqual(again.from?.dirs, [['a', 1], ['b', 2]]);
    again.close();
    assert.deepEqual((await UnpackProgress.open(file, target, digest, MiB)).from?.checkpoint, ck(MiB / 2, MiB), 'only 1 MiB kept: the first');

    // An altered byte inside the second record ends the log before it.
    const bytes = await readFile(file);
    const at = bytes.indexOf('"b"');
    bytes[at + 1] = 'z'.charCodeAt(0);
    await writeFile(file, bytes);
    assert.deepEqual((await UnpackProgress.open(file, target, digest, 10 * MiB)).from?.dirs, [['a', 1]]);

    // Another blob's record: the dir is emptied and the unpack starts over.
    const other = await UnpackProgress.open(file, target, sha256('other'), 10 * MiB);
    assert.equal(other.resumeAt, 0);
    assert.equal(other.from, undefined);
    assert.deepEqual(await readdir(target), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
