import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a container's cgroup lives: v1 has one tree per controller, v2 one unified tree. */
const ROOT = '/sys/fs/cgroup';

async function text(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function num(path: string): Promise<number | undefined> {
  const t = await text(path);
  if (t === undefined) return undefined;
  const v = t.trim();
  if (v === 'max') return Number.MAX_SAFE_INTEGER;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function keyValues(t: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (t ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** The cgroup a container's own is under: berth's, or the one its spec names (a pod's, from kubelet). */
function parentDir(parent: string | undefined): string {
  return parent ? parent.replace(/^\/+|\/+$/g, '') : 'berth';
}

/** A v1 controller dir if that controller is mounted separately, else the v2 dir. */
async function dir(controller: string, id: string, root = ROOT, parent?: string): Promise<{ path: string; v2: boolean } | undefined> {
  const v1 = join(root, controller, parentDir(parent), id);
  if ((await text(join(v1, 'cgroup.procs'))) !== undefined) return { path: v1, v2: false };
  const v2 = join(root, parentDir(parent), id);
  if ((await text(join(v2, 'cgroup.procs'))) !== undefined) return { path: v2, v2: true };
  return undefined;
}

/** Host pids of every process in the container (for docker top). */
export async function cgroupPids(id: string, parent?: string): Promise<number[]> {
  const d = (await dir('pids', id, ROOT, parent)) ?? (await dir('memory', id, ROOT, parent));
  if (!d) return [];
  return (await text(join(d.path, 'cgroup.procs')) ?? '')
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

export interface CgroupStats {
  cpu: { totalNs: number; userNs: number; systemNs: number; perCpuNs: number[]; throttledPeriods: number; throttledNs: number; periods: number };
  memory: { usage: number; maxUsage: number; limit: number; stats: Record<string, number> };
  pids: { current: number; limit: number };
  blkio: { op: string; major: number; minor: number; value: number }[];
}

const TICK_NS = 1e9 / 100;

/** `root` is the cgroup mount point (another one only in tests). */
export async function cgroupStats(id: string, root = ROOT, parent?: string): Promise<CgroupStats | undefined> {
  const cpu = await dir('cpuacct', id, root, parent);
  const mem = await dir('memory', id, root, parent);
  const pids = await dir('pids', id, root, parent);
  const blk = await dir('blkio', id, root, parent);
  if (!cpu && !mem) return undefined;
  const out: CgroupStats = {
    cpu: { totalNs: 0, userNs: 0, systemNs: 0, perCpuNs: [], throttledPeriods: 0, throttledNs: 0, periods: 0 },
    memory: { usage: 0, maxUsage: 0, limit: 0, stats: {} },
    pids: { current: 0, limit: 0 },
    blkio: [],
  };
  if (cpu && !cpu.v2) {
    out.cpu.totalNs = (await num(join(cpu.path, 'cpuacct.usage'))) ?? 0;
    out.cpu.perCpuNs = ((await text(join(cpu.path, 'cpuacct.usage_percpu'))) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
    const st = keyValues(await text(join(cpu.path, 'cpuacct.stat')));
    out.cpu.userNs = (st['user'] ?? 0) * TICK_NS;
    out.cpu.systemNs = (st['system'] ?? 0) * TICK_NS;
    const th = keyValues(await text(join(root, 'cpu', parentDir(parent), id, 'cpu.stat')));
    out.cpu.periods = th['nr_periods'] ?? 0;
    out.cpu.throttledPeriods = th['nr_throttled'] ?? 0;
    out.cpu.throttledNs = th['throttled_time'] ?? 0;
  } else if (cpu) {
    const st = keyValues(await text(join(cpu.path, 'cpu.stat')));
    out.cpu.totalNs = (st['usage_usec'] ?? 0) * 1000;
    out.cpu.userNs = (st['user_usec'] ?? 0) * 1000;
    out.cpu.systemNs = (st['system_usec'] ?? 0) * 1000;
    out.cpu.periods = st['nr_periods'] ?? 0;
    out.cpu.throttledPeriods = st['nr_throttled'] ?? 0;
    out.cpu.throttledNs = (st['throttled_usec'] ?? 0) * 1000;
  }
  if (mem && !mem.v2) {
    out.memory.usage = (await num(join(mem.path, 'memory.usage_in_bytes'))) ?? 0;
    out.memory.maxUsage = (await num(join(mem.path, 'memory.max_usage_in_bytes'))) ?? 0;
    out.memory.limit = (await num(join(mem.path, 'memory.limit_in_bytes'))) ?? 0;
    out.memory.stats = keyValues(await text(join(mem.path, 'memory.stat')));
  } else if (mem) {
    out.memory.usage = (await num(join(mem.path, 'memory.current'))) ?? 0;
    out.memory.maxUsage = (await num(join(mem.path, 'memory.peak'))) ?? 0;
    out.memory.limit = (await num(join(mem.path, 'memory.max'))) ?? 0;
    out.memory.stats = keyValues(await text(join(mem.path, 'memory.stat')));
  }
  if (pids) {
    out.pids.current = (await num(join(pids.path, 'pids.current'))) ?? 0;
    out.pids.limit = (await num(join(pids.path, 'pids.max'))) ?? 0;
  }
  if (blk && !blk.v2) {
    for (const line of ((await text(join(blk.path, 'blkio.throttle.io_service_bytes'))) ?? '').split('\n')) {
      const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
      if (m) out.blkio.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3] as string, value: Number(m[4]) });
    }
  } else if (blk) {
    // v2 io.stat: `MAJ:MIN rbytes=N wbytes=N rios=N wios=N …`; Docker reports bytes as read/write.
    for (const line of ((await text(join(blk.path, 'io.stat'))) ?? '').split('\n')) {
      const m = /^(\d+):(\d+) (.*)$/.exec(line.trim());
      if (!m) continue;
      const kv = Object.fromEntries((m[3] as string).split(' ').map((f) => f.split('=')));
      for (const [key, op] of [['rbytes', 'read'], ['wbytes', 'write']] as const) {
        if (kv[key] !== undefined) out.blkio.push({ major: Number(m[1]), minor: Number(m[2]), op, value: Number(kv[key]) });
      }
    }
  }
  return out;
}

/** The host's total CPU time in nanoseconds (Docker's system_cpu_usage). */
export async function systemCpuNs(): Promise<number> {
  const first = ((await text('/proc/stat')) ?? '').split('\n')[0] ?? '';
  const fields = first.trim().split(/\s+/).slice(1, 8).map(Number);
  return fields.reduce((a, b) => a + b, 0) * TICK_NS;
}

/** Number of CPUs the host has online. */
export async function onlineCpus(): Promise<number> {
  const entries = await readdir('/sys/devices/system/cpu').catch(() => [] as string[]);
  return entries.filter((e) => /^cpu\d+$/.test(e)).length || 1;
}
