import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { FrameDecoder, STDERR, STDOUT, createDemuxer, createFrameEncoder, encodeFrame } from './stdcopy.js';

test('encodeFrame writes Docker\'s 8-byte header', () => {
  const f = encodeFrame(STDERR, Buffer.from('hi'));
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 2]);
  assert.equal(f.subarray(8).toString(), 'hi');
});

test('decoder handles frames split across chunks and several per chunk', () => {
  const all = Buffer.concat([encodeFrame(STDOUT, Buffer.from('hello ')), encodeFrame(STDERR, Buffer.from('oops')), encodeFrame(STDOUT, Buffer.from('world'))]);
  const d = new FrameDecoder();
  const frames = [];
  for (let i = 0; i < all.length; i += 3) frames.push(...d.push(all.subarray(i, i + 3)));
  assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, 'hello '], [2, 'oops'], [1, 'world']]);
  assert.equal(d.remaining, 0);
});

test('decoder rejects a stream that is not framed', () => {
  assert.throws(() => new FrameDecoder().push(Buffer.from('plain text output')), /Unrecognized input header/);
});

test('encoder and demuxer round-trip into separate streams', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (c: Buffer) => outChunks.push(c));
  err.on('data', (c: Buffer) => errChunks.push(c));
  const framedOut = await collect(Readable.from([Buffer.from('a'), Buffer.from(''), Buffer.from('b')]).pipe(createFrameEncoder(STDOUT)));
  const framedErr = encodeFrame(STDERR, Buffer.from('E'));
  await pipeline(Readable.from([framedOut.subarray(0, 5), Buffer.concat([framedOut.subarray(5), framedErr])]), createDemuxer(out, err));
  assert.equal(Buffer.concat(outChunks).toString(), 'ab');
  assert.equal(Buffer.concat(errChunks).toString(), 'E');
});

async function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
