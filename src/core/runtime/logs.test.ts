import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseLogLine, parseLogTime } from './log-format.js';
import { readLogs } from './logs.js';
import type { LogEntry, ReadLogsOptions } from './logs.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const t = (s: number): string => `2026-01-01T00:00:${String(s).padStart(2, '0')}.123456789+00:00`;

async function collect(path: string, opts: ReadLogsOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(path, opts)) out.push(e);
  return out;
}
const text = (es: LogEntry[]): string[] => es.map((e) => `${e.stream}:${e.line.toString()}`);

test('parses the CRI line format', () => {
  const l = parseLogLine(Buffer.from(`${t(1)} stderr F oops: a b`));
  assert.equal(l?.stream, 'stderr');
  assert.equal(l?.partial, false);
  assert.equal(l?.text.toString(), 'oops: a b');
  assert.equal(l?.time.toISOString(), '2026-01-01T00:00:01.123Z');
  assert.equal(parseLogLine(Buffer.from(`${t(1)} stdout F`))?.text.length, 0);
  assert.equal(parseLogLine(Buffer.from('garbage')), null);
  assert.equal(parseLogTime('2026-01-01T00:00:00Z')?.getTime(), Date.UTC(2026, 0, 1));
  assert.equal(parseLogTime('2026-01-01T02:00:00.5+02:00')?.getTime(), Date.UTC(2026, 0, 1, 0, 0, 0, 500));
});

test('joins partials, keeps streams, filters by stream and time', async () => {
  const p = join(dir, 'a.log');
  await writeFile(
    p,
    [
      `${t(1)} stdout F one`,
      `${t(2)} stdout P tw`,
      `${t(2)} stderr F err`,
      `${t(3)} stdout F o`,
      `${t(4)} stdout F `,
      `${t(5)} stdout P tail-no-newline`,
      '',
    ].join('\n'),
  );
  assert.deepEqual(text(await collect(p)), ['stdout:one\n', 'stderr:err\n', 'stdout:two\n', 'stdout:\n', 'stdout:tail-no-newline']);
  assert.deepEqual(text(await collect(p, { stdout: false })), ['stderr:err\n']);
  const es = await collect(p, { since: new Date('2026-01-01T00:00:02Z'), until: new Date('2026-01-01T00:00:04Z') });
  assert.deepEqual(text(es), ['stderr:err\n', 'stdout:two\n']);
  assert.equal(es[1]?.time.toISOString(), '2026-01-01T00:00:02.123Z');
});

test('tail returns the last N logical lines', async () => {
  const p = join(dir, 'b.log');
  const lines: string[] = [];
  for (let i = 0; i < 5000; i++) lines.push(`${t(i % 60)} stdout F line ${i}`);
  await writeFile(p, `${lines.join('\n')}\n`);
  assert.deepEqual(text(await collect(p, { tail: 3 })), ['stdout:line 4997\n', 'stdout:line 4998\n', 'stdout:line 4999\n']);
  assert.equal((await collect(p, { tail: 0 })).length, 0);
  assert.equal((await collect(p, { tail: 100000 })).length, 5000);
  assert.equal((await collect(p, { tail: 4999 }))[0]?.line.toString(), 'line 1\n');

  const q = join(dir, 'c.log');
  await writeFile(q, `${t(1)} stdout F a\n${t(2)} stdout P b1\n${t(2)} stdout F b2\n${t(3)} stdout P c`);
  assert.deepEqual(text(await collect(q, { tail: 1 })), ['stdout:c']);
  assert.deepEqual(text(await collect(q, { tail: 2 })), ['stdout:b1b2\n', 'stdout:c']);
  assert.deepEqual(text(await collect(q, { tail: 3 })), ['stdout:a\n', 'stdout:b1b2\n', 'stdout:c']);
});

test('follow sees appended lines and ends when stopWhen resolves', async () => {
  const p = join(dir, 'd.log');
  await writeFile(p, `${t(1)} stdout F first\n`);
  let stop!: () => void;
  const stopWhen = new Promise<void>((r) => (stop = r));
  const got: string[] = [];
  const reader = (async () => {
    for await (const e of readLogs(p, { follow: true, stopWhen })) {
      got.push(e.line.toString());
      if (got.length === 1) await appendFile(p, `${t(2)} stdout P sec\n`);
      if (got.length === 1) await appendFile(p, `${t(2)} stdout F ond\n${t(3)} stderr F third\n`);
      if (got.length === 3) {
        await appendFile(p, `${t(4)} stdout F after-exit\n`);
        stop();
      }
    }
  })();
  await reader;
  assert.deepEqual(got, ['first\n', 'second\n', 'third\n', 'after-exit\n']);
});

test('follow ends on abort', async () => {
  const p = join(dir, 'e.log');
  await writeFile(p, `${t(1)} stdout F x\n`);
  const ac = new AbortController();
  const got: string[] = [];
  setTimeout(() => ac.abort(), 300);
  for await (const e of readLogs(p, { follow: true, signal: ac.signal })) got.push(e.line.toString());
  assert.deepEqual(got, ['x\n']);
});
