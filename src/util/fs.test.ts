import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeChunks } from './fs.js';

test('writeChunks writes every chunk in order across batches; a throwing onChunk stops the copy after writing what came before', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-fs-'));
  try {
    // Uneven chunk sizes that cross the 1 MiB batch boundary several times.
    const chunks = Array.from({ length: 60 }, (_, i) => randomBytes(1000 + ((i * 7919) % 90_000)));
    const fh = await open(join(dir, 'a'), 'w');
    let seen = 0;
    await writeChunks(fh, (async function* () { yield* chunks; })(), (c) => void (seen += c.length));
    await fh.close();
    assert.deepEqual(await readFile(join(dir, 'a')), Buffer.concat(chunks));
    assert.equal(seen, Buffer.concat(chunks).length);

    const fh2 = await open(join(dir, 'b'), 'w');
    let n = 0;
    await assert.rejects(
      writeChunks(fh2, (async function* () { yield* chunks; })(), () => {
        if (++n === 3) throw new Error('too big');
      }),
      /too big/,
    );
    await fh2.close();
    assert.deepEqual(await readFile(join(dir, 'b')), Buffer.concat(chunks.slice(0, 2)), 'the chunks accepted before the failure are written');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
