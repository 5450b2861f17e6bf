import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BytePipe, fanOut } from './fan-out.js';

async function collect(p: AsyncIterable<Buffer>): Promise<{ bytes: string; error?: string }> {
  let bytes = '';
  try {
    for await (const c of p) bytes += c.toString();
    return { bytes };
  } catch (e) {
    return { bytes, error: (e as Error).message };
  }
}

async function* source(parts: string[], failAfter?: string): AsyncGenerator<Buffer> {
  for (const s of parts) {
    yield Buffer.from(s);
    await new Promise((r) => setImmediate(r));
  }
  if (failAfter) throw new Error(failAfter);
}

test('every pipe gets every chunk in order, with backpressure from a small limit', async () => {
  const a = new BytePipe(2);
  const b = new BytePipe(2);
  const taken: number[] = [];
  const c = new BytePipe(1, (n) => taken.push(n));
  const parts = ['ab', 'cd', 'ef', 'gh'];
  const [, ra, rb, rc] = await Promise.all([fanOut(source(parts), [a, b, c]), collect(a), collect(b), collect(c)]);
  assert.deepEqual([ra, rb, rc], [{ bytes: 'abcdefgh' }, { bytes: 'abcdefgh' }, { bytes: 'abcdefgh' }]);
  assert.deepEqual(taken, [2, 2, 2, 2]);
});

test('a failing source hands over what arrived before the error, to every pipe', async () => {
  const a = new BytePipe(1 << 20);
  const b = new BytePipe(1 << 20);
  const fed = fanOut(source(['12', '34'], 'cut'), [a, b]);
  await assert.rejects(fed, /cut/);
  // Read only after the failure: the queued bytes still come first.
  assert.deepEqual(await collect(a), { bytes: '1234', error: 'cut' });
  assert.deepEqual(await collect(b), { bytes: '1234', error: 'cut' });
});

test('a reader that leaves or is cancelled does not stop the others', async () => {
  const quitter = new BytePipe(1);
  const cancelled = new BytePipe(1);
  const stayer = new BytePipe(1);
  const leave = (async () => {
    for await (const c of quitter) {
      void c;
      break;
    }
  })();
  cancelled.cancel(new Error('unpack failed'));
  const [, , rc, rs] = await Promise.all([fanOut(source(['a', 'b', 'c']), [quitter, cancelled, stayer]), leave, collect(cancelled), collect(stayer)]);
  assert.deepEqual(rc, { bytes: '', error: 'unpack failed' });
  assert.deepEqual(rs, { bytes: 'abc' });
  assert.equal(quitter.closed, true);
});

test('BytePipe with gather hands the reader what queued up meanwhile joined, up to the limit, in order', async () => {
  const pipe = new BytePipe(1 << 20, undefined, 10);
  for (const s of ['abc', 'def', 'ghij', 'k', 'lmnopqrstu', 'v']) pipe.push(Buffer.from(s));
  pipe.end();
  const got: string[] = [];
  for await (const c of pipe) got.push(c.toString());
  // 'abc'+'def'+'ghij' = 10 bytes; 'k' cannot take the 10-byte chunk along; a chunk is never split.
  assert.deepEqual(got, ['abcdefghij', 'k', 'lmnopqrstu', 'v']);
});
