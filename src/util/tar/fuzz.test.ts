import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { BerthError } from '../../errdefs/index.js';
import { readTar } from './reader.js';
import { TarWriter } from './writer.js';
import type { TarHeader } from './types.js';

/*
 * Fuzzing the tar codec with fast-check: archives it writes read back as written (names of any
 * length and script, binary xattr values, empty and odd-sized bodies); arbitrary and mutated bytes
 * end in a documented error (a BerthError), never a TypeError or RangeError, never a hang.
 */
const RUNS = Number(process.env['BERTH_FUZZ_RUNS'] ?? 150);

async function readAll(bytes: Buffer): Promise<{ h: TarHeader; body: Buffer }[]> {
  const out: { h: TarHeader; body: Buffer }[] = [];
  for await (const e of readTar(Readable.from([bytes]))) {
    const chunks: Buffer[] = [];
    if (e.body) for await (const c of e.body) chunks.push(Buffer.from(c as Uint8Array));
    out.push({ h: e.header, body: Buffer.concat(chunks) });
  }
  return out;
}

async function writeAll(entries: { name: string; body: Buffer; xattrs: Record<string, Buffer> }[]): Promise<Buffer> {
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  w.stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => w.stream.once('end', r));
  for (const e of entries) {
    const h: TarHeader = { name: e.name, type: 'file', size: e.body.length, mode: 0o644, uid: 0, gid: 0, mtime: new Date(1_000_000_000_000) };
    if (Object.keys(e.xattrs).length > 0) h.xattrs = e.xattrs;
    await w.add(h, e.body);
  }
  await w.finish();
  await ended;
  return Buffer.concat(chunks);
}

const segment = fc.stringMatching(/^[a-zA-Z0-9._\u00e9\u4e2d -]{1,40}$/).filter((s) => s !== '.' && s !== '..' && !s.startsWith('.wh.'));
const entry = fc.record({
  name: fc.array(segment, { minLength: 1, maxLength: 6 }).map((p) => p.join('/')),
  body: fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a)),
  xattrs: fc.dictionary(fc.constantFrom('user.a', 'user.bin', 'security.capability'), fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { maxKeys: 2 }),
});

function isDocumented(e: unknown): boolean {
  return e instanceof BerthError;
}

test('fuzz: what TarWriter writes, readTar reads back exactly', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(entry, { maxLength: 8, selector: (e) => e.name }), async (entries) => {
      const got = await readAll(await writeAll(entries));
      assert.equal(got.length, entries.length);
      for (const [i, e] of entries.entries()) {
        const g = got[i];
        assert.ok(g);
        assert.equal(g.h.name, e.name);
        assert.ok(g.body.equals(e.body));
        for (const [k, v] of Object.entries(e.xattrs)) assert.ok(Buffer.from(g.h.xattrs?.[k] ?? []).equals(v), `xattr ${k}`);
      }
    }),
    { numRuns: RUNS },
  );
});

test('fuzz: random and mutated archives end in a documented error or a clean read, never a crash', async () => {
  const seed = await writeAll([
    { name: 'a/b.txt', body: Buffer.from('hello'), xattrs: { 'user.x': Buffer.from([0, 255, 1]) } },
    { name: `${'long/'.repeat(30)}name`, body: Buffer.alloc(700, 7), xattrs: {} },
  ]);
  const mutated = fc
    .array(fc.record({ at: fc.nat({ max: seed.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 12 })
    .chain((muts) => fc.nat({ max: seed.length }).map((cut) => ({ muts, cut })))
    .map(({ muts, cut }) => {
      const b = Buffer.from(seed);
      for (const m of muts) b[m.at] = m.byte;
      return b.subarray(0, cut);
    });
  const random = fc.uint8Array({ minLength: 0, maxLength: 3000 }).map((a) => Buffer.from(a));
  await fc.assert(
    fc.asyncProperty(fc.oneof(mutated, random), async (bytes) => {
      try {
        await readAll(bytes);
      } catch (e) {
        assert.ok(isDocumented(e), `undocumented error: ${String(e)}`);
      }
    }),
    { numRuns: RUNS * 4, interruptAfterTimeLimit: 20_000 },
  );
});
