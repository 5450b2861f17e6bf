import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('docker version and info talk to berthd', async () => {
  const v = await d.docker(['version', '--format', '{{.Server.APIVersion}}']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), '1.47');
  const i = await d.docker(['info', '--format', '{{.OSType}} {{.Driver}}']);
  assert.equal(i.code, 0, i.stderr);
  assert.match(i.stdout, /^linux (overlay2|vfs)/);
});

test('docker version and berth version list runc and conmon with the versions the tools report', async () => {
  const runcLine = execFileSync('/usr/sbin/runc', ['--version'], { encoding: 'utf8' });
  const runcVersion = /runc version (\S+)/.exec(runcLine)?.[1];
  const runcCommit = /commit: (\S+)/.exec(runcLine)?.[1];
  const conmonVersion = /conmon version (\S+)/.exec(execFileSync('/usr/bin/conmon', ['--version'], { encoding: 'utf8' }))?.[1];
  assert.ok(runcVersion && runcCommit && conmonVersion);
  const format = '{{range .Server.Components}}{{.Name}}={{.Version}}/{{index .Details "GitCommit"}};{{end}}';
  const v = await d.docker(['version', '--format', format]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`runc=${runcVersion.replace(/[+.]/g, '\\$&')}/${runcCommit.replace(/[+.]/g, '\\$&')};`));
  assert.match(v.stdout, new RegExp(`conmon=${conmonVersion.replace(/[+.]/g, '\\$&')}/;`));
  const b = await d.berth(['version']);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, new RegExp(` runc:\\n +Version: +${runcVersion.replace(/[+.]/g, '\\$&')}\\n +GitCommit: +${runcCommit.replace(/[+.]/g, '\\$&')}`));
});

test('docker run in the foreground streams output and propagates the exit code', async () => {
  const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 5']);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(r.code, 5);
  const i = await d.docker(['run', '--rm', '-i', 'busybox', 'wc', '-c'], { input: '12345' });
  assert.equal(i.stdout.trim(), '5', `code ${i.code}: ${i.stderr}`);
  const nf = await d.docker(['run', '--rm', 'busybox', 'nosuchcmd']);
  assert.equal(nf.code, 127, nf.stderr);
});

test('docker create, start -a, logs, inspect, ps, stop, rm', async () => {
  const id = (await d.docker(['create', '--name', 'dk', 'busybox', 'sh', '-c', 'echo started; echo oops >&2'])).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  const s = await d.docker(['start', '-a', 'dk']);
  assert.equal(s.stdout, 'started\n', s.stderr);
  const logs = await d.docker(['logs', 'dk']);
  assert.equal(logs.stdout, 'started\n');
  assert.equal(logs.stderr, 'oops\n');
  const ts = await d.docker(['logs', '-t', 'dk']);
  assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started\n$/);
  const insp = JSON.parse((await d.docker(['inspect', 'dk'])).stdout)[0];
  assert.equal(insp.Id, id);
  assert.equal(insp.Name, '/dk');
  assert.equal(insp.State.Status, 'exited');
  assert.equal(insp.State.ExitCode, 0);
  assert.equal(insp.Config.Image, 'busybox');
  assert.deepEqual(insp.Config.Cmd, ['sh', '-c', 'echo started; echo oops >&2']);
  assert.ok(insp.HostConfig);
  assert.ok(insp.GraphDriver.Name);
  assert.ok(Array.isArray(insp.Mounts));
  const ps = await d.docker(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /^dk Exited \(0\) .* ago$/m);
  assert.equal((await d.docker(['rm', 'dk'])).code, 0);
  const gone = await d.docker(['inspect', 'dk']);
  assert.notEqual(gone.code, 0);
});

test('docker run -d, pause, unpause, kill, wait', async () => {
  const id = (await d.docker(['run', '-d', 'busybox', 'sleep', '60'])).stdout.trim();
  assert.equal((await d.docker(['pause', id])).code, 0);
  const ps = await d.docker(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}']);
  assert.match(ps.stdout, /\(Paused\)/);
  assert.equal((await d.docker(['unpause', id])).code, 0);
  assert.equal((await d.docker(['kill', id])).code, 0);
  const w = await d.docker(['wait', id]);
  assert.equal(w.stdout.trim(), '137');
  await d.docker(['rm', id]);
});

test('docker images, tag, history, rmi with its conflict', async () => {
  const imgs = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  assert.match(imgs.stdout, /^busybox:latest [a-f0-9]{12}$/m);
  assert.equal((await d.docker(['tag', 'busybox', 'localhost:5000/boats/busy:v1'])).code, 0);
  const q = await d.docker(['images', '-q', '--filter', 'reference=localhost:5000/boats/*']);
  assert.match(q.stdout.trim(), /^[a-f0-9]{12}$/);
  const h = await d.docker(['history', 'busybox']);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
  const cid = (await d.docker(['create', 'localhost:5000/boats/busy:v1', 'true'])).stdout.trim();
  // Two tags: removing one only untags.
  const un = await d.docker(['rmi', 'localhost:5000/boats/busy:v1']);
  assert.match(un.stdout, /Untagged: localhost:5000\/boats\/busy:v1/);
  // The last tag of an image a container uses: refused without -f.
  const refused = await d.docker(['rmi', 'busybox']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /conflict: unable to remove repository reference "busybox" \(must force\) - container [a-f0-9]{12} is using its referenced image [a-f0-9]{12}/);
  await d.docker(['rm', cid]);
  const missing = await d.docker(['rmi', 'nosuch:image']);
  assert.match(missing.stderr, /No such image: nosuch:image/);
});

test('docker save, load and import round-trip keeps the image ID', async () => {
  const id = (await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
  const archive = join(d.dir, 'busybox-save.tar');
  const save = await d.docker(['save', '-o', archive, 'busybox']);
  assert.equal(save.code, 0, save.stderr);
  assert.ok(existsSync(archive));
  await d.docker(['tag', 'busybox', 'keep:me']);
  const rmi = await d.docker(['rmi', 'busybox']);
  assert.equal(rmi.code, 0, rmi.stderr);
  const load = await d.docker(['load', '-i', archive]);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout, /Loaded image: busybox:latest/);
  assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim(), id);
  const run = await d.docker(['run', '--rm', 'busybox', 'echo', 'loaded']);
  assert.equal(run.stdout, 'loaded\n', run.stderr);
});

test('docker API errors: bad JSON body, unknown container, too-new API version', async () => {
  const r = await d.docker(['stop', 'ghost']);
  assert.match(r.stderr, /No such container: ghost/);
  assert.notEqual(r.code, 0);
});
