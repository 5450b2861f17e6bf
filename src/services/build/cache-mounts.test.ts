import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheMounts, type CacheRequest } from './cache-mounts.js';

const req = (id: string, sharing: CacheRequest['sharing'], extra: Partial<CacheRequest> = {}): CacheRequest => ({ id, target: '/c', sharing, mode: 0o755, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, ...extra });

async function withStore(fn: (c: CacheMounts, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'cache-mounts-'));
  try {
    await fn(new CacheMounts(join(root, 'mounts')), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('one directory per id, kept between uses, seeded once, counted', async () => {
  await withStore(async (c) => {
    let seeded = 0;
    const seed = async (dir: string): Promise<void> => {
      seeded++;
      await writeFile(join(dir, 'seed'), 'x');
    };
    const a = await c.acquire(req('one', 'shared', { seed }));
    await writeFile(join(a.dir, 'file'), 'kept');
    await a.release();
    const b = await c.acquire(req('one', 'shared', { seed }));
    assert.equal(await readFile(join(b.dir, 'file'), 'utf8'), 'kept');
    assert.equal(b.dir, a.dir);
    assert.equal(seeded, 1);
    const u = await c.usage();
    assert.deepEqual(u.map((x) => [x.id, x.usageCount, x.inUse, x.size > 0]), [['one', 1, true, true]]);
    await b.release();
    assert.equal((await c.usage())[0]?.usageCount, 2);
  });
});

test('locked waits for the holder (or the abort); private takes another directory while busy; shared shares', async () => {
  await withStore(async (c) => {
    const first = await c.acquire(req('L', 'locked'));
    let second: Awaited<ReturnType<CacheMounts['acquire']>> | null = null;
    const waiting = c.acquire(req('L', 'locked')).then((h) => (second = h));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(second, null);
    const stop = new AbortController();
    const cancelled = c.acquire(req('L', 'locked', { signal: stop.signal }));
    stop.abort(new Error('cancelled'));
    await assert.rejects(cancelled, /cancelled/);
    await first.release();
    await waiting;
    assert.equal((second as unknown as { dir: string }).dir, first.dir);
    await (second as unknown as { release: () => Promise<void> }).release();

    const p1 = await c.acquire(req('P', 'private'));
    const p2 = await c.acquire(req('P', 'private'));
    assert.notEqual(p1.dir, p2.dir);
    const s1 = await c.acquire(req('S', 'shared'));
    const s2 = await c.acquire(req('S', 'shared'));
    assert.equal(s1.dir, s2.dir);
    // Prune leaves what is held.
    await p2.release();
    const pruned = await c.prune();
    assert.equal(pruned.deleted.length, 2);
    assert.equal((await c.usage()).length, 2);
    for (const h of [p1, s1, s2]) await h.release();
    assert.equal((await c.prune()).deleted.length, 2);
    assert.deepEqual(await readdir(c.root), []);
  });
});

test('a seed that fails leaves nothing behind', async () => {
  await withStore(async (c) => {
    await assert.rejects(c.acquire(req('bad', 'shared', { seed: () => Promise.reject(new Error('no source')) })), /no source/);
    assert.deepEqual(await readdir(c.root), []);
    assert.deepEqual(await c.usage(), []);
  });
});
