import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * The limits beyond memory, CPU and pids, through the docker CLI 28 and berth's CLI: each one seen
 * in the container's own /proc or cgroup files and in inspect; where this host's cgroups cannot
 * enforce one, the refusal in Docker's words (dockerd would warn and drop it).
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const V1 = existsSync('/sys/fs/cgroup/memory/cgroup.procs');
const has = (path: string): boolean => existsSync(path);

/** The host's first whole disk from /proc/partitions, with its numbers. */
function firstDisk(): { path: string; nums: string } {
  const row = readFileSync('/proc/partitions', 'utf8').split('\n').slice(2).map((l) => l.trim().split(/\s+/)).find((c) => c.length === 4 && !/\d$/.test(c[3] ?? '') && !(c[3] ?? '').startsWith('loop'));
  assert.ok(row, 'a block device on this host');
  return { path: `/dev/${row[3]}`, nums: `${row[0]}:${row[1]}` };
}

async function hostConfig(name: string): Promise<Record<string, unknown>> {
  return JSON.parse((await d.docker(['inspect', name])).stdout)[0].HostConfig;
}

test('--oom-score-adj reaches the process; out of range is refused', async () => {
  for (const cli of ['docker', 'berth'] as const) {
    const r = await d[cli](['run', '--name', `oom-${cli}`, '--oom-score-adj', '500', 'busybox', 'cat', '/proc/self/oom_score_adj']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '500', cli);
    assert.equal((await hostConfig(`oom-${cli}`))['OomScoreAdj'], 500);
    await d.docker(['rm', `oom-${cli}`]);
  }
  const bad = await d.docker(['run', '--rm', '--oom-score-adj', '1001', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /Invalid value 1001, range for oom score adj is \[-1000, 1000\]/);
  // Lowering the score needs CAP_SYS_RESOURCE: applied where berthd holds it, else refused at create in plain words.
  const eff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
  const low = await d.docker(['run', '--rm', '--oom-score-adj', '-500', 'busybox', 'cat', '/proc/self/oom_score_adj']);
  if ((eff >> 24n) & 1n) assert.equal(low.stdout.trim(), '-500', low.stderr);
  else {
    assert.equal(low.code, 125);
    assert.match(low.stderr, /--oom-score-adj -500: berthd may not lower an OOM score below its own \(0\) without CAP_SYS_RESOURCE/);
  }
});

test('--oom-kill-disable: the memory cgroup does not OOM-kill on cgroup v1; refused on v2', async () => {
  const r = await d.docker(['run', '--name', 'nooom', '-m', '32m', '--oom-kill-disable', 'busybox', 'sh', '-c', 'grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control']);
  if (V1) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'oom_kill_disable 1');
    assert.equal((await hostConfig('nooom'))['OomKillDisable'], true);
    await d.docker(['rm', 'nooom']);
    // Without a memory limit dockerd warns, and the docker CLI and berth print it.
    for (const cli of ['docker', 'berth'] as const) {
      const w = await d[cli](['run', '--rm', '--oom-kill-disable', 'busybox', 'true']);
      assert.equal(w.code, 0, w.stderr);
      assert.match(w.stderr, /WARNING: OOM killer is disabled for the container, but no memory limit is set/, cli);
    }
  } else {
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Your kernel does not support disabling the OOM killer/);
  }
});

test('--cpu-rt-period/--cpu-rt-runtime set the container\'s real-time budget; runtime above period is refused', async () => {
  const cpu = '/sys/fs/cgroup/cpu/cpu.rt_runtime_us';
  const r = await d.berth(['run', '--name', 'rt', '--cpu-rt-period', '1000000', '--cpu-rt-runtime', '10000', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/cpu/cpu.rt_period_us /sys/fs/cgroup/cpu/cpu.rt_runtime_us']);
  if (has(cpu)) {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['1000000', '10000']);
    const hc = await hostConfig('rt');
    assert.equal(hc['CpuRealtimePeriod'], 1000000);
    assert.equal(hc['CpuRealtimeRuntime'], 10000);
    await d.docker(['rm', 'rt']);
  } else {
    assert.match(r.stderr, /kernel does not support CPU real-time scheduler/);
  }
  const bad = await d.docker(['run', '--rm', '--cpu-rt-period', '1000', '--cpu-rt-runtime', '5000', 'busybox', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /cpu real-time runtime cannot be higher than cpu real-time period/);
});

test('docker update and berth update change a running container\'s real-time budget and keep its other limits', async () => {
  if (!has('/sys/fs/cgroup/cpu/cpu.rt_runtime_us')) {
    const r = await d.docker(['run', '-d', '--name', 'rtu', 'busybox', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const u = await d.docker(['update', '--cpu-rt-runtime', '1000', 'rtu']);
    assert.match(u.stderr, /kernel does not support CPU real-time scheduler/);
    await d.docker(['rm', '-f', 'rtu']);
    return;
  }
  const r = await d.docker(['run', '-d', '--name', 'rtu', '-m', '48m', '--cpu-rt-period', '1000000', '--cpu-rt-runtime', '10000', 'busybox', 'sleep', '300']);
  assert.equal(r.code, 0, r.stderr);
  try {
    const u = await d.docker(['update', '--cpu-rt-runtime', '20000', 'rtu']);
    assert.equal(u.code, 0, u.stderr);
    const read = async (): Promise<string[]> => (await d.docker(['exec', 'rtu', 'cat', '/sys/fs/cgroup/cpu/cpu.rt_runtime_us', '/sys/fs/cgroup/memory/memory.limit_in_bytes'])).stdout.trim().split('\n');
    assert.deepEqual(await read(), ['20000', String(48 << 20)]);
    const b = await d.berth(['update', '--cpu-rt-runtime', '30000', 'rtu']);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await read(), ['30000', String(48 << 20)]);
    const hc = await hostConfig('rtu');
    assert.equal(hc['CpuRealtimeRuntime'], 30000);
    assert.equal(hc['CpuRealtimePeriod'], 1000000);
    const bad = await d.docker(['update', '--cpu-rt-runtime', '2000000', 'rtu']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /cpu real-time runtime cannot be higher than cpu real-time period/);
  } finally {
    await d.docker(['rm', '-f', 'rtu']);
  }
});

test('--device-read-bps/--device-write-iops throttle a block device in the container\'s blkio cgroup', async () => {
  const disk = firstDisk();
  for (const cli of ['docker', 'berth'] as const) {
    const r = await d[cli]([
      'run', '--name', `io-${cli}`, '--device-read-bps', `${disk.path}:1mb`, '--device-write-bps', `${disk.path}:2mb`, '--device-read-iops', `${disk.path}:300`, '--device-write-iops', `${disk.path}:400`,
      'busybox', 'sh', '-c', 'cd /sys/fs/cgroup/blkio 2>/dev/null && cat blkio.throttle.read_bps_device blkio.throttle.write_bps_device blkio.throttle.read_iops_device blkio.throttle.write_iops_device || cat /sys/fs/cgroup/io.max',
    ]);
    assert.equal(r.code, 0, r.stderr);
    if (V1) assert.deepEqual(r.stdout.trim().split('\n'), [`${disk.nums} 1048576`, `${disk.nums} 2097152`, `${disk.nums} 300`, `${disk.nums} 400`], cli);
    else assert.match(r.stdout, new RegExp(`^${disk.nums} rbps=1048576 wbps=2097152 riops=300 wiops=400`, 'm'));
    const hc = await hostConfig(`io-${cli}`);
    assert.deepEqual(hc['BlkioDeviceReadBps'], [{ Path: disk.path, Rate: 1048576 }]);
    assert.deepEqual(hc['BlkioDeviceWriteIOps'], [{ Path: disk.path, Rate: 400 }]);
    await d.docker(['rm', `io-${cli}`]);
  }
  const missing = await d.docker(['run', '--rm', '--device-read-bps', '/dev/no-such-disk:1mb', 'busybox', 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /block I\/O limit on \/dev\/no-such-disk: no such device/);
  const notBlock = await d.berth(['run', '--rm', '--device-write-iops', '/dev/null:10', 'busybox', 'true']);
  assert.match(notBlock.stderr, /block I\/O limit on \/dev\/null: not a block device/);
  const badRate = await d.berth(['run', '--rm', '--device-read-bps', `${disk.path}:fast`, 'busybox', 'true']);
  assert.match(badRate.stderr, /invalid rate for device/);
});

test('--blkio-weight and --blkio-weight-device: applied where the host has block I/O weights, else refused', async () => {
  const disk = firstDisk();
  const weightFile = ['/sys/fs/cgroup/blkio/blkio.weight', '/sys/fs/cgroup/blkio/blkio.bfq.weight'].find(has);
  const r = await d.docker(['run', '--name', 'bw', '--blkio-weight', '300', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/blkio/blkio.weight /sys/fs/cgroup/blkio/blkio.bfq.weight 2>/dev/null | head -1']);
  if (V1 && weightFile) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /300/);
    await d.docker(['rm', 'bw']);
  } else if (V1) {
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Your kernel does not support Block I\/O weight or the cgroup is not mounted/);
    const dev = await d.berth(['run', '--rm', '--blkio-weight-device', `${disk.path}:200`, 'busybox', 'true']);
    assert.match(dev.stderr, /Your kernel does not support Block I\/O weight_device/);
    // docker update is held to the same rule.
    assert.equal((await d.docker(['run', '-d', '--name', 'bwu', 'busybox', 'sleep', '300'])).code, 0);
    const upd = await d.docker(['update', '--blkio-weight', '300', 'bwu']);
    assert.notEqual(upd.code, 0);
    assert.match(upd.stderr, /Your kernel does not support Block I\/O weight or the cgroup is not mounted/);
    assert.equal((await hostConfig('bwu'))['BlkioWeight'], 0, 'nothing changed');
    await d.docker(['rm', '-f', 'bwu']);
  }
  // docker info names what this host lacks, as dockerd does.
  const info = await d.docker(['info', '--format', '{{json .Warnings}}']);
  const warnings = JSON.parse(info.stdout) as string[] | null;
  if (V1) assert.equal(warnings?.includes('WARNING: No blkio weight support'), !weightFile, info.stdout);
  const range = await d.docker(['run', '--rm', '--blkio-weight', '5', 'busybox', 'true']);
  assert.equal(range.code, 125);
  assert.match(range.stderr, /Range of blkio weight is from 10 to 1000/);
});

test('--storage-opt size= is refused in dockerd\'s words on a data root without project quotas', async () => {
  for (const cli of ['docker', 'berth'] as const) {
    const r = await d[cli](['run', '--rm', '--storage-opt', 'size=1G', 'busybox', 'true']);
    assert.equal(r.code, 125, cli);
    assert.match(r.stderr, /--storage-opt is supported only for overlay over xfs with 'pquota' mount option/);
  }
  const ps = await d.docker(['ps', '-aq']);
  assert.equal(ps.stdout.trim(), '', 'no container was created');
});
