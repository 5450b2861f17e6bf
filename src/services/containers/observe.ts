import { execFile } from 'node:child_process';
import { totalmem } from 'node:os';
import { promisify } from 'node:util';
import { Conflict, InvalidArgument } from '../../errdefs/index.js';
import { cgroupPids, cgroupStats, onlineCpus, systemCpuNs } from '../../core/runtime/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { interfaceCounters } from '../../core/network/index.js';
import { cgroupParentOf } from './resources.js';

const execFileP = promisify(execFile);

/** docker top: the host's `ps` with the client's options, narrowed to the container's processes. */
export async function containerTop(rec: ContainerRecord, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw new Conflict(`Container ${rec.id} is not running`);
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  let stdout: string;
  try {
    ({ stdout } = await execFileP('ps', args, { maxBuffer: 16 << 20 }));
  } catch (e) {
    throw new InvalidArgument(`ps: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new InvalidArgument(`Couldn't find PID field in ps output`);
  const pids = new Set(await cgroupPids(rec.id, cgroupParentOf(rec)));
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    // The last column (the command) may hold spaces.
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (pids.has(Number(row[pidCol]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

export interface StatsSample {
  read: string;
  cpu: Record<string, unknown>;
  memory: Record<string, unknown>;
  pids: { current: number; limit?: number };
  blkio: Record<string, unknown>;
  /** Per interface of the container's own namespace; absent with host networking. */
  networks?: Record<string, Record<string, number>>;
}

const ZERO = '0001-01-01T00:00:00Z';

async function sample(rec: ContainerRecord): Promise<StatsSample> {
  const ownNetns = rec.spec.namespaces.network.mode !== 'host' && rec.state.pid > 0;
  const [st, sys, cpus, nets] = await Promise.all([cgroupStats(rec.id, undefined, cgroupParentOf(rec)), systemCpuNs(), onlineCpus(), ownNetns ? interfaceCounters(rec.state.pid) : undefined]);
  const host = totalmem();
  const limit = st ? Math.min(st.memory.limit || host, host) : 0;
  return {
    ...(nets && Object.keys(nets).length ? { networks: nets } : {}),
    read: new Date().toISOString(),
    cpu: st
      ? {
          cpu_usage: { total_usage: st.cpu.totalNs, percpu_usage: st.cpu.perCpuNs.length ? st.cpu.perCpuNs : null, usage_in_kernelmode: st.cpu.systemNs, usage_in_usermode: st.cpu.userNs },
          system_cpu_usage: sys,
          online_cpus: cpus,
          throttling_data: { periods: st.cpu.periods, throttled_periods: st.cpu.throttledPeriods, throttled_time: st.cpu.throttledNs },
        }
      : { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory: st ? { usage: st.memory.usage, max_usage: st.memory.maxUsage, stats: st.memory.stats, limit } : {},
    pids: st ? { current: st.pids.current, ...(st.pids.limit && st.pids.limit < Number.MAX_SAFE_INTEGER ? { limit: st.pids.limit } : {}) } : { current: 0 },
    blkio: {
      io_service_bytes_recursive: st && st.blkio.length ? st.blkio.map((b) => ({ major: b.major, minor: b.minor, op: b.op, value: b.value })) : null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
  };
}

/** Docker's stats JSON from two samples (the previous one gives CPU % its delta). */
export function statsJson(rec: ContainerRecord, now: StatsSample, prev: StatsSample | undefined): Record<string, unknown> {
  return {
    read: now.read,
    preread: prev?.read ?? ZERO,
    pids_stats: now.pids,
    blkio_stats: now.blkio,
    num_procs: 0,
    storage_stats: {},
    cpu_stats: now.cpu,
    precpu_stats: prev?.cpu ?? { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: now.memory,
    ...(now.networks ? { networks: now.networks } : {}),
    name: `/${rec.name}`,
    id: rec.id,
  };
}

/**
 * Stats samples once a second. `oneShot` gives one sample without a previous one; a non-streamed
 * request gives two, a second apart, so the client can compute CPU %, as Docker does.
 */
export async function* containerStats(rec: ContainerRecord, opts: { stream: boolean; oneShot: boolean; signal: AbortSignal; isRunning: () => boolean }): AsyncGenerator<Record<string, unknown>> {
  let prev: StatsSample | undefined;
  if (!opts.isRunning()) {
    yield statsJson(rec, await sample(rec), undefined);
    return;
  }
  if (!opts.oneShot) {
    prev = await sample(rec);
    if (!opts.stream) await sleep(1000, opts.signal);
  }
  for (;;) {
    if (opts.signal.aborted) return;
    const now = await sample(rec);
    yield statsJson(rec, now, prev);
    if (!opts.stream || !opts.isRunning()) return;
    prev = now;
    await sleep(1000, opts.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/** One container's CPU and memory now, as the CRI reports them (kubelet derives rates itself). */
export interface ContainerCgroupUsage {
  cpuNs: number;
  memoryUsage: number;
  /** Usage less inactive file pages: what the kernel cannot reclaim at once (kubelet's eviction signal). */
  workingSet: number;
  /** The limit, or the host's memory. */
  memoryLimit: number;
  rss: number;
  pageFaults: number;
  majorPageFaults: number;
}

export async function containerUsage(rec: ContainerRecord): Promise<ContainerCgroupUsage | undefined> {
  const st = await cgroupStats(rec.id, undefined, cgroupParentOf(rec));
  if (!st) return undefined;
  const m = st.memory.stats;
  const inactive = m['total_inactive_file'] ?? m['inactive_file'] ?? 0;
  const host = totalmem();
  return {
    cpuNs: st.cpu.totalNs,
    memoryUsage: st.memory.usage,
    workingSet: Math.max(0, st.memory.usage - inactive),
    memoryLimit: Math.min(st.memory.limit || host, host),
    rss: m['total_rss'] ?? m['anon'] ?? 0,
    pageFaults: m['total_pgfault'] ?? m['pgfault'] ?? 0,
    majorPageFaults: m['total_pgmajfault'] ?? m['pgmajfault'] ?? 0,
  };
}
