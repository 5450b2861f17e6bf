import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Freezer } from './freezer.js';

test('overlapping holds pause once and resume after the last release', async () => {
  const calls: string[] = [];
  const f = new Freezer(
    async (id) => void calls.push(`pause ${id}`),
    async (id) => void calls.push(`resume ${id}`),
  );
  const a = await f.hold('c');
  const b = await f.hold('c');
  await a();
  await a();
  assert.deepEqual(calls, ['pause c']);
  await b();
  assert.deepEqual(calls, ['pause c', 'resume c']);
  const c = await f.hold('c');
  await c();
  assert.deepEqual(calls, ['pause c', 'resume c', 'pause c', 'resume c']);
});

test('a failed pause is reported and leaves nothing held', async () => {
  let fail = true;
  const calls: string[] = [];
  const f = new Freezer(
    async () => {
      if (fail) throw new Error('cannot pause');
      calls.push('pause');
    },
    async () => void calls.push('resume'),
  );
  await assert.rejects(f.hold('x'), /cannot pause/);
  fail = false;
  const r = await f.hold('x');
  await r();
  assert.deepEqual(calls, ['pause', 'resume']);
});
