import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { makeBusyboxRootfs, tarDirectory } from './helpers/busybox.js';
import { join } from 'node:path';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('logs -f follows until the container exits; --since and --until cut by time', async () => {
  const id = (await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'echo first; sleep 1.2; echo second; sleep 0.5; echo third >&2'])).stdout.trim();
  const follow = d.docker(['logs', '-f', id]);
  await new Promise((r) => setTimeout(r, 600));
  const mid = Math.floor(Date.now() / 1000);
  const r = await follow;
  assert.equal(r.stdout, 'first\nsecond\n');
  assert.equal(r.stderr, 'third\n');
  const since = await d.berth(['logs', '--since', String(mid + 0.5), id]);
  assert.equal(since.stdout, 'second\n', 'only lines after --since');
  const until = await d.berth(['logs', '--until', String(mid + 0.5), id]);
  assert.equal(until.stdout, 'first\n');
  const tail = await d.berth(['logs', '--tail', '1', id]);
  assert.equal(tail.stderr, 'third\n');
  assert.equal(tail.stdout, '');
  await d.berth(['rm', id]);
});

test('logs -f of a running container ends when the client hangs up; the container keeps running', async () => {
  const id = (await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'while true; do echo x; sleep 0.1; done'])).stdout.trim();
  const child = spawn('docker', ['logs', '-f', id], { env: d.env });
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Running}}', id])).stdout.trim(), 'true');
  await d.berth(['rm', '-f', id]);
});

test("stop sends the image's STOPSIGNAL, then SIGKILL after -t", async () => {
  const root = join(d.dir, 'sig-rootfs');
  makeBusyboxRootfs(root);
  const tar = join(d.dir, 'sig.tar');
  tarDirectory(root, tar);
  const imp = await d.berth(['import', '--change', 'STOPSIGNAL SIGUSR1', tar, 'usr1:1']);
  assert.equal(imp.code, 0, imp.stderr);
  const id = (await d.berth(['run', '-d', 'usr1:1', 'sh', '-c', 'trap "echo got-usr1; exit 0" USR1; while true; do sleep 0.1; done'])).stdout.trim();
  await new Promise((r) => setTimeout(r, 300));
  await d.berth(['stop', id]);
  assert.match((await d.berth(['logs', id])).stdout, /got-usr1/);
  assert.equal((await d.berth(['inspect', '-f', '{{.State.ExitCode}}', id])).stdout.trim(), '0');
  const stubborn = (await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'])).stdout.trim();
  const t0 = Date.now();
  await d.berth(['stop', '-t', '1', stubborn]);
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 6000, `stop -t 1 waited ${took} ms`);
  assert.equal((await d.berth(['inspect', '-f', '{{.State.ExitCode}}', stubborn])).stdout.trim(), '137');
});
