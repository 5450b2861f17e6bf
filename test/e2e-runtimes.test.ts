import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';

/*
 * --runtime: runc always, crun when installed (probed at start; on these machines' hybrid cgroup
 * layout it refuses every container, so it is listed with that reason and refused at create), and
 * a runtime of daemon.json `runtimes` with runtimeArgs (runc again, under another name, with --debug
 * as its own global option: conmon and berth's kill/state/exec must pass it).
 */
let d!: TestDaemon;
const CRUN = existsSync('/usr/bin/crun');

before(async () => {
  d = await TestDaemon.start({ config: () => ({ runtimes: { myrunc: { path: '/usr/sbin/runc', runtimeArgs: ['--debug'] } } }) });
  await d.makeBusyboxImage();
});
after(async () => {
  await d?.cleanup();
});

test('docker info lists the runtimes, the default, and why one cannot run containers here', async () => {
  const info = await d.api('GET', '/info');
  const rts = (info.json as Record<string, unknown>).Runtimes as Record<string, { path: string; runtimeArgs?: string[]; status?: Record<string, string> }>;
  assert.equal((info.json as Record<string, unknown>).DefaultRuntime, 'runc');
  assert.equal(rts['runc']?.path, '/usr/sbin/runc');
  assert.equal(rts['runc']?.status, undefined);
  assert.deepEqual(rts['myrunc'], { path: '/usr/sbin/runc', runtimeArgs: ['--debug'] });
  const text = await d.docker(['info']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Default Runtime: runc/);
  assert.equal(rts['crun'] !== undefined, CRUN, 'crun is offered exactly when installed');
  if (CRUN) {
    const reason = rts['crun']?.status?.['berth.unavailable'] ?? '';
    assert.match(reason, /hybrid mode not supported/, 'crun says why it refuses this host');
    assert.match(text.stdout, /Runtimes: .*crun/);
    assert.ok(((info.json as Record<string, unknown>).Warnings as string[]).includes(`WARNING: runtime crun cannot run containers on this host: ${reason}`));
    assert.match(text.stderr + text.stdout, /WARNING: runtime crun cannot run containers on this host: cgroups in hybrid mode not supported/);
    const b = await d.berth(['info']);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /Runtimes: crun myrunc runc/);
    assert.match(b.stderr, /WARNING: runtime crun cannot run containers on this host: cgroups in hybrid mode not supported/);
  }
});

test('docker run --runtime runc runs, and inspect shows the runtime', async () => {
  const r = await d.docker(['run', '--name', 'rt-runc', '--runtime', 'runc', '--network', 'none', 'busybox', 'echo', 'hi']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'hi');
  const rt = await d.docker(['inspect', '-f', '{{.HostConfig.Runtime}}', 'rt-runc']);
  assert.equal(rt.stdout.trim(), 'runc');
  await d.docker(['rm', 'rt-runc']);
});

test('a configured runtime with runtimeArgs runs containers; stop, exec, pause and rm go through it', async () => {
  const r = await d.docker(['run', '-d', '--name', 'rt-mine', '--runtime', 'myrunc', '--network', 'none', 'busybox', 'sleep', '60']);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  try {
    assert.equal((await d.docker(['inspect', '-f', '{{.HostConfig.Runtime}} {{.State.Status}}', id])).stdout.trim(), 'myrunc running');
    // Its state lives under the runtime's own root, not runc's.
    assert.ok(existsSync(join(d.execRoot, 'runtime', 'runtimes', 'myrunc', id)), 'state under the runtime root');
    assert.ok(!existsSync(join(d.execRoot, 'runtime', 'runc', id)), 'not under runc root');
    const recorded = JSON.parse(await readFile(join(d.execRoot, 'runtime', 'containers', id, 'runtime.json'), 'utf8')) as { globalArgs: string[] };
    assert.deepEqual(recorded.globalArgs, ['--debug']);
    const ex = await d.docker(['exec', id, 'echo', 'inside']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout.trim(), 'inside');
    assert.equal((await d.docker(['pause', id])).code, 0);
    assert.equal((await d.docker(['inspect', '-f', '{{.State.Status}}', id])).stdout.trim(), 'paused');
    assert.equal((await d.docker(['unpause', id])).code, 0);
    const st = await d.docker(['stop', '-t', '1', id]);
    assert.equal(st.code, 0, st.stderr);
    assert.equal((await d.docker(['inspect', '-f', '{{.State.Status}}', id])).stdout.trim(), 'exited');
  } finally {
    const rm = await d.docker(['rm', '-f', id]);
    assert.equal(rm.code, 0, rm.stderr);
  }
  assert.ok(!existsSync(join(d.execRoot, 'runtime', 'runtimes', 'myrunc', id)), 'runtime state removed');
});

test('an unknown runtime is refused with dockerd message, by the API, docker and berth', async () => {
  const api = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Runtime: 'nope' } });
  assert.equal(api.status, 400);
  assert.deepEqual(api.json, { message: 'unknown or invalid runtime name: nope' });
  const cli = await d.docker(['run', '--rm', '--runtime', 'nope', 'busybox', 'true']);
  assert.equal(cli.code, 125);
  assert.match(cli.stderr, /unknown or invalid runtime name: nope/);
  const b = await d.berth(['run', '--rm', '--runtime', 'nope', 'busybox', 'true']);
  assert.equal(b.code, 125);
  assert.match(b.stderr, /unknown or invalid runtime name: nope/);
});

test('crun, where it cannot run containers here, is refused at create with its reason (not installed: unknown)', async () => {
  const cli = await d.docker(['create', '--runtime', 'crun', 'busybox', 'true']);
  assert.notEqual(cli.code, 0);
  if (!CRUN) {
    assert.match(cli.stderr, /unknown or invalid runtime name: crun/);
    return;
  }
  assert.match(cli.stderr, /runtime crun cannot run containers on this host: cgroups in hybrid mode not supported/);
  const b = await d.berth(['create', '--runtime', 'crun', 'busybox', 'true']);
  assert.notEqual(b.code, 0);
  assert.match(b.stderr, /runtime crun cannot run containers on this host/);
  const ps = await d.docker(['ps', '-aq']);
  assert.equal(ps.stdout.trim(), '', 'no container was made');
});

test('berth run --runtime myrunc; default-runtime makes it the default of containers that name none', async () => {
  const b = await d.berth(['run', '--rm', '--runtime', 'myrunc', '--network', 'none', 'busybox', 'echo', 'via-berth']);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stdout.trim(), 'via-berth');
  const other = await TestDaemon.start({ args: ['--add-runtime', 'other=/usr/sbin/runc', '--default-runtime', 'other'] });
  try {
    await other.makeBusyboxImage();
    const info = await other.api('GET', '/info');
    assert.equal((info.json as Record<string, unknown>).DefaultRuntime, 'other');
    const r = await other.docker(['run', '--name', 'dflt', '--network', 'none', 'busybox', 'echo', 'ok']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await other.docker(['inspect', '-f', '{{.HostConfig.Runtime}}', 'dflt'])).stdout.trim(), 'other');
    await other.docker(['rm', 'dflt']);
  } finally {
    await other.cleanup();
  }
});

test('after berthd is killed and restarted, a container keeps its runtime for state, exec and stop', async () => {
  const r = await d.docker(['run', '-d', '--runtime', 'myrunc', '--network', 'none', 'busybox', 'sleep', '60']);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  try {
    await d.crash();
    await d.spawn();
    assert.equal((await d.docker(['inspect', '-f', '{{.HostConfig.Runtime}} {{.State.Status}}', id])).stdout.trim(), 'myrunc running');
    const ex = await d.docker(['exec', id, 'echo', 'still']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout.trim(), 'still');
    assert.equal((await d.docker(['stop', '-t', '1', id])).code, 0);
    assert.equal((await d.docker(['inspect', '-f', '{{.State.Status}}', id])).stdout.trim(), 'exited');
  } finally {
    await d.docker(['rm', '-f', id]);
  }
});
