import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { listenCriSocket } from './index.js';

test('the CRI socket is root-only, takes the place of a stale socket and refuses to replace another file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-cri-lazy-'));
  try {
    const sock = path.join(dir, 'run', 'cri.sock');
    const got: string[] = [];
    const first = await listenCriSocket(sock, (s) => { got.push('first'); s.destroy(); });
    assert.equal((await stat(sock)).mode & 0o777, 0o660);
    await new Promise<void>((resolve) => first.close(() => resolve()));
    // A berthd that died leaves its socket file behind: the next one listens in its place.
    await writeFile(path.join(dir, 'x'), '');
    const { createServer } = await import('node:net');
    const stale = createServer();
    await new Promise<void>((resolve) => stale.listen(sock, () => resolve()));
    stale.unref();
    const second = await listenCriSocket(sock, (s) => { got.push('second'); s.end(); });
    await new Promise<void>((resolve, reject) => {
      const c = connect(sock, () => undefined);
      c.on('close', () => resolve());
      c.on('error', reject);
      c.resume();
    });
    assert.deepEqual(got, ['second']);
    await new Promise<void>((resolve) => second.close(() => resolve()));
    await assert.rejects(listenCriSocket(path.join(dir, 'x'), () => undefined), /a file that is not a socket is in the way/);
    stale.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
