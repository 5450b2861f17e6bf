import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reserveRealtime } from './cgroup-features.js';

/** A v1 cpu controller as files: the kernel's rules are not checked, only what berth writes. */
async function fakeCpu(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'berth-rt-'));
  await mkdir(join(root, 'cpu'), { recursive: true });
  await writeFile(join(root, 'cpu', 'cgroup.procs'), '');
  await writeFile(join(root, 'cpu', 'cpu.rt_runtime_us'), '950000');
  return root;
}

const rt = async (root: string, ...path: string[]): Promise<number> => Number((await readFile(join(root, 'cpu', ...path, 'cpu.rt_runtime_us'), 'utf8')).trim());

test('a real-time budget is reserved down every cgroup of a nested parent, beside what siblings hold', async () => {
  const root = await fakeCpu();
  try {
    for (const [dir, v] of [['a', '0'], ['a/b', '0'], ['a/other', '3000']] as const) {
      await mkdir(join(root, 'cpu', dir), { recursive: true });
      await writeFile(join(root, 'cpu', dir, 'cpu.rt_runtime_us'), v);
    }
    await reserveRealtime('c1', 10000, root, '/a/b');
    assert.deepEqual([await rt(root, 'a'), await rt(root, 'a', 'b')], [13000, 10000]);
    // A parent that already holds more keeps it; its parent holds at least that much.
    await writeFile(join(root, 'cpu', 'a', 'b', 'cpu.rt_runtime_us'), '40000');
    await reserveRealtime('c2', 10000, root, 'a/b');
    assert.deepEqual([await rt(root, 'a'), await rt(root, 'a', 'b')], [43000, 40000]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('without a parent the budget goes to /berth, as before', async () => {
  const root = await fakeCpu();
  try {
    await mkdir(join(root, 'cpu', 'berth'), { recursive: true });
    await writeFile(join(root, 'cpu', 'berth', 'cpu.rt_runtime_us'), '0');
    await reserveRealtime('c1', 20000, root);
    assert.equal(await rt(root, 'berth'), 20000);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
