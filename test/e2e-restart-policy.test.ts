import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon, eventually } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

async function state(name: string): Promise<{ Status: string; Pid: number; ExitCode: number; RestartCount: number }> {
  const j = JSON.parse((await d.berth(['inspect', name])).stdout)[0];
  return { ...j.State, RestartCount: j.RestartCount };
}

test('on-failure:N restarts a failing container N times, then leaves it exited', async () => {
  await d.berth(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']);
  const s = await eventually(async () => {
    const st = await state('flaky');
    return st.RestartCount === 2 && st.Status === 'exited' ? st : null;
  }, 15_000, 'two restarts');
  assert.equal(s.ExitCode, 3);
  await new Promise((r) => setTimeout(r, 800));
  assert.equal((await state('flaky')).RestartCount, 2, 'no third restart');
});

test('always restarts on any exit; stop wins over the policy', async () => {
  await d.berth(['run', '-d', '--name', 'phoenix', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.3']);
  await eventually(async () => (await state('phoenix')).RestartCount >= 2, 15_000, 'restarts');
  const stop = await d.berth(['stop', '-t', '1', 'phoenix']);
  assert.equal(stop.code, 0, stop.stderr);
  const n = (await state('phoenix')).RestartCount;
  await new Promise((r) => setTimeout(r, 1200));
  const after = await state('phoenix');
  assert.equal(after.Status, 'exited');
  assert.equal(after.RestartCount, n);
});

test('always containers come back when berthd starts; unless-stopped ones stopped by hand do not', async () => {
  await d.berth(['run', '-d', '--name', 'keeper', '--restart', 'always', 'busybox', 'sleep', '300']);
  await d.berth(['run', '-d', '--name', 'resting', '--restart', 'unless-stopped', 'busybox', 'sleep', '300']);
  await d.berth(['stop', '-t', '0', 'resting']);
  const pid = (await state('keeper')).Pid;
  await d.crash();
  process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  await d.spawn();
  const st = await eventually(async () => {
    const s = await state('keeper');
    return s.Status === 'running' ? s : null;
  }, 10_000, 'keeper running again');
  assert.notEqual(st.Pid, pid);
  assert.equal((await state('resting')).Status, 'exited');
});
