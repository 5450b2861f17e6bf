import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('docker events replays a time window with filters, in Docker JSON', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await d.berth(['run', '--name', 'evented', '-l', 'tier=web', 'busybox', 'sh', '-c', 'exit 4']);
  await d.berth(['rm', 'evented']);
  await d.berth(['tag', 'busybox', 'events-tag:1']);
  const until = Math.ceil(Date.now() / 1000) + 1;
  await new Promise((r) => setTimeout(r, 1100));
  const r = await d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=container', '--filter', 'container=evented', '--format', '{{json .}}']);
  assert.equal(r.code, 0, r.stderr);
  const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(evs.map((e) => e.Action), ['create', 'start', 'die', 'destroy']);
  const die = evs[2];
  assert.equal(die.Actor.Attributes.exitCode, '4');
  assert.equal(die.Actor.Attributes.name, 'evented');
  assert.equal(die.Actor.Attributes.tier, 'web');
  assert.equal(die.status, 'die');
  assert.equal(typeof die.timeNano, 'number');
  const img = await d.berth(['events', '--since', String(since), '--until', String(until), '--filter', 'type=image', '--filter', 'event=tag']);
  assert.match(img.stdout, /image tag sha256:[a-f0-9]{64} \(name=events-tag:1\)/);
});

test('events stream live until the client hangs up', async () => {
  const child = spawn('docker', ['events', '--filter', 'event=start', '--format', '{{.Actor.Attributes.name}}'], { env: d.env });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((r) => setTimeout(r, 700));
  await d.berth(['run', '--rm', '--name', 'live-one', 'busybox', 'true']);
  const deadline = Date.now() + 5000;
  while (!out.includes('live-one') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGTERM');
  assert.equal(out.trim(), 'live-one');
});
