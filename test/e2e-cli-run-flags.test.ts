import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH, eventually, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { startRegistry } from './remotes-helpers.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('system info and system events are info and events', async () => {
  const info = await d.berth(['system', 'info', '--format', '{{.OSType}}/{{.Containers}}']);
  assert.equal(info.code, 0, info.stderr);
  assert.equal(info.stdout, (await d.berth(['info', '--format', '{{.OSType}}/{{.Containers}}'])).stdout);
  assert.match(info.stdout, /^linux\/\d+\n$/);
  const since = Math.floor(Date.now() / 1000) - 1;
  const id = (await d.berth(['create', '--name', 'evs', 'busybox', 'true'])).stdout.trim();
  const until = Math.floor(Date.now() / 1000) + 1;
  const ev = await d.berth(['system', 'events', '--since', String(since), '--until', String(until), '--filter', 'container=evs', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(ev.stdout, `container create ${id}\n`);
  await d.berth(['rm', 'evs']);
});

for (const cli of ['docker', 'berth'] as const) {
  test(`${cli} run/create --cidfile writes the ID and refuses a file already there`, async () => {
    const run = (args: string[]): ReturnType<TestDaemon['docker']> => (cli === 'docker' ? d.docker(args) : d.berth(args));
    const file = join(d.dir, `cid-${cli}`);
    const r = await run(['run', '--cidfile', file, 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const id = readFileSync(file, 'utf8');
    assert.match(id, /^[a-f0-9]{64}$/);
    assert.equal((await d.berth(['inspect', '--format', '{{.Id}}', id])).stdout.trim(), id);
    const again = await run(['create', '--cidfile', file, 'busybox', 'true']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `container ID file found, make sure the other container isn't running or delete ${file}\n`);
    const rerun = await run(['run', '--cidfile', file, 'busybox', 'true']);
    assert.equal(rerun.code, 125);
    assert.match(rerun.stderr, new RegExp(`^${cli}: container ID file found, make sure the other container isn't running or delete ${file}`));
    assert.equal(readFileSync(file, 'utf8'), id, 'the file is left as it was');
    // A create that fails leaves no file behind.
    const other = join(d.dir, `cid-${cli}-failed`);
    const bad = await run(['create', '--cidfile', other, 'no-such-image-here:1']);
    assert.notEqual(bad.code, 0);
    assert.equal(existsSync(other), false);
    await d.berth(['rm', id]);
  });
}

test('run -q and create -q pull without a word; without -q the pull is shown', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const name = `${reg.host}/quiet/busybox:1`;
  assert.equal((await d.berth(['tag', 'busybox', name])).code, 0);
  assert.equal((await d.berth(['push', name])).code, 0);
  assert.equal((await d.berth(['rmi', name])).code, 0);
  const quiet = await d.berth(['run', '-q', '--rm', name, 'echo', 'hi']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stdout, 'hi\n');
  assert.equal(quiet.stderr, '');
  const dq = await d.docker(['run', '-q', '--rm', '--pull', 'always', name, 'echo', 'hi']);
  assert.equal(dq.stderr, '', 'the docker CLI is as quiet');
  const loud = await d.berth(['create', '--pull', 'always', name, 'true']);
  assert.equal(loud.code, 0, loud.stderr);
  assert.match(loud.stderr, /Digest: sha256:/);
  const cq = await d.berth(['create', '-q', '--pull', 'always', name, 'true']);
  assert.equal(cq.stderr, '');
  assert.match(cq.stdout, /^[a-f0-9]{64}\n$/);
  await d.berth(['rm', loud.stdout.trim(), cq.stdout.trim()]);
});

/** `berth run` in the foreground, then a signal to the berth process once the container runs. */
async function signalRun(name: string, extra: string[], sig: NodeJS.Signals): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  const p = spawn(BERTH, ['run', '--name', name, ...extra, 'busybox', 'sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while true; do sleep 0.1; done'], { env: d.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) => p.once('exit', (code, signal) => res({ code, signal })));
  await eventually(async () => stdout.includes('ready'), 15_000, 'the container to start');
  p.kill(sig);
  const r = await Promise.race([exited, new Promise<{ code: null; signal: 'timeout' }>((res) => setTimeout(() => res({ code: null, signal: 'timeout' }), 15_000))]);
  if (r.signal === 'timeout') p.kill('SIGKILL');
  return { ...r, stdout };
}

test('run passes SIGTERM to the container (--sig-proxy, default true); --sig-proxy=false does not', async () => {
  const proxied = await signalRun('proxied', [], 'SIGTERM');
  assert.equal(proxied.code, 3, JSON.stringify(proxied));
  assert.match(proxied.stdout, /got-term/);
  const unproxied = await signalRun('unproxied', ['--sig-proxy=false'], 'SIGTERM');
  assert.notEqual(unproxied.code, 3);
  assert.doesNotMatch(unproxied.stdout, /got-term/);
  assert.equal((await d.berth(['inspect', '--format', '{{.State.Running}}', 'unproxied'])).stdout.trim(), 'true', 'the container was not signalled');
  await d.berth(['rm', '-f', 'proxied', 'unproxied']);
});
