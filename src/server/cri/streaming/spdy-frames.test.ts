import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { FLAG_FIN, FrameParser, encodeFrame, type RawFrame } from './spdy-frames.js';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import { HeaderCompressor, HeaderDecompressor, decodeHeaderBlock, encodeHeaderBlock, type SpdyHeaders } from './spdy-headers.js';

test('the SPDY/3 dictionary is the 1423 bytes of the spec', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

test('frames have the layout of the spec, byte for byte', () => {
  // DATA: stream id 31 bits, flags, 24-bit length.
  assert.equal(encodeFrame({ kind: 'data', streamId: 5, flags: FLAG_FIN, data: Buffer.from('hi') }).toString('hex'), '00000005' + '01000002' + '6869');
  // Control frames: 0x8003 (version 3), type, flags, length.
  assert.equal(encodeFrame({ kind: 'rst_stream', streamId: 3, status: 5 }).toString('hex'), '80030003' + '00000008' + '00000003' + '00000005');
  assert.equal(encodeFrame({ kind: 'ping', id: 2 }).toString('hex'), '80030006' + '00000004' + '00000002');
  assert.equal(encodeFrame({ kind: 'goaway', lastGoodStreamId: 7, status: 0 }).toString('hex'), '80030007' + '00000008' + '00000007' + '00000000');
  assert.equal(encodeFrame({ kind: 'window_update', streamId: 1, delta: 65536 }).toString('hex'), '80030009' + '00000008' + '00000001' + '00010000');
  assert.equal(
    encodeFrame({ kind: 'syn_stream', streamId: 1, associatedStreamId: 0, priority: 7, slot: 0, flags: 0, headerBlock: Buffer.from('ab') }).toString('hex'),
    '80030001' + '0000000c' + '00000001' + '00000000' + 'e000' + '6162',
  );
  assert.equal(encodeFrame({ kind: 'syn_reply', streamId: 1, flags: FLAG_FIN, headerBlock: Buffer.alloc(0) }).toString('hex'), '80030002' + '01000004' + '00000001');
  assert.equal(
    encodeFrame({ kind: 'settings', flags: 1, entries: [{ flags: 0, id: 7, value: 65536 }] }).toString('hex'),
    '80030004' + '0100000c' + '00000001' + '00000007' + '00010000',
  );
});

const id31 = fc.integer({ min: 0, max: 0x7fffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const flags = fc.integer({ min: 0, max: 255 });
const frame: fc.Arbitrary<RawFrame> = fc.oneof(
  fc.record({ kind: fc.constant('data' as const), streamId: id31, flags, data: bytes }),
  fc.record({ kind: fc.constant('syn_stream' as const), streamId: id31, associatedStreamId: id31, priority: fc.integer({ min: 0, max: 7 }), slot: fc.integer({ min: 0, max: 255 }), flags, headerBlock: bytes }),
  fc.record({ kind: fc.constant('syn_reply' as const), streamId: id31, flags, headerBlock: bytes }),
  fc.record({ kind: fc.constant('headers' as const), streamId: id31, flags, headerBlock: bytes }),
  fc.record({ kind: fc.constant('rst_stream' as const), streamId: id31, status: u32 }),
  fc.record({ kind: fc.constant('settings' as const), flags, entries: fc.array(fc.record({ flags, id: fc.integer({ min: 0, max: 0xffffff }), value: u32 }).map((e) => ({ ...e })), { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('ping' as const), id: u32 }),
  fc.record({ kind: fc.constant('goaway' as const), lastGoodStreamId: id31, status: u32 }),
  fc.record({ kind: fc.constant('window_update' as const), streamId: id31, delta: id31 }),
).map((f) => ({ ...f }) as RawFrame);

test('every frame decodes to what was encoded, however the bytes are split', () => {
  fc.assert(
    fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 50 }), (frames, cut) => {
      const wire = Buffer.concat(frames.map(encodeFrame));
      const parser = new FrameParser();
      const got: RawFrame[] = [];
      for (let off = 0; off < wire.length; off += cut) got.push(...parser.push(wire.subarray(off, off + cut)));
      assert.deepEqual(got, frames);
      assert.equal(parser.pending, 0);
    }),
  );
});

test('a control frame of another SPDY version or an unknown type is kept as unknown, not misread', () => {
  const v2 = Buffer.from('80020001000000020000', 'hex');
  assert.deepEqual(new FrameParser().push(v2), [{ kind: 'unknown', version: 2, type: 1, flags: 0, payload: Buffer.from('0000', 'hex') }]);
  const short = Buffer.from('800300030000000400000001', 'hex');
  assert.throws(() => new FrameParser().push(short), /RST_STREAM frame of 4 bytes/);
});

test('a header block lists name/value pairs with 32-bit lengths, NUL joining several values', () => {
  const h: SpdyHeaders = new Map([
    ['streamtype', ['stdout']],
    ['x', ['a', 'b']],
  ]);
  const block = encodeHeaderBlock(h);
  assert.equal(block.toString('hex'), '00000002' + '0000000a' + Buffer.from('streamtype').toString('hex') + '00000006' + Buffer.from('stdout').toString('hex') + '00000001' + '78' + '00000003' + '610062');
  assert.deepEqual(decodeHeaderBlock(block), h);
  assert.throws(() => decodeHeaderBlock(block.subarray(0, 10)), /malformed SPDY header block/);
});

test('compressed header blocks share one zlib stream with the SPDY dictionary and round-trip in order', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  const blocks: SpdyHeaders[] = [
    new Map([['streamtype', ['error']]]),
    new Map([['streamtype', ['stdin']], ['port', ['8080']], ['requestid', ['0']]]),
    new Map([['streamtype', ['stdout']]]),
    new Map(),
  ];
  const compressed = await Promise.all(blocks.map((b) => c.compress(b)));
  // The first block stands alone given the dictionary (zlib with FDICT); later ones need the context.
  assert.deepEqual(decodeHeaderBlock(inflateSync(compressed[0] ?? Buffer.alloc(0), { dictionary: SPDY3_DICTIONARY, finishFlush: 2 })), blocks[0]);
  assert.ok((compressed[2]?.length ?? 0) < encodeHeaderBlock(blocks[2] ?? new Map()).length, 'a repeated header compresses against the shared window');
  const back = await Promise.all(compressed.map((b) => d.decompress(b)));
  assert.deepEqual(back, blocks);
  await assert.rejects(d.decompress(Buffer.from('not zlib at all')), /malformed SPDY header block/);
  c.close();
  d.close();
});
