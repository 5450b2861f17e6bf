import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LogRotationWatch, logChain, logRotationFromOpts, parseLogSize, prepareLogForStart, settleLog } from './log-files.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-logfiles-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What conmon does at its size cap: a new <log>.tmp (O_TRUNC|O_CREAT), renamed over <log>. */
async function conmonRotate(log: string): Promise<void> {
  const fh = await open(`${log}.tmp`, 'w');
  await fh.close();
  await rename(`${log}.tmp`, log);
}

async function chainText(log: string): Promise<string> {
  let s = '';
  for (const f of logChain(log)) s += await readFile(f.path, 'utf8');
  return s;
}

test('sizes and options as Docker parses them', () => {
  assert.equal(parseLogSize('1k'), 1024);
  assert.equal(parseLogSize('10m'), 10 * 1024 * 1024);
  assert.equal(parseLogSize('1.5KB'), 1536);
  assert.equal(parseLogSize('512'), 512);
  assert.throws(() => parseLogSize('abc'), /invalid size: 'abc'/);
  assert.throws(() => parseLogSize('0'), /positive/);
  assert.deepEqual(logRotationFromOpts({}), { maxSize: 20 * 1024 * 1024, maxFile: 5 });
  assert.deepEqual(logRotationFromOpts({ 'max-size': '100k', 'max-file': '3' }), { maxSize: 102400, maxFile: 3 });
  assert.throws(() => logRotationFromOpts({ 'max-file': '0' }), /max-file cannot be less than 1/);
  assert.throws(() => logRotationFromOpts({ compress: 'true' }), /unknown log opt 'compress'/);
});

test('rotations keep max-file files in order; a rotation berthd missed is still caught once', async () => {
  const log = join(dir, 'a', 'container.log');
  await rm(join(dir, 'a'), { recursive: true, force: true });
  await mkdir(join(dir, 'a'));
  await writeFile(log, '');
  prepareLogForStart(log, 3);
  await appendFile(log, 'one\n');
  for (const line of ['two\n', 'three\n', 'four\n']) {
    await conmonRotate(log);
    await appendFile(log, line);
    settleLog(log, 3);
  }
  assert.equal(await chainText(log), 'two\nthree\nfour\n');
  const names = (await readdir(join(dir, 'a'))).sort();
  assert.deepEqual(names.filter((n) => /\.\d+$/.test(n)).length, 3);
  // Two rotations before berthd looks: the prepared file and conmon's own both survive.
  await conmonRotate(log);
  await appendFile(log, 'five\n');
  await conmonRotate(log);
  await appendFile(log, 'six\n');
  assert.equal(await chainText(log), 'two\nthree\nfour\nfive\nsix\n', 'readers see unnamed files before berthd settles');
  settleLog(log, 3);
  assert.equal(await chainText(log), 'four\nfive\nsix\n');
  // A restart with output in the current file begins a new one.
  prepareLogForStart(log, 3);
  await appendFile(log, 'seven\n');
  assert.equal(await chainText(log), 'five\nsix\nseven\n');
});

test('the watch names every rotation as it happens (no poll), and stops with close', async () => {
  const sub = join(dir, 'w');
  await mkdir(sub);
  const log = join(sub, 'container.log');
  await writeFile(log, '');
  prepareLogForStart(log, 3);
  const errors: unknown[] = [];
  const w = new LogRotationWatch(log, { maxSize: 1024, maxFile: 3 }, (e) => errors.push(e), 3_600_000);
  try {
    for (let i = 0; i < 8; i++) {
      await appendFile(log, `line ${i}\n`);
      // What conmon does, from another process as conmon is one.
      execFileSync('sh', ['-c', 'f=$1; : > "$f.tmp"; mv "$f.tmp" "$f"', 'sh', log]);
      const deadline = Date.now() + 10_000;
      while (!(await stat(`${log}.tmp`).catch(() => null))) {
        assert.ok(Date.now() < deadline, `rotation ${i} was not noticed`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  } finally {
    w.close();
  }
  assert.deepEqual(errors, []);
  // max-file counts the current file (empty here, the last rotation just made it).
  assert.equal(await chainText(log), 'line 6\nline 7\n');
  assert.equal(logChain(log).length, 3);
});
