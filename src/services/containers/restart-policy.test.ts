import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { nextBackoff, shouldRestart, startsWithDaemon } from './restart-policy.js';

function rec(name: string, max = 0, restartCount = 0, manuallyStopped = false, status: ContainerRecord['state']['status'] = 'exited'): ContainerRecord {
  return {
    spec: { lifecycle: { restartPolicy: { name, maximumRetryCount: max } } },
    restartCount,
    manuallyStopped,
    state: { status },
  } as unknown as ContainerRecord;
}

test('restart policies decide like Docker', () => {
  assert.equal(shouldRestart(rec('no'), 1), false);
  assert.equal(shouldRestart(rec('always'), 0), true);
  assert.equal(shouldRestart(rec('always', 0, 0, true), 0), false);
  assert.equal(shouldRestart(rec('unless-stopped'), 0), true);
  assert.equal(shouldRestart(rec('on-failure'), 0), false);
  assert.equal(shouldRestart(rec('on-failure'), 2), true);
  assert.equal(shouldRestart(rec('on-failure', 3, 2), 1), true);
  assert.equal(shouldRestart(rec('on-failure', 3, 3), 1), false);
});

test('which containers come back with the daemon', () => {
  assert.equal(startsWithDaemon(rec('always', 0, 0, true)), true);
  assert.equal(startsWithDaemon(rec('unless-stopped', 0, 0, true)), false);
  assert.equal(startsWithDaemon(rec('unless-stopped')), true);
  assert.equal(startsWithDaemon(rec('on-failure')), false);
  assert.equal(startsWithDaemon(rec('on-failure', 0, 0, false, 'restarting')), true);
});

test('back-off doubles, caps at a minute, resets after a long run', () => {
  assert.equal(nextBackoff(undefined, 0), 100);
  assert.equal(nextBackoff(100, 50), 200);
  assert.equal(nextBackoff(40_000, 50), 60_000);
  assert.equal(nextBackoff(6400, 11_000), 100);
});
