import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthCommand, mergeHealth, recordResult, type HealthState } from './health.js';

test('health commands in all three forms', () => {
  assert.deepEqual(healthCommand({ test: ['CMD', 'true', 'x'] }), ['true', 'x']);
  assert.deepEqual(healthCommand({ test: ['CMD-SHELL', 'test -f /ok'] }), ['/bin/sh', '-c', 'test -f /ok']);
  assert.equal(healthCommand({ test: ['NONE'] }), undefined);
  assert.equal(healthCommand(undefined), undefined);
  assert.deepEqual(mergeHealth({ test: ['CMD', 'a'], intervalNs: 5, retries: 2 }, { intervalNs: 9 }), { test: ['CMD', 'a'], intervalNs: 9, retries: 2 });
});

test('healthy at the first success, unhealthy after Retries failures in a row', () => {
  const e = (code: number) => ({ start: '', end: '', exitCode: code, output: '' });
  let s: HealthState = { status: 'starting', failingStreak: 0, log: [] };
  s = recordResult(s, { retries: 2 }, e(1), true);
  assert.equal(s.status, 'starting');
  assert.equal(s.failingStreak, 0, 'failures in the start period do not count');
  s = recordResult(s, { retries: 2 }, e(0), false);
  assert.equal(s.status, 'healthy');
  s = recordResult(s, { retries: 2 }, e(1), false);
  assert.equal(s.status, 'healthy');
  s = recordResult(s, { retries: 2 }, e(1), false);
  assert.equal(s.status, 'unhealthy');
  assert.equal(s.failingStreak, 2);
  for (let i = 0; i < 10; i++) s = recordResult(s, { retries: 2 }, e(1), false);
  assert.equal(s.log.length, 5, 'the log keeps the last five results');
});
