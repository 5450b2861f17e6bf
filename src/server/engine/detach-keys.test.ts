import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DetachScanner, parseDetachKeys } from './detach-keys.js';

test('parseDetachKeys reads Docker notation', () => {
  assert.deepEqual([...parseDetachKeys('')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,x,ctrl-@')], [1, 120, 0]);
  assert.throws(() => parseDetachKeys('ctrl-1x'), /Invalid escape keys/);
});

async function scan(keys: string, chunks: string[]): Promise<{ out: string; detached: boolean }> {
  const s = new DetachScanner(parseDetachKeys(keys));
  let detached = false;
  s.on('detach', () => (detached = true));
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  for (const c of chunks) s.write(Buffer.from(c, 'latin1'));
  s.end();
  await new Promise((r) => setImmediate(r));
  return { out: Buffer.concat(got).toString('latin1'), detached };
}

test('DetachScanner detaches on the sequence across chunks and keeps other bytes', async () => {
  assert.deepEqual(await scan('', ['ab\x10', '\x11zz']), { out: 'ab', detached: true });
  assert.deepEqual(await scan('', ['a\x10b', '\x10\x10\x11']), { out: 'a\x10b\x10', detached: true });
  assert.deepEqual(await scan('', ['a\x10']), { out: 'a\x10', detached: false });
});
