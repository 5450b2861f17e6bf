import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_RESERVE_BYTES, reserveLogTail } from './log-reserve.js';
import { JsonLogWriter } from './json-log.js';

const allocated = (p: string): number => statSync(p).blocks * 512;

test('a log keeps blocks reserved past its end, and its size stays what was written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reserve-'));
  try {
    const p = join(dir, 'ctr.log');
    reserveLogTail(p);
    assert.equal(statSync(p).size, 0);
    assert.ok(allocated(p) >= LOG_RESERVE_BYTES, `only ${String(allocated(p))} bytes allocated`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the json-file writer tops its reserve up as it writes and gives it back when closed", () => {
  const dir = mkdtempSync(join(tmpdir(), 'reserve-'));
  try {
    const p = join(dir, 'c-json.log');
    const w = new JsonLogWriter(p, { maxSize: 0, maxFile: 1, compress: false });
    const line = { line: Buffer.from(`${'x'.repeat(1000)}\n`), stream: 'stdout' as const, time: new Date() };
    for (let i = 0; i < 200; i++) w.write(line);
    const size = statSync(p).size;
    assert.ok(size > 2 * LOG_RESERVE_BYTES);
    assert.ok(allocated(p) >= size + LOG_RESERVE_BYTES / 2, `${String(allocated(p))} allocated for ${String(size)} bytes`);
    w.close();
    assert.equal(statSync(p).size, size);
    assert.ok(allocated(p) < size + LOG_RESERVE_BYTES / 2, `the reserve stayed after close: ${String(allocated(p))} for ${String(size)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
