import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestDaemon, eventually } from './helpers/daemon.js';

/*
 * Checkpoint and restore (Docker's experimental `checkpoint create/ls/rm`, `start --checkpoint`)
 * through the docker CLI 28 and berth's CLI. On these machines CRIU (Debian's 3.17.1) cannot run on
 * the kernel at all (`criu check` fails: its vDSO parser does not know the kernel's split vvar
 * areas), so every checkpoint and restore must be refused with CRIU's own reason, leaving the
 * container as it was and nothing behind; listing and removing checkpoints work regardless.
 */
let d!: TestDaemon;
let plain!: TestDaemon;
let criuReason = '';

function criuCheck(): Promise<{ code: number; text: string }> {
  return new Promise((resolve) => {
    execFile('/usr/sbin/criu', ['check'], { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr }));
  });
}

function pingHeader(sock: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method: 'HEAD', path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.headers['docker-experimental'] as string | undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  const check = await criuCheck();
  // When CRIU works here, these tests must become the real ones (counter continues after a restore).
  assert.notEqual(check.code, 0, 'criu check passes on this host: test real checkpoints and restores instead');
  criuReason = /Error \([^)]*\):\s*(.*)/.exec(check.text)?.[1]?.trim() ?? '';
  assert.ok(criuReason, `criu check gave no reason: ${check.text}`);
  d = await TestDaemon.start({ config: () => ({ experimental: true }) });
  await d.makeBusyboxImage();
  plain = await TestDaemon.start();
});
after(async () => {
  await d?.cleanup();
  await plain?.cleanup();
});

const COUNTER = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.2; done'];

test('without experimental, the ping says so and both CLIs refuse checkpoint commands with the reason', async () => {
  assert.equal(await pingHeader(plain.socket), 'false');
  const ls = await plain.docker(['checkpoint', 'ls', 'x']);
  assert.notEqual(ls.code, 0);
  assert.match(ls.stderr, /experimental/);
  const start = await plain.docker(['start', '--checkpoint', 'c1', 'x']);
  assert.notEqual(start.code, 0);
  assert.match(start.stderr, /experimental/);
  const b = await plain.berth(['checkpoint', 'ls', 'x']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /checkpoint and restore are experimental features: start berthd with --experimental or set "experimental": true in daemon.json/);
  const api = await plain.api('POST', '/containers/x/start?checkpoint=c1');
  assert.equal(api.status, 501);
});

test('with daemon.json experimental: true, the ping, info and version say so', async () => {
  assert.equal(await pingHeader(d.socket), 'true');
  const info = await d.docker(['info', '--format', '{{.ExperimentalBuild}}']);
  assert.equal(info.stdout.trim(), 'true', info.stderr);
  const v = await d.docker(['version', '--format', '{{.Server.Experimental}}']);
  assert.equal(v.stdout.trim(), 'true', v.stderr);
});

test('docker checkpoint create on a running container gives CRIU\'s reason; the container runs on and no checkpoint is left', async () => {
  const r = await d.docker(['run', '-d', '--name', 'ctr', 'busybox', ...COUNTER]);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  await eventually(async () => (await d.docker(['logs', 'ctr'])).stdout.split('\n').length > 3, 10_000, 'the counter counts');
  const c = await d.docker(['checkpoint', 'create', 'ctr', 'c1']);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /Error response from daemon: Cannot checkpoint container ctr: CRIU 3\.\d+\.\d+ cannot checkpoint containers on this kernel \(/);
  assert.ok(c.stderr.includes(criuReason), `the reason criu check gives (${criuReason}) is in: ${c.stderr}`);
  assert.doesNotMatch(c.stderr, /criu\/|\/containers\/|dump\.log|errno/);
  const st = await d.docker(['inspect', '-f', '{{.State.Running}}', 'ctr']);
  assert.equal(st.stdout.trim(), 'true');
  assert.equal(existsSync(join(d.dataRoot, 'containers', id, 'checkpoints', 'c1')), false);
  const ls = await d.docker(['checkpoint', 'ls', 'ctr']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(ls.stdout.trim(), 'CHECKPOINT NAME');
  // --leave-running through berth's CLI: the same refusal.
  const b = await d.berth(['checkpoint', 'create', '--leave-running', 'ctr', 'c1']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /Cannot checkpoint container ctr: CRIU .* cannot checkpoint containers on this kernel/);
  assert.ok(b.stderr.includes(criuReason));
  const before = Number((await d.docker(['logs', '--tail', '1', 'ctr'])).stdout.trim());
  await eventually(async () => Number((await d.docker(['logs', '--tail', '1', 'ctr'])).stdout.trim()) > before, 10_000, 'the counter goes on');
});

test('bad names, stopped and TTY containers are refused in Docker\'s words', async () => {
  const bad = await d.docker(['checkpoint', 'create', 'ctr', '../x']);
  assert.match(bad.stderr, /Invalid checkpoint ID \(\.\.\/x\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_\.-\] are allowed/);
  const rel = await d.docker(['checkpoint', 'create', '--checkpoint-dir', 'rel/dir', 'ctr', 'c1']);
  assert.match(rel.stderr, /checkpoint directory "rel\/dir" must be an absolute path/);
  const noName = await d.api('POST', '/containers/ctr/checkpoints', {});
  assert.equal(noName.status, 400);
  assert.match(noName.body, /a checkpoint needs a name \(CheckpointID\)/);
  const badExit = await d.api('POST', '/containers/ctr/checkpoints', { CheckpointID: 'c1', Exit: 'yes' });
  assert.equal(badExit.status, 400);
  const dirOnly = await d.api('POST', '/containers/ctr/start?checkpoint-dir=/tmp');
  assert.match(dirOnly.body, /checkpoint-dir is given without a checkpoint to restore/);
  assert.equal((await d.docker(['create', '--name', 'idle', '--network', 'none', 'busybox', 'true'])).code, 0);
  const stopped = await d.docker(['checkpoint', 'create', 'idle', 'c1']);
  assert.match(stopped.stderr, /Container idle is not running/);
  assert.equal((await d.docker(['run', '-d', '-t', '--name', 'tty', '--network', 'none', 'busybox', 'sleep', '60'])).code, 0);
  const tty = await d.docker(['checkpoint', 'create', 'tty', 'c1']);
  assert.match(tty.stderr, /cannot checkpoint container tty: checkpoint and restore are not supported on containers with a TTY/);
  assert.equal((await d.docker(['rm', '-f', 'tty', 'idle'])).code, 0);
});

test('checkpoint ls and rm with --checkpoint-dir, through both CLIs', async () => {
  const dir = join(d.dir, 'ckpts');
  await mkdir(join(dir, 'c2'), { recursive: true });
  await mkdir(join(dir, 'a1'), { recursive: true });
  await writeFile(join(dir, 'not-a-checkpoint'), '');
  const ls = await d.docker(['checkpoint', 'ls', '--checkpoint-dir', dir, 'ctr']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(ls.stdout.trim().split('\n'), ['CHECKPOINT NAME', 'a1', 'c2']);
  const bls = await d.berth(['checkpoint', 'ls', '--checkpoint-dir', dir, 'ctr']);
  assert.deepEqual(bls.stdout.trim().split('\n'), ['CHECKPOINT NAME', 'a1', 'c2']);
  const rm = await d.docker(['checkpoint', 'rm', '--checkpoint-dir', dir, 'ctr', 'c2']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(existsSync(join(dir, 'c2')), false);
  const again = await d.docker(['checkpoint', 'rm', '--checkpoint-dir', dir, 'ctr', 'c2']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /checkpoint c2 does not exist for container ctr/);
  const brm = await d.berth(['checkpoint', 'rm', '--checkpoint-dir', dir, 'ctr', 'a1']);
  assert.equal(brm.code, 0, brm.stderr);
  assert.deepEqual((await d.berth(['checkpoint', 'ls', '--checkpoint-dir', dir, 'ctr'])).stdout.trim().split('\n'), ['CHECKPOINT NAME']);
  const missing = await d.docker(['checkpoint', 'ls', 'nosuch']);
  assert.match(missing.stderr, /No such container: nosuch/);
});

test('start --checkpoint into a new container (a checkpoint taken elsewhere) gives CRIU\'s reason and leaves the container startable', async () => {
  const dir = join(d.dir, 'elsewhere');
  await mkdir(join(dir, 'c3'), { recursive: true });
  await writeFile(join(dir, 'c3', 'inventory.img'), '');
  assert.equal((await d.docker(['create', '--name', 'r1', 'busybox', ...COUNTER])).code, 0);
  const missing = await d.docker(['start', '--checkpoint', 'nope', '--checkpoint-dir', dir, 'r1']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /checkpoint nope does not exist for container r1/);
  // runc reads the stdio it saved before CRIU runs: a folder without it is not a checkpoint.
  const incomplete = await d.docker(['start', '--checkpoint', 'c3', '--checkpoint-dir', dir, 'r1']);
  assert.equal(incomplete.code, 1);
  assert.match(incomplete.stderr, /Cannot restore container r1 from checkpoint c3: the checkpoint is incomplete: it has no descriptors\.json/);
  await writeFile(join(dir, 'c3', 'descriptors.json'), JSON.stringify(['/dev/null', 'pipe:[1]', 'pipe:[2]']));
  const r = await d.docker(['start', '--checkpoint', 'c3', '--checkpoint-dir', dir, 'r1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot restore container r1 from checkpoint c3: CRIU .* cannot restore containers on this kernel/);
  assert.ok(r.stderr.includes(criuReason), r.stderr);
  assert.doesNotMatch(r.stderr, /restore\.log|\/containers\/|errno/);
  const b = await d.berth(['start', '--checkpoint', 'c3', '--checkpoint-dir', dir, 'r1']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /Cannot restore container r1 from checkpoint c3: CRIU .* cannot restore/);
  const st = await d.docker(['inspect', '-f', '{{.State.Running}}', 'r1']);
  assert.equal(st.stdout.trim(), 'false');
  // What the failed restores set up (rootfs, netns, conmon) is gone: a plain start works.
  const s = await d.docker(['start', 'r1']);
  assert.equal(s.code, 0, s.stderr);
  await eventually(async () => (await d.docker(['logs', 'r1'])).stdout.startsWith('1\n'), 10_000, 'r1 counts from 1');
  assert.equal((await d.docker(['rm', '-f', 'r1', 'ctr'])).code, 0);
});
