import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFound } from '../errdefs/index.js';
import { errnoCode, makedev, mknod, S_IFCHR, trimHeap } from './index.js';

test('makedev matches glibc for small and large numbers', () => {
  assert.equal(makedev(1, 3), 0x103n);
  assert.equal(makedev(0, 0), 0n);
  const d = makedev(0x12345, 0x6789a);
  assert.equal(Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)), 0x12345);
  assert.equal(Number((d & 0xffn) | ((d >> 12n) & 0xfffff00n)), 0x6789a);
});

test('errors carry errno text and code', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sys-'));
  try {
    assert.throws(
      () => mknod(join(dir, 'missing/dev'), S_IFCHR | 0o600, 0, 0),
      (e: unknown) => e instanceof NotFound && /mknod .*missing\/dev: No such file or directory \(ENOENT\)/.test(e.message) && errnoCode(e) === 'ENOENT',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trimHeap calls glibc malloc_trim after 64 MB of Buffers were freed, and the process does not grow', async () => {
  let bufs: Buffer[] | null = Array.from({ length: 64 }, () => Buffer.allocUnsafeSlow(1 << 20).fill(1));
  assert.equal(bufs.length, 64);
  bufs = null;
  // The Buffers' memory goes back to malloc once V8 collects them.
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
  const before = process.memoryUsage.rss();
  assert.equal(trimHeap(), true, 'glibc has malloc_trim');
  assert.ok(process.memoryUsage.rss() <= before, 'trimming never grows the process');
});
