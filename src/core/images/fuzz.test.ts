import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { createContentStore } from '../content/index.js';
import { BerthError } from '../../errdefs/index.js';
import { TarWriter, type TarHeader } from '../../util/tar/index.js';
import { readImageArchive } from './archive-read.js';

/*
 * Fuzzing the archive loader (docker save format): a valid archive, mutated, truncated or with its
 * manifest's fields replaced by any JSON, loads or ends in a documented error; nothing is written
 * outside the content store.
 */
const RUNS = Number(process.env['BERTH_FUZZ_RUNS'] ?? 150);

async function tarOf(files: [string, Buffer][]): Promise<Buffer> {
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  w.stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => w.stream.once('end', r));
  for (const [name, body] of files) {
    const h: TarHeader = { name, type: 'file', size: body.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) };
    await w.add(h, body);
  }
  await w.finish();
  await ended;
  return Buffer.concat(chunks);
}

const hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('fuzz: docker save archives, mutated or with any manifest, load or fail with a documented error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-fuzz-archive-'));
  try {
    const layer = await tarOf([['etc/motd', Buffer.from('hi\n')]]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${hex(layer)}`] } }));
    const manifest = (m: unknown): Buffer => Buffer.from(JSON.stringify(m));
    const good = { Config: `${hex(config)}.json`, RepoTags: ['x:1'], Layers: [`${hex(layer)}/layer.tar`] };
    const build = (m: unknown): Promise<Buffer> =>
      tarOf([[`${hex(config)}.json`, config], [`${hex(layer)}/layer.tar`, layer], ['manifest.json', manifest(m)]]);
    const seed = await build([good]);
    const anyManifest = fc
      .tuple(fc.constantFrom('Config', 'RepoTags', 'Layers'), fc.jsonValue({ maxDepth: 2 }))
      .map(([k, v]) => [{ ...good, [k]: v }] as unknown);
    const mutated = fc
      .tuple(fc.array(fc.record({ at: fc.nat({ max: seed.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }), fc.nat({ max: seed.length }))
      .map(([muts, cut]) => {
        const b = Buffer.from(seed);
        for (const m of muts) b[m.at] = m.byte;
        return b.subarray(0, cut);
      });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated.map((b) => ({ bytes: b })), fc.oneof(anyManifest, fc.jsonValue({ maxDepth: 2 })).map((m) => ({ m }))), async (input) => {
        const store = join(dir, `s${n++}`);
        const bytes = 'bytes' in input ? input.bytes : await build(input.m);
        try {
          await readImageArchive(Readable.from([bytes]), createContentStore(store));
        } catch (e) {
          assert.ok(e instanceof BerthError, `undocumented error: ${e instanceof Error ? e.stack : String(e)}`);
        }
        // The loader writes only into the store it was given.
        for (const name of await readdir(store).catch(() => [])) assert.ok(['blobs', 'ingest'].includes(name), `wrote ${name} into the store root`);
        await rm(store, { recursive: true, force: true });
      }),
      { numRuns: RUNS * 2 },
    );
    assert.deepEqual((await readdir(dir)).length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
