import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import { sha256 } from '../../util/index.js';
import { createContentStore } from './store.js';

async function withStore(fn: (root: string, s: ReturnType<typeof createContentStore>) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'berth-content-'));
  try {
    await fn(root, createContentStore(root));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

test('writes, verifies, reads, lists and deletes a blob', () =>
  withStore(async (root, s) => {
    const data = Buffer.from('hello blob');
    const d = sha256(data);
    assert.equal(await s.info(d), null);
    assert.deepEqual(await s.write(Readable.from([data.subarray(0, 3), data.subarray(3)]), { digest: d, size: data.length }), { digest: d, size: data.length });
    assert.deepEqual(await s.info(d), { digest: d, size: data.length });
    assert.equal(s.path(d), join(root, 'blobs/sha256', d.slice(7)));
    assert.deepEqual(await collect(s.read(d)), data);
    assert.deepEqual(await collect(s.read(d, { start: 6 })), Buffer.from('blob'));
    assert.deepEqual(await s.readAll(d), data);
    await assert.rejects(s.readAll(d, 3), InvalidArgument);
    const listed: string[] = [];
    for await (const x of s.list()) listed.push(x);
    assert.deepEqual(listed, [d]);
    assert.deepEqual(await readdir(join(root, 'ingest')), [], 'ingest is cleaned up');
    await s.delete(d);
    assert.equal(await s.info(d), null);
    await assert.rejects(s.delete(d), NotFound);
    assert.throws(() => s.read(d), NotFound);
  }));

test('computes the digest when none is expected, from buffers and async iterables', () =>
  withStore(async (_root, s) => {
    const r1 = await s.write(Buffer.from('abc'));
    assert.deepEqual(r1, { digest: sha256('abc'), size: 3 });
    async function* gen(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('x');
      yield new TextEncoder().encode('yz');
    }
    assert.deepEqual(await s.write(gen()), { digest: sha256('xyz'), size: 3 });
  }));

test('a wrong digest or size is refused and leaves nothing behind', () =>
  withStore(async (root, s) => {
    const wrong = sha256('something else');
    await assert.rejects(s.write(Buffer.from('data'), { digest: wrong }), (e: unknown) => e instanceof InvalidArgument && /unexpected commit digest/.test(e.message));
    await assert.rejects(s.write(Buffer.from('data'), { size: 3 }), InvalidArgument);
    await assert.rejects(s.write(Buffer.from('data'), { size: 5 }), InvalidArgument);
    assert.equal(await s.info(wrong), null);
    assert.equal(await s.info(sha256('data')), null);
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
    const blobs = await readdir(join(root, 'blobs/sha256')).catch(() => []);
    assert.deepEqual(blobs, []);
  }));

test('concurrent writes of the same blob all succeed with one copy', () =>
  withStore(async (root, s) => {
    const data = Buffer.alloc(3 << 20, 7);
    const d = sha256(data);
    const chunks = (): Readable => Readable.from(Array.from({ length: 48 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536)));
    const results = await Promise.all([
      s.write(chunks()),
      s.write(chunks(), { digest: d }),
      s.write(chunks(), { digest: d, size: data.length }, { ref: 'same-ref' }),
      s.write(chunks(), {}, { ref: 'same-ref' }),
    ]);
    for (const r of results) assert.deepEqual(r, { digest: d, size: data.length });
    assert.deepEqual(await readdir(join(root, 'blobs/sha256')), [d.slice(7)]);
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
    assert.deepEqual(await s.readAll(d), data);
  }));

test('an aborted write leaves nothing behind', () =>
  withStore(async (root, s) => {
    const ac = new AbortController();
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('part one');
      ac.abort();
      yield Buffer.from('part two');
    }
    await assert.rejects(s.write(slow(), {}, { signal: ac.signal }));
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
    assert.deepEqual(await readdir(join(root, 'blobs/sha256')).catch(() => []), []);
  }));

test('a failed source keeps its partial for a resumed write; a wrong resumed digest removes it; old partials are pruned', () =>
  withStore(async (root, store) => {
    const data = Buffer.alloc(300_000, 7);
    const digest = sha256(data);
    async function* cut(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, 100_000);
      throw new Error('connection reset');
    }
    await assert.rejects(store.write(cut(), { digest, size: data.length }, { ref: 'dl', keepPartial: true }), /connection reset/);
    assert.equal(await store.partialSize('dl'), 100_000);
    const info = await store.write(data.subarray(100_000), { digest, size: data.length }, { ref: 'dl', resume: true, keepPartial: true });
    assert.deepEqual(info, { digest, size: data.length });
    assert.equal(await store.partialSize('dl'), 0, 'the partial is gone once committed');

    const other = Buffer.alloc(1000, 9);
    await assert.rejects(store.write(cut(), { digest: sha256(other), size: 300_000 }, { ref: 'bad', keepPartial: true }));
    await assert.rejects(store.write(Buffer.alloc(200_000, 1), { digest: sha256(other), size: 300_000 }, { ref: 'bad', resume: true, keepPartial: true }), InvalidArgument);
    assert.equal(await store.partialSize('bad'), 0, 'a partial that does not add up is dropped');

    await assert.rejects(store.write(cut(), {}, { ref: 'old', keepPartial: true }));
    assert.equal(await store.prunePartials(60_000), 0, 'a fresh partial stays');
    assert.equal(await store.prunePartials(-1), 1);
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
  }));

test('adopt moves a file written and hashed elsewhere into the store; a wrong size is refused and the file kept', () =>
  withStore(async (root, s) => {
    const data = Buffer.from('uploaded elsewhere');
    const d = sha256(data);
    const file = join(root, 'session-data');
    await writeFile(file, data);
    await assert.rejects(s.adopt(file, { digest: d, size: data.length + 1 }), InvalidArgument);
    assert.equal(await s.info(d), null);
    assert.deepEqual(await s.adopt(file, { digest: d, size: data.length }), { digest: d, size: data.length });
    assert.deepEqual(await collect(s.read(d)), data);
    assert.equal(existsSync(file), false, 'moved, not copied');
    await writeFile(file, data);
    assert.deepEqual(await s.adopt(file, { digest: d, size: data.length }), { digest: d, size: data.length }, 'already stored');
  }));

test('a kept partial saves its digest state: a resumed write continues it without reading back what it kept; a record of another boot or size is not trusted', () =>
  withStore(async (root, store) => {
    const data = randomBytes(13 << 20);
    const digest = sha256(data);
    const keptBytes = 10 << 20;
    async function* cut(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < keptBytes; i += 1 << 20) yield data.subarray(i, i + (1 << 20));
      throw new Error('connection reset');
    }
    const partial = join(root, 'ingest', 'dl', 'data');
    const record = join(root, 'ingest', 'dl', 'hash');
    const tryOnce = async (): Promise<void> => {
      await assert.rejects(store.write(cut(), { digest, size: data.length }, { ref: 'dl', keepPartial: true }), /connection reset/);
      assert.equal(await store.partialSize('dl'), keptBytes);
    };
    // The state saved covers the first 8 MiB: a byte changed in there afterwards is not read again
    // (which is how this test sees that the state was used), while the rest of the partial is.
    await tryOnce();
    const saved = JSON.parse(await readFile(record, 'utf8')) as { size: number };
    assert.equal(saved.size, 8 << 20);
    const fh = await open(partial, 'r+');
    await fh.write(Buffer.from([data[100]! ^ 1]), 0, 1, 100);
    await fh.close();
    const info = await store.write(data.subarray(keptBytes), { digest, size: data.length }, { ref: 'dl', resume: true, keepPartial: true });
    assert.equal(info.digest, digest);
    await store.delete(digest);

    // A byte changed after the saved point is read, hashed, and refused.
    await tryOnce();
    const fh2 = await open(partial, 'r+');
    await fh2.write(Buffer.from([data[(9 << 20) + 5]! ^ 1]), 0, 1, (9 << 20) + 5);
    await fh2.close();
    await assert.rejects(store.write(data.subarray(keptBytes), { digest, size: data.length }, { ref: 'dl', resume: true, keepPartial: true }), InvalidArgument);

    // A record from another boot, or for more bytes than the partial holds, is ignored: all is hashed again.
    for (const tamper of [(r: Record<string, unknown>) => ({ ...r, boot: 'another-boot' }), (r: Record<string, unknown>) => ({ ...r, size: keptBytes + 1 })]) {
      await tryOnce();
      const fh3 = await open(partial, 'r+');
      await fh3.write(Buffer.from([data[100]! ^ 1]), 0, 1, 100);
      await fh3.close();
      await writeFile(record, JSON.stringify(tamper(JSON.parse(await readFile(record, 'utf8')) as Record<string, unknown>)));
      await assert.rejects(store.write(data.subarray(keptBytes), { digest, size: data.length }, { ref: 'dl', resume: true, keepPartial: true }), InvalidArgument);
    }
  }));
