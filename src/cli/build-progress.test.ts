import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainRenderer, progressMode, TtyRenderer, type SolveStatus } from './build-progress.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const T0 = '2026-01-01T00:00:00.000Z';
const at = (ms: number): string => new Date(Date.parse(T0) + ms).toISOString();

function render(updates: SolveStatus[], error?: string): string {
  let out = '';
  const r = new PlainRenderer((t) => (out += t));
  for (const u of updates) r.update(u);
  r.done(error);
  return out;
}

test('plain: numbered steps, output with its time, DONE/CACHED/ERROR, a header again when steps interleave', () => {
  const out = render(
    [
      { vertexes: [{ digest: 'a', name: '[a 2/2] RUN make', started: T0 }] },
      { logs: [{ vertex: 'a', stream: 1, data: b64('one\ntwo\n'), timestamp: at(250) }] },
      { vertexes: [{ digest: 'b', name: '[b 2/2] RUN test', started: T0 }] },
      { vertexes: [{ digest: 'a', name: '[a 2/2] RUN make', started: T0, completed: at(1340) }] },
      { vertexes: [{ digest: 'b', name: '[b 2/2] RUN test', started: T0, completed: at(10), cached: true }] },
      { vertexes: [{ digest: 'c', name: '[3/3] RUN false', started: T0 }] },
      { vertexes: [{ digest: 'c', name: '[3/3] RUN false', started: T0, completed: at(10), error: 'exit code: 1' }] },
    ],
    'failed to solve',
  );
  assert.equal(
    out,
    [
      '#1 [a 2/2] RUN make',
      '#1 0.250 one',
      '#1 0.250 two',
      '',
      '#2 [b 2/2] RUN test',
      '',
      '#1 [a 2/2] RUN make',
      '#1 DONE 1.3s',
      '',
      '#2 [b 2/2] RUN test',
      '#2 CACHED',
      '',
      '#3 [3/3] RUN false',
      '#3 ERROR: exit code: 1',
      '',
      '------',
      ' > [3/3] RUN false:',
      '------',
      'ERROR: failed to solve',
      '',
    ].join('\n'),
  );
});

test('tty: a [+] Building header, one line per step with its time, the last lines of a running step', () => {
  let out = '';
  const r = new TtyRenderer((t) => (out += t), () => 60);
  r.update({ vertexes: [{ digest: 'a', name: '[1/2] FROM busybox', started: T0, completed: at(100) }] });
  r.update({ vertexes: [{ digest: 'b', name: '[2/2] RUN seq 10', started: T0, cached: true, completed: at(0) }] });
  r.done();
  assert.match(out, /\[\+\] Building \d+\.\ds \(2\/2\) FINISHED\n/);
  assert.match(out, / => \[1\/2\] FROM busybox +0\.1s\n/);
  assert.match(out, / => CACHED \[2\/2\] RUN seq 10 +0\.0s\n/);
  const lines = out.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, ''));
  assert.ok(lines.every((l) => l.length <= 60), 'lines fit the terminal');
});

test('--progress modes as buildx reads them', () => {
  assert.equal(progressMode(undefined, false, true), 'tty');
  assert.equal(progressMode('auto', false, false), 'plain');
  assert.equal(progressMode('plain', true, true), 'quiet');
  assert.equal(progressMode('rawjson', false, true), 'rawjson');
  assert.throws(() => progressMode('fancy', false, true), /invalid progress mode "fancy"/);
});

test('tty: a running frame fits the terminal height (the oldest lines give way)', async () => {
  let out = '';
  const r = new TtyRenderer((t) => (out += t), () => 80, () => 6);
  for (let i = 1; i <= 10; i++) r.update({ vertexes: [{ digest: `v${i}`, name: `[${i}/10] RUN step ${i}`, started: T0 }] });
  await new Promise((res) => setTimeout(res, 150));
  const frame = out.split('\n').filter((l) => l.includes('=>') || l.includes('[+]'));
  assert.equal(frame.length, 5, out);
  assert.match(frame[0] ?? '', /\[\+\] Building/);
  assert.match(frame[4] ?? '', /RUN step 10/);
  r.done();
  assert.match(out, /RUN step 1 /, 'the final frame lists every step');
});
