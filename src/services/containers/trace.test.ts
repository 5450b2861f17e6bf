import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepTrace, stepTrace } from './trace.js';

test('a step trace names each step with the time since the one before, and the total', async () => {
  const t = new StepTrace('start abc');
  t.mark('one');
  await new Promise((r) => setTimeout(r, 20));
  t.mark('two');
  const line = t.toString();
  const m = /^trace start abc: one ([\d.]+)ms, two ([\d.]+)ms; total ([\d.]+)ms$/.exec(line);
  assert.ok(m, line);
  assert.ok(Number(m[2]) >= 15, 'the wait is in the second step');
  assert.ok(Math.abs(Number(m[1]) + Number(m[2]) - Number(m[3])) < 0.2, 'the steps add up to the total');
});

test('without a sink a trace writes nothing; with one it writes once, at the end', () => {
  const off = stepTrace(undefined, 'x');
  off.mark('a');
  off.end();
  const lines: string[] = [];
  const on = stepTrace((l) => lines.push(l), 'run 1');
  on.mark('a');
  assert.deepEqual(lines, []);
  on.end();
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /^trace run 1: a [\d.]+ms; total/);
});
