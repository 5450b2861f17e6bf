import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupStats } from './cgroups.js';

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'berth-cgroup-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

test('cgroup v2: cpu.stat in µs, memory.current/peak/max, pids, io.stat bytes as read/write', async () => {
  const c = 'berth/c1';
  const root = await tree({
    [`${c}/cgroup.procs`]: '42\n',
    [`${c}/cpu.stat`]: 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\nthrottled_usec 30\n',
    [`${c}/memory.current`]: '1048576\n',
    [`${c}/memory.peak`]: '2097152\n',
    [`${c}/memory.max`]: 'max\n',
    [`${c}/memory.stat`]: 'anon 4096\nfile 8192\n',
    [`${c}/pids.current`]: '3\n',
    [`${c}/pids.max`]: '100\n',
    [`${c}/io.stat`]: '8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=5 wbytes=0 rios=1 wios=0\n',
  });
  try {
    const s = await cgroupStats('c1', root);
    assert.ok(s);
    assert.deepEqual(s.cpu, { totalNs: 2_500_000, userNs: 2_000_000, systemNs: 500_000, perCpuNs: [], throttledPeriods: 2, throttledNs: 30_000, periods: 7 });
    assert.deepEqual(s.memory, { usage: 1048576, maxUsage: 2097152, limit: Number.MAX_SAFE_INTEGER, stats: { anon: 4096, file: 8192 } });
    assert.deepEqual(s.pids, { current: 3, limit: 100 });
    assert.deepEqual(s.blkio, [
      { major: 8, minor: 0, op: 'read', value: 1000 },
      { major: 8, minor: 0, op: 'write', value: 2000 },
      { major: 253, minor: 1, op: 'read', value: 5 },
      { major: 253, minor: 1, op: 'write', value: 0 },
    ]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('cgroup v1: one tree per controller, cpuacct in ns and ticks, blkio throttle bytes', async () => {
  const root = await tree({
    'cpuacct/berth/c1/cgroup.procs': '42\n',
    'cpuacct/berth/c1/cpuacct.usage': '5000\n',
    'cpuacct/berth/c1/cpuacct.usage_percpu': '3000 2000\n',
    'cpuacct/berth/c1/cpuacct.stat': 'user 3\nsystem 1\n',
    'cpu/berth/c1/cpu.stat': 'nr_periods 4\nnr_throttled 1\nthrottled_time 99\n',
    'memory/berth/c1/cgroup.procs': '42\n',
    'memory/berth/c1/memory.usage_in_bytes': '4096\n',
    'memory/berth/c1/memory.max_usage_in_bytes': '8192\n',
    'memory/berth/c1/memory.limit_in_bytes': '9223372036854771712\n',
    'memory/berth/c1/memory.stat': 'cache 0\nrss 4096\n',
    'blkio/berth/c1/cgroup.procs': '42\n',
    'blkio/berth/c1/blkio.throttle.io_service_bytes': '8:0 Read 10\n8:0 Write 20\nTotal 30\n',
  });
  try {
    const s = await cgroupStats('c1', root);
    assert.ok(s);
    assert.deepEqual(s.cpu, { totalNs: 5000, userNs: 30_000_000, systemNs: 10_000_000, perCpuNs: [3000, 2000], throttledPeriods: 1, throttledNs: 99, periods: 4 });
    assert.equal(s.memory.usage, 4096);
    assert.equal(s.memory.maxUsage, 8192);
    assert.deepEqual(s.blkio, [
      { major: 8, minor: 0, op: 'Read', value: 10 },
      { major: 8, minor: 0, op: 'Write', value: 20 },
    ]);
    assert.equal(await cgroupStats('gone', root), undefined);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
