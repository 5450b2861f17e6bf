import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * The namespace modes through the docker CLI 28 and berth's own CLI: --pid, --ipc, --uts and
 * --cgroupns, each seen from inside the container, shown by inspect as dockerd shows it, and
 * each combination dockerd refuses refused with its words.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

async function hostConfig(name: string): Promise<Record<string, unknown>> {
  const r = await d.docker(['inspect', name]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0].HostConfig;
}

async function idOf(name: string): Promise<string> {
  return (await d.docker(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
}

async function pidOf(name: string): Promise<number> {
  return Number((await d.docker(['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim());
}

test('--pid host: the container sees the host\'s processes (its pid 1 is the host\'s)', async () => {
  const hostInit = readFileSync('/proc/1/comm', 'utf8').trim();
  assert.notEqual(hostInit, 'sh');
  for (const cli of ['docker', 'berth'] as const) {
    const r = await d[cli](['run', '--name', `pidhost-${cli}`, '--pid', 'host', 'busybox', 'cat', '/proc/1/comm']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), hostInit, cli);
    assert.equal((await hostConfig(`pidhost-${cli}`))['PidMode'], 'host');
    await d.docker(['rm', `pidhost-${cli}`]);
  }
  const own = await d.docker(['run', '--rm', 'busybox', 'cat', '/proc/1/comm']);
  assert.equal(own.stdout.trim(), 'cat', 'by default pid 1 is the container\'s own process');
});

test('--pid container:NAME joins its PID namespace; the target must exist and run', async () => {
  assert.equal((await d.docker(['run', '-d', '--name', 'pid-a', 'busybox', 'sleep', '300'])).code, 0);
  try {
    for (const cli of ['docker', 'berth'] as const) {
      const r = await d[cli](['run', '--name', `pid-b-${cli}`, '--pid', 'container:pid-a', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'sleep 300', cli);
      assert.equal((await hostConfig(`pid-b-${cli}`))['PidMode'], `container:${await idOf('pid-a')}`, 'stored by id, as dockerd does');
      await d.docker(['rm', `pid-b-${cli}`]);
    }
    const missing = await d.docker(['run', '--rm', '--pid', 'container:no-such-one', 'busybox', 'true']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /No such container: no-such-one/);
    assert.equal((await d.docker(['create', '--name', 'pid-stopped', 'busybox', 'true'])).code, 0);
    const stopped = await d.docker(['run', '--rm', '--pid', 'container:pid-stopped', 'busybox', 'true']);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, new RegExp(`container ${await idOf('pid-stopped')} is not running`));
    const bad = await d.berth(['run', '--rm', '--pid', 'container:', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /--pid: invalid PID mode/);
  } finally {
    await d.docker(['rm', '-f', 'pid-a', 'pid-stopped']);
  }
});

test('--ipc container:NAME shares a shareable donor\'s IPC namespace and /dev/shm; a private donor is refused', async () => {
  assert.equal((await d.docker(['run', '-d', '--name', 'ipc-a', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo from-a > /dev/shm/note; sleep 300'])).code, 0);
  assert.equal((await d.docker(['run', '-d', '--name', 'ipc-p', 'busybox', 'sleep', '300'])).code, 0);
  try {
    const donorNs = readlinkSync(`/proc/${await pidOf('ipc-a')}/ns/ipc`);
    for (const cli of ['docker', 'berth'] as const) {
      const r = await d[cli](['run', '--name', `ipc-b-${cli}`, '--ipc', 'container:ipc-a', 'busybox', 'sh', '-c', 'cat /dev/shm/note; readlink /proc/self/ns/ipc']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), ['from-a', donorNs], cli);
      assert.equal((await hostConfig(`ipc-b-${cli}`))['IpcMode'], `container:${await idOf('ipc-a')}`);
      await d.docker(['rm', `ipc-b-${cli}`]);
    }
    assert.equal((await hostConfig('ipc-a'))['IpcMode'], 'shareable');
    assert.equal((await hostConfig('ipc-p'))['IpcMode'], 'private');
    const priv = await d.docker(['run', '--rm', '--ipc', 'container:ipc-p', 'busybox', 'true']);
    assert.notEqual(priv.code, 0);
    assert.match(priv.stderr, /non-shareable IPC \(hint: use --ipc shareable for the donor container\)/);
  } finally {
    await d.docker(['rm', '-f', 'ipc-a', 'ipc-p']);
  }
});

test('--ipc host shares the host\'s IPC namespace, --ipc none has no /dev/shm, a bad mode is refused', async () => {
  const host = await d.docker(['run', '--name', 'ipc-host', '--ipc', 'host', 'busybox', 'readlink', '/proc/self/ns/ipc']);
  assert.equal(host.code, 0, host.stderr);
  assert.equal(host.stdout.trim(), readlinkSync('/proc/self/ns/ipc'));
  assert.equal((await hostConfig('ipc-host'))['IpcMode'], 'host');
  const none = await d.berth(['run', '--name', 'ipc-none', '--ipc', 'none', 'busybox', 'sh', '-c', 'grep -c " /dev/shm " /proc/mounts; readlink /proc/self/ns/ipc']);
  assert.equal(none.stdout.trim().split('\n')[0], '0', none.stderr);
  assert.notEqual(none.stdout.trim().split('\n')[1], readlinkSync('/proc/self/ns/ipc'), 'still an IPC namespace of its own');
  assert.equal((await hostConfig('ipc-none'))['IpcMode'], 'none');
  await d.docker(['rm', 'ipc-host', 'ipc-none']);
  const bad = await d.docker(['run', '--rm', '--ipc', 'bogus', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid IPC mode: bogus/);
});

test('--uts host: the container has the host\'s hostname; with --hostname it is refused as dockerd does', async () => {
  for (const cli of ['docker', 'berth'] as const) {
    const r = await d[cli](['run', '--name', `uts-${cli}`, '--uts', 'host', 'busybox', 'hostname']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), hostname(), cli);
    assert.equal((await hostConfig(`uts-${cli}`))['UTSMode'], 'host');
    await d.docker(['rm', `uts-${cli}`]);
  }
  const own = await d.docker(['run', '--rm', '--hostname', 'inside', 'busybox', 'hostname']);
  assert.equal(own.stdout.trim(), 'inside');
  const both = await d.docker(['run', '--rm', '--uts', 'host', '--hostname', 'inside', 'busybox', 'true']);
  assert.equal(both.code, 125);
  assert.match(both.stderr, /conflicting options: hostname and the UTS mode/);
  const bad = await d.berth(['run', '--rm', '--uts', 'container:x', 'busybox', 'true']);
  assert.match(bad.stderr, /--uts: invalid UTS mode/);
});

test('--cgroupns private: the container sees its cgroup as /; host (the default on cgroup v1) sees its path', async () => {
  for (const cli of ['docker', 'berth'] as const) {
    const r = await d[cli](['run', '--name', `cgns-${cli}`, '--cgroupns', 'private', 'busybox', 'cat', '/proc/self/cgroup']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length > 0 && lines.every((l) => l.endsWith(':/')), `${cli}: ${r.stdout}`);
    assert.equal((await hostConfig(`cgns-${cli}`))['CgroupnsMode'], 'private');
    await d.docker(['rm', `cgns-${cli}`]);
  }
  const v2 = !readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => / - cgroup cgroup /.test(l) && /[ ,]memory/.test(l));
  const dflt = await d.docker(['run', '--name', 'cgns-default', 'busybox', 'cat', '/proc/self/cgroup']);
  const id = await idOf('cgns-default');
  assert.equal((await hostConfig('cgns-default'))['CgroupnsMode'], v2 ? 'private' : 'host');
  if (v2) assert.match(dflt.stdout, /^0::\/$/m);
  else assert.match(dflt.stdout, new RegExp(`:/berth/${id}$`, 'm'));
  await d.docker(['rm', 'cgns-default']);
  const bad = await d.berth(['run', '--rm', '--cgroupns', 'shared', 'busybox', 'true']);
  assert.match(bad.stderr, /--cgroupns: invalid CGROUP mode/);
  const badApi = await d.docker(['run', '--rm', '--cgroupns', 'host', 'busybox', 'true']);
  assert.equal(badApi.code, 0, badApi.stderr);
});

test('daemon.json default-cgroupns-mode and default-ipc-mode apply to containers that name none', async () => {
  const other = await TestDaemon.start({ config: () => ({ 'default-cgroupns-mode': 'private', 'default-ipc-mode': 'shareable' }) });
  try {
    await other.makeBusyboxImage();
    const r = await other.docker(['run', '--name', 'cgc', 'busybox', 'cat', '/proc/self/cgroup']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.trim().split('\n').every((l) => l.endsWith(':/')), r.stdout);
    const hc = JSON.parse((await other.docker(['inspect', 'cgc'])).stdout)[0].HostConfig;
    assert.equal(hc.CgroupnsMode, 'private');
    const host = await other.docker(['run', '--rm', '--cgroupns', 'host', 'busybox', 'cat', '/proc/self/cgroup']);
    assert.ok(!host.stdout.trim().split('\n').every((l) => l.endsWith(':/')), 'an explicit host mode wins over the default');
    assert.equal(hc.IpcMode, 'shareable');
    assert.equal((await other.docker(['run', '-d', '--name', 'donor', 'busybox', 'sh', '-c', 'echo shared > /dev/shm/f; sleep 300'])).code, 0);
    const joined = await other.docker(['run', '--rm', '--ipc', 'container:donor', 'busybox', 'cat', '/dev/shm/f']);
    assert.equal(joined.stdout.trim(), 'shared', joined.stderr);
    const priv = await other.docker(['run', '--name', 'priv', '--ipc', 'private', 'busybox', 'true']);
    assert.equal(priv.code, 0, priv.stderr);
    assert.equal(JSON.parse((await other.docker(['inspect', 'priv'])).stdout)[0].HostConfig.IpcMode, 'private', 'an explicit private wins');
    await other.docker(['rm', '-f', 'cgc', 'donor', 'priv']);
  } finally {
    await other.cleanup();
  }
  await assert.rejects(TestDaemon.start({ config: () => ({ 'default-cgroupns-mode': 'shared' }) }), /default cgroup namespace mode \("shared"\) is invalid/);
  await assert.rejects(TestDaemon.start({ config: () => ({ 'default-ipc-mode': 'host' }) }), /default IPC mode \("host"\) is invalid/);
});
