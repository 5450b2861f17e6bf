import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon, eventually } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('containers keep running and logging across a kill -9 of berthd', async () => {
  const long = (await d.berth(['run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'i=0; while true; do echo n$i; i=$((i+1)); sleep 0.1; done'])).stdout.trim();
  const short = (await d.berth(['run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 1; exit 9'])).stdout.trim();
  assert.match(long, /^[a-f0-9]{64}$/);
  assert.match(short, /^[a-f0-9]{64}$/);
  const pid = JSON.parse((await d.berth(['inspect', 'survivor'])).stdout)[0].State.Pid as number;
  assert.ok(pid > 0);
  await d.crash();
  // While berthd is away, `quitter` exits with its own code and `survivor` goes on.
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(pid, 0);
  await d.spawn();
  const st = JSON.parse((await d.berth(['inspect', 'quitter'])).stdout)[0].State;
  assert.equal(st.Status, 'exited');
  assert.equal(st.ExitCode, 9);
  const sv = JSON.parse((await d.berth(['inspect', 'survivor'])).stdout)[0].State;
  assert.equal(sv.Status, 'running');
  assert.equal(sv.Pid, pid);
  const logs = await d.berth(['logs', '--tail', '1', 'survivor']);
  const n1 = Number(/n(\d+)/.exec(logs.stdout)?.[1]);
  await eventually(async () => Number(/n(\d+)/.exec((await d.berth(['logs', '--tail', '1', 'survivor'])).stdout)?.[1]) > n1, 5000, 'more log lines');
  // The restarted daemon still sees the exit of a container it did not start.
  await d.berth(['kill', 'survivor']);
  const w = await d.berth(['wait', 'survivor']);
  assert.equal(w.stdout.trim(), '137');
});
