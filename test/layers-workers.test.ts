import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InvalidArgument } from '../src/errdefs/index.js';
import { LayerWorkers } from '../src/core/diff/index.js';
import { busyboxLayerFiles } from './helpers/busybox.js';

/** `whole` in 64 KiB views of its one memory, as a socket's reader hands them out. */
async function* views(whole: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < whole.length; i += 64 << 10) yield whole.subarray(i, i + (64 << 10));
}

test('layers unpack on worker threads, several at once, with the same diff IDs; the source memory is left intact', async () => {
  const sb = await mkdtemp(join(tmpdir(), 'berth-workers-'));
  try {
    const { files, diffId: expected } = busyboxLayerFiles(sb);
    const src = join(sb, 'src');
    const workers = new LayerWorkers();
    const blobs = files.map((f) => readFileSync(f));
    const copies = blobs.map((b) => Buffer.from(b));
    const results = await Promise.all(
      files.map(async (f, i) => {
        const target = join(sb, `t${i}`);
        await mkdir(target);
        return { target, r: await workers.apply(target, views(blobs[i] as Buffer), { format: 'overlay' }) };
      }),
    );
    for (const [i, { target, r }] of results.entries()) {
      assert.equal(r.diffId, expected, files[i]);
      assert.equal(await readlink(join(target, 'bin/sh')), 'busybox');
      assert.deepEqual(await readFile(join(target, 'bin/busybox')), await readFile(join(src, 'bin/busybox')));
      // The bytes were copied to the worker, never moved out from under the caller.
      assert.ok((blobs[i] as Buffer).equals(copies[i] as Buffer), `${files[i]} is intact`);
    }
  } finally {
    await rm(sb, { recursive: true, force: true });
  }
});

test('worker errors keep their class; a failing or aborted source stops the unpack', async () => {
  const sb = await mkdtemp(join(tmpdir(), 'berth-workers-'));
  try {
    const workers = new LayerWorkers();
    const gz = gzipSync(Buffer.alloc(10_000, 1));
    await assert.rejects(workers.apply(sb, views(gz.subarray(0, gz.length - 20)), { format: 'overlay' }), InvalidArgument);
    async function* cut(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, 100);
      throw new Error('connection reset');
    }
    await assert.rejects(workers.apply(sb, cut(), { format: 'overlay' }), /connection reset/);
    const ac = new AbortController();
    async function* stall(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, 100);
      await new Promise((r) => setTimeout(r, 60_000).unref());
    }
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    await assert.rejects(workers.apply(sb, stall(), { format: 'overlay', signal: ac.signal }));
    assert.ok(Date.now() - t0 < 10_000, 'the abort ends the unpack promptly');
  } finally {
    await rm(sb, { recursive: true, force: true });
  }
});
