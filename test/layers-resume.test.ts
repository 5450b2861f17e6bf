import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { applyLayer } from '../src/core/diff/index.js';
import { TarWriter, type TarHeader } from '../src/util/tar/index.js';

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
