import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('-m: a container over its memory limit is OOM-killed: exit 137 and OOMKilled true', async () => {
  const r = await d.berth(['run', '--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'tail /dev/zero']);
  assert.equal(r.code, 137, r.stderr);
  const st = JSON.parse((await d.docker(['inspect', 'hog'])).stdout)[0].State;
  assert.equal(st.OOMKilled, true);
  assert.equal(st.ExitCode, 137);
  const hc = JSON.parse((await d.docker(['inspect', 'hog'])).stdout)[0].HostConfig;
  assert.equal(hc.Memory, 16 << 20);
});

test('--pids-limit, --cpus and --ulimit reach the container', async () => {
  const r = await d.docker(['run', '--rm', '--pids-limit', '20', '--cpus', '0.5', '--ulimit', 'nofile=256:512', '--shm-size', '8m', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max; df -k /dev/shm | tail -1 | awk \'{print $2}\'']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['256', '512', '20', '50000', '8192']);
});

test('limits the host cannot grant, or nonsense, are refused at create with a message', async () => {
  const small = await d.berth(['run', '--rm', '-m', '1m', 'busybox', 'true']);
  assert.equal(small.code, 125);
  assert.match(small.stderr, /Minimum memory limit allowed is 6MB/);
  const nofile = await d.berth(['run', '--rm', '--ulimit', 'nofile=1048576:1048576', 'busybox', 'sh', '-c', 'ulimit -Hn']);
  // The host's hard limit is below Docker's usual ask: berth clamps instead of failing to start.
  assert.equal(nofile.code, 0, nofile.stderr);
  assert.ok(Number(nofile.stdout.trim()) <= 1048576);
});

test('--init runs an init as pid 1 that reaps and forwards signals', async () => {
  const r = await d.berth(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\/sbin\/docker-init -- sh -c/);
  const id = (await d.berth(['run', '-d', '--init', 'busybox', 'sleep', '300'])).stdout.trim();
  const t0 = Date.now();
  const stop = await d.berth(['stop', '-t', '10', id]);
  assert.equal(stop.code, 0);
  assert.ok(Date.now() - t0 < 5000, 'sleep under an init stops on SIGTERM at once');
  await d.berth(['rm', id]);
});

test('security options: no-new-privileges, cap-drop, sysctl, group-add, device, privileged', async () => {
  const r = await d.docker([
    'run', '--rm', '--security-opt', 'no-new-privileges', '--cap-drop', 'NET_RAW', '--sysctl', 'kernel.shmmax=123456789', '--group-add', '4242', '--device', '/dev/null:/dev/mynull',
    'busybox', 'sh', '-c', 'grep NoNewPrivs /proc/self/status; grep CapEff /proc/self/status; cat /proc/sys/kernel/shmmax; id -G; echo x > /dev/mynull && echo devok',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /NoNewPrivs:\s+1/);
  assert.equal(lines[1]?.split(/\s+/)[1], '00000000a80405fb', 'NET_RAW (bit 13) dropped from the default set');
  assert.equal(lines[2], '123456789');
  assert.match(lines[3] ?? '', /\b4242\b/);
  assert.equal(lines[4], 'devok');
  const bad = await d.berth(['run', '--rm', '--sysctl', 'kernel.hostname=x', 'busybox', 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /not allowed/);
  const priv = await d.berth(['run', '--rm', '--privileged', 'busybox', 'sh', '-c', 'grep CapEff /proc/self/status']);
  const host = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  assert.equal(priv.stdout.trim().split(/\s+/)[1], host, 'privileged gets every capability the host has');
});
