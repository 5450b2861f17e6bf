import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon, eventually } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const health = async (name: string): Promise<{ Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] } | undefined> =>
  JSON.parse((await d.berth(['inspect', name])).stdout)[0].State.Health;

test('a healthcheck turns healthy, shows in ps, inspect and events, and unhealthy after retries', async () => {
  await d.docker(['run', '-d', '--name', 'doc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '200ms', '--health-retries', '2', 'busybox', 'sh', '-c', 'touch /tmp/ok; sleep 300']);
  const h1 = await eventually(async () => ((await health('doc'))?.Status === 'healthy' ? health('doc') : null), 10_000, 'healthy');
  assert.equal(h1?.FailingStreak, 0);
  assert.equal(h1?.Log.at(-1)?.ExitCode, 0);
  const ps = await d.docker(['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /^doc Up .* \(healthy\)$/m);
  await d.berth(['exec', 'doc', 'rm', '/tmp/ok']).catch(() => undefined);
  await d.berth(['rm', '-f', 'doc']);

  await d.berth(['run', '-d', '--name', 'sick', '--health-cmd', 'exit 1', '--health-interval', '200ms', '--health-retries', '2', 'busybox', 'sleep', '300']);
  const h2 = await eventually(async () => ((await health('sick'))?.Status === 'unhealthy' ? health('sick') : null), 10_000, 'unhealthy');
  assert.ok((h2?.FailingStreak ?? 0) >= 2);
  const since = Math.floor(Date.now() / 1000) - 30;
  const ev = await d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=sick', '--format', '{{.Action}}']);
  assert.match(ev.stdout, /health_status: unhealthy/);
  await d.berth(['rm', '-f', 'sick']);
});

test('--no-healthcheck and containers without one have no Health', async () => {
  await d.berth(['run', '-d', '--name', 'plain', 'busybox', 'sleep', '300']);
  assert.equal(await health('plain'), undefined);
  await d.berth(['rm', '-f', 'plain']);
});
