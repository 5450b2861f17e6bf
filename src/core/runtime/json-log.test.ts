import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encodeJsonLogLine, JsonLogWriter, jsonLogFiles, lastJsonLogEntries, parseJsonLogLine, rotatedName } from './json-log.js';
import { readJsonLog } from './json-log-reader.js';

const t = new Date('2026-12-08T00:00:01.250Z');

test("a line is Docker's json-file entry: log with its newline, stream, attrs, time", () => {
  assert.equal(encodeJsonLogLine({ stream: 'stdout', time: t, line: Buffer.from('hi "x"\n') }), '{"log":"hi \\"x\\"\\n","stream":"stdout","time":"2026-12-08T00:00:01.250Z"}\n');
  assert.equal(encodeJsonLogLine({ stream: 'stderr', time: t, line: Buffer.from('e') }, { tag: 'web' }), '{"log":"e","stream":"stderr","attrs":{"tag":"web"},"time":"2026-12-08T00:00:01.250Z"}\n');
  const back = parseJsonLogLine('{"log":"a\\n","stream":"stderr","time":"2026-12-08T00:00:01.123456789Z"}');
  assert.equal(back?.stream, 'stderr');
  assert.equal(back?.line.toString(), 'a\n');
  assert.equal(back?.time.toISOString(), '2026-12-08T00:00:01.123Z');
  assert.equal(parseJsonLogLine('{"log":"a"'), null, 'a torn line');
});

test("rotated files take Docker's names: .1 the newest, .gz when compressed", () => {
  assert.equal(rotatedName('/c/x-json.log', 1, false), '/c/x-json.log.1');
  assert.equal(rotatedName('/c/x-json.log', 3, true), '/c/x-json.log.3.gz');
});

test('the writer rotates before a write would pass max-size, keeps max-file files, gzips the rotated ones; the reader reads them all in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jsonlog-'));
  try {
    const path = join(dir, 'c-json.log');
    const w = new JsonLogWriter(path, { maxSize: 300, maxFile: 3, compress: true });
    for (let i = 0; i < 40; i++) w.write({ stream: i % 2 ? 'stderr' : 'stdout', time: new Date(t.getTime() + i), line: Buffer.from(`line ${String(i)}\n`) });
    w.close();
    assert.deepEqual(readdirSync(dir).sort(), ['c-json.log', 'c-json.log.1.gz', 'c-json.log.2.gz']);
    for (const name of readdirSync(dir)) {
      const data = name.endsWith('.gz') ? gunzipSync(readFileSync(join(dir, name))) : readFileSync(join(dir, name));
      assert.ok(data.length <= 300, `${name}: ${String(data.length)} bytes`);
    }
    assert.deepEqual(jsonLogFiles(path).map((f) => f.path.slice(dir.length + 1)), ['c-json.log.2.gz', 'c-json.log.1.gz', 'c-json.log']);
    const all: string[] = [];
    for await (const e of readJsonLog(path)) all.push(e.line.toString().trim());
    assert.equal(all.at(-1), 'line 39');
    const ns = all.map((l) => Number(l.split(' ')[1]));
    for (let i = 1; i < ns.length; i++) assert.equal(ns[i], (ns[i - 1] as number) + 1);
    const tail: string[] = [];
    for await (const e of readJsonLog(path, { tail: 4, stdout: false })) tail.push(e.line.toString().trim());
    assert.equal(tail.length, 4);
    assert.equal(tail.at(-1), 'line 39');
    assert.ok(tail.every((l) => Number(l.split(' ')[1]) % 2 === 1), 'stderr only');
    assert.deepEqual(lastJsonLogEntries(path).map((e) => e.line.toString()), ['line 39\n']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('max-file 1 starts the one file over', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jsonlog-'));
  try {
    const path = join(dir, 'c-json.log');
    const w = new JsonLogWriter(path, { maxSize: 100, maxFile: 1, compress: false });
    for (let i = 0; i < 10; i++) w.write({ stream: 'stdout', time: t, line: Buffer.from(`line ${String(i)}\n`) });
    w.close();
    assert.deepEqual(readdirSync(dir), ['c-json.log']);
    assert.match(readFileSync(path, 'utf8'), /line 9/);
    assert.doesNotMatch(readFileSync(path, 'utf8'), /line 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
