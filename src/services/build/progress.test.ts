import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClassicOrder, StructuredSink, type StepSink } from './progress.js';
import type { SolveStatus } from './types.js';

test('the classic stream keeps Dockerfile order while stages run at once', () => {
  let out = '';
  const o = new ClassicOrder([0, 2, 1], (t) => (out += t));
  const [s0, s1, s2] = [o.writer(0), o.writer(1), o.writer(2)];
  s1('one-a ');
  s0('zero-a ');
  s2('two-a ');
  s1('one-b ');
  o.ended(1);
  assert.equal(out, 'zero-a ');
  o.ended(0);
  assert.equal(out, 'zero-a two-a ');
  s2('two-b ');
  o.ended(2);
  assert.equal(out, 'zero-a two-a two-b one-a one-b ');
});

test('structured steps: only the file-making instructions are numbered; config steps and classic lines are not shown', () => {
  const got: SolveStatus[] = [];
  const s: StepSink = new StructuredSink('build', 3, 'k', (x) => got.push(x));
  s.step('FROM busybox AS build', 'from');
  s.note('busybox: Pulling\n');
  s.result('sha256:1');
  s.step('ENV A=1', 'env');
  s.result('sha256:2');
  s.step('RUN make', 'run');
  s.note(' ---> Running in 0123456789ab\n');
  s.log('made\n');
  s.result('sha256:3');
  s.step('COPY a b', 'copy');
  s.cached();
  s.result('sha256:4');
  s.end();
  const names = got.flatMap((g) => g.vertexes ?? []).map((v) => `${v.name}${v.completed ? ' done' : ''}${v.cached ? ' cached' : ''}`);
  assert.deepEqual(names, ['[build 1/3] FROM busybox AS build', '[build 1/3] FROM busybox AS build done', '[build 2/3] RUN make', '[build 2/3] RUN make done', '[build 3/3] COPY a b', '[build 3/3] COPY a b done cached']);
  const logs = got.flatMap((g) => g.logs ?? []).map((l) => Buffer.from(l.data, 'base64').toString());
  assert.deepEqual(logs, ['busybox: Pulling\n', 'made\n']);
});
