import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GUNZIP_BOUNDARY, GUNZIP_OUTPUT_FULL, nativeResumable, newResumableHash, type NativeResumable } from './resumable.js';

function addon(): NativeResumable {
  const n = nativeResumable();
  assert.ok(n, 'the native addon is built (scripts/setup: dist/native/resumable.node)');
  return n;
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('a saved sha256 state continues to the digest of the whole; a foreign state is refused', () => {
  addon();
  const data = randomBytes(1 << 20);
  for (const cut of [0, 1, 63, 64, 65, 1000, data.length]) {
    const a = newResumableHash();
    a.update(data.subarray(0, cut));
    const saved = a.save();
    assert.ok(saved);
    const b = newResumableHash(saved);
    b.update(data.subarray(cut));
    assert.equal(b.digest(), sha(data), `cut at ${cut}`);
    // digest() does not end the hash: it can go on.
    a.update(data.subarray(cut));
    assert.equal(a.digest(), sha(data));
  }
  assert.throws(() => newResumableHash(Buffer.alloc(116)), /not a saved sha256 state/);
  assert.throws(() => newResumableHash(Buffer.alloc(10)), /not a saved sha256 state/);
});

/** Gunzips `input` from `at` (with `state`, a boundary's saved form), in `step`-byte pieces; boundaries about every `every` bytes. */
function gunzip(input: Buffer, opts: { every?: number; state?: Buffer; at?: number; step?: number } = {}) {
  const g = new (addon().Gunzip)(opts.state);
  const res = new Float64Array(2);
  const out: Buffer[] = [];
  const marks: { in: number; out: number; state: Buffer }[] = [];
  let buf = Buffer.alloc(100_000);
  let used = 0;
  let start = 0;
  let since = 0;
  const step = opts.step ?? 65536;
  const run = (chunk: Buffer): void => {
    let off = 0;
    for (;;) {
      const st = g.write(chunk, off, buf, used, (opts.every ?? 0) > 0 && since >= (opts.every ?? 0), res);
      off += res[0]!;
      used += res[1]!;
      since += res[1]!;
      if (st === GUNZIP_BOUNDARY) {
        const [i, o] = g.position();
        marks.push({ in: i, out: o, state: g.saved() });
        since = 0;
      } else if (st === GUNZIP_OUTPUT_FULL) {
        out.push(buf.subarray(start, used));
        buf = Buffer.alloc(100_000);
        used = start = 0;
      } else return;
    }
  };
  for (let i = opts.at ?? 0; i < input.length; i += step) run(input.subarray(i, i + step));
  run(Buffer.alloc(0));
  out.push(buf.subarray(start, used));
  g.finish();
  return { out: Buffer.concat(out), marks };
}

test('gunzip: the same bytes as zlib, and a boundary saved anywhere continues to the same end', () => {
  const text = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'xyz'.repeat(i % 9)}\n`).join(''));
  const inputs = {
    random: gzipSync(randomBytes(3 << 20), { level: 1 }),
    text: gzipSync(text, { level: 9 }),
    // Two members, trailing zeros (as node's gunzip, which berth used before, accepts), a tiny step.
    members: Buffer.concat([gzipSync(text.subarray(0, 500_000)), gzipSync(randomBytes(300_000)), Buffer.alloc(16)]),
  };
  for (const [name, gz] of Object.entries(inputs)) {
    const want = gunzipSync(gz);
    const whole = gunzip(gz, { every: 128 << 10 });
    assert.ok(whole.out.equals(want), `${name}: same bytes as zlib`);
    assert.ok(whole.marks.length >= 3, `${name}: boundaries were found (${whole.marks.length})`);
    for (const m of whole.marks) {
      assert.ok(gunzip(gz, { state: m.state, at: m.in, step: 4099 }).out.equals(want.subarray(m.out)), `${name}: continued from ${m.in}`);
    }
  }
});

test('gunzip: bad data, a bad check, a cut stream and a foreign state are errors', () => {
  const gz = gzipSync(Buffer.alloc(200_000, 'a'));
  const flip = (i: number): Buffer => {
    const b = Buffer.from(gz);
    b[i]! ^= 0xff;
    return b;
  };
  assert.throws(() => gunzip(flip(0)), /incorrect header check/);
  assert.throws(() => gunzip(flip(gz.length - 6)), /incorrect data check/);
  assert.throws(() => gunzip(flip(gz.length - 2)), /incorrect length check/);
  assert.throws(() => gunzip(gz.subarray(0, gz.length - 3)), /unexpected end of file/);
  assert.throws(() => gunzip(gz.subarray(0, 40)), /unexpected end of file/);
  assert.throws(() => gunzip(flip(12)), /invalid|incorrect/);
  const G = addon().Gunzip;
  assert.throws(() => new G(Buffer.alloc(50)), /not a saved gunzip state/);
});
