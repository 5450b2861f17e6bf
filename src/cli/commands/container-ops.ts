import { bytesSize, humanSizeWithPrecision, isApiError, jsonLines } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { renderFormat, truncateId } from '../format/formatter.js';
import { tabwrite } from '../format/tabwriter.js';

function fail(ctx: CliContext, e: unknown): number {
  ctx.err(`Error response from daemon: ${isApiError(e) ? e.message : (e as Error).message}\n`);
  return 1;
}

export async function rename(ctx: CliContext, from: string, to: string): Promise<number> {
  const api = await ctx.api();
  try {
    await api.client.call('POST', `/containers/${encodeURIComponent(from)}/rename`, { query: { name: to } });
    return 0;
  } catch (e) {
    return fail(ctx, e);
  }
}

export async function top(ctx: CliContext, id: string, psArgs: string[]): Promise<number> {
  const api = await ctx.api();
  try {
    const r = await api.client.json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${encodeURIComponent(id)}/top`, { query: { ps_args: psArgs.join(' ') } });
    const lines = [r.Titles.join('\t'), ...r.Processes.map((p) => p.join('\t'))];
    ctx.out(tabwrite(lines.join('\n') + '\n', 1, 3));
    return 0;
  } catch (e) {
    return fail(ctx, e);
  }
}

interface StatsJson {
  id: string;
  name: string;
  cpu_stats: { cpu_usage: { total_usage: number; percpu_usage?: number[] | null }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  blkio_stats: { io_service_bytes_recursive: { op: string; value: number }[] | null };
  pids_stats: { current?: number };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

/** The columns docker stats computes from one stats message. */
export function statsRow(s: StatsJson): Record<string, string> {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
  const st = s.memory_stats.stats ?? {};
  // As docker does: the page cache that could be dropped is not the container's usage.
  const cache = st['total_inactive_file'] ?? st['inactive_file'] ?? 0;
  const usage = Math.max(0, (s.memory_stats.usage ?? 0) - cache);
  const limit = s.memory_stats.limit ?? 0;
  let read = 0;
  let write = 0;
  for (const b of s.blkio_stats.io_service_bytes_recursive ?? []) {
    if (b.op.toLowerCase() === 'read') read += b.value;
    if (b.op.toLowerCase() === 'write') write += b.value;
  }
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  const dec = (n: number): string => humanSizeWithPrecision(n, 3);
  return {
    ID: truncateId(s.id),
    Container: truncateId(s.id),
    Name: s.name.replace(/^\//, ''),
    CPUPerc: `${cpu.toFixed(2)}%`,
    MemUsage: `${bytesSize(usage)} / ${bytesSize(limit)}`,
    MemPerc: `${limit > 0 ? ((usage / limit) * 100).toFixed(2) : '0.00'}%`,
    NetIO: `${dec(rx)} / ${dec(tx)}`,
    BlockIO: `${dec(read)} / ${dec(write)}`,
    PIDs: String(s.pids_stats.current ?? 0),
  };
}

const STATS_HEADERS = { ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' };
const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export async function stats(ctx: CliContext, ids: string[], opts: { noStream?: boolean; all?: boolean; format?: string; noTrunc?: boolean }): Promise<number> {
  const api = await ctx.api();
  let targets = ids;
  if (targets.length === 0) {
    const list = await api.client.json<{ Id: string }[]>('GET', '/containers/json', { query: opts.all ? { all: '1' } : {} });
    targets = list.map((c) => c.Id);
  }
  const format = opts.format ?? STATS_TABLE;
  const latest = new Map<string, Record<string, string>>();
  const render = (): string => renderFormat(format, targets.map((t) => latest.get(t)).filter((r): r is Record<string, string> => r !== undefined), STATS_HEADERS);
  let code = 0;
  if (opts.noStream) {
    await Promise.all(
      targets.map(async (t) => {
        try {
          const msg = await api.client.json<StatsJson>('GET', `/containers/${encodeURIComponent(t)}/stats`, { query: { stream: '0' } });
          // docker's CONTAINER column: the name or ID as the user gave it, else the short ID.
          latest.set(t, { ...statsRow(msg), Container: ids.length ? t : truncateId(t), ...(opts.noTrunc ? { ID: msg.id } : {}) });
        } catch (e) {
          code = fail(ctx, e);
        }
      }),
    );
    ctx.out(render());
    return code;
  }
  await Promise.all(
    targets.map(async (t) => {
      const stream = await api.client.stream('GET', `/containers/${encodeURIComponent(t)}/stats`, { query: { stream: '1' } });
      for await (const msg of jsonLines<StatsJson>(stream)) {
        // docker's CONTAINER column: the name or ID as the user gave it, else the short ID.
          latest.set(t, { ...statsRow(msg), Container: ids.length ? t : truncateId(t), ...(opts.noTrunc ? { ID: msg.id } : {}) });
        ctx.out(`\x1b[2J\x1b[H${render()}`);
      }
    }),
  );
  return 0;
}

export interface UpdateFlags {
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpus?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: string;
  restart?: string;
  blkioWeight?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
}

/** docker update: prints each container as given, as docker does. */
export async function update(ctx: CliContext, ids: string[], f: UpdateFlags): Promise<number> {
  const { ramInBytes } = await import('../../api/index.js');
  const body: Record<string, unknown> = {};
  const bytes = (v: string | undefined, key: string): void => {
    if (v === undefined) return;
    const n = v === '-1' ? -1 : ramInBytes(v);
    if (n === undefined) throw new Error(`invalid size: '${v}'`);
    body[key] = n;
  };
  try {
    bytes(f.memory, 'Memory');
    bytes(f.memorySwap, 'MemorySwap');
    bytes(f.memoryReservation, 'MemoryReservation');
    if (f.cpus !== undefined) body['NanoCpus'] = Math.round(Number(f.cpus) * 1e9);
    if (f.cpuShares !== undefined) body['CpuShares'] = Number(f.cpuShares);
    if (f.cpusetCpus !== undefined) body['CpusetCpus'] = f.cpusetCpus;
    if (f.cpusetMems !== undefined) body['CpusetMems'] = f.cpusetMems;
    if (f.pidsLimit !== undefined) body['PidsLimit'] = Number(f.pidsLimit);
    const int = (v: string | undefined, key: string, flag: string): void => {
      if (v === undefined) return;
      if (!/^-?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
      body[key] = Number(v);
    };
    int(f.blkioWeight, 'BlkioWeight', '--blkio-weight');
    int(f.cpuRtPeriod, 'CpuRealtimePeriod', '--cpu-rt-period');
    int(f.cpuRtRuntime, 'CpuRealtimeRuntime', '--cpu-rt-runtime');
    if (f.restart !== undefined) {
      const [name = '', max] = f.restart.split(':');
      body['RestartPolicy'] = { Name: name, MaximumRetryCount: max === undefined ? 0 : Number(max) };
    }
  } catch (e) {
    ctx.err(`berth: ${(e as Error).message}\n`);
    return 125;
  }
  const api = await ctx.api();
  let code = 0;
  for (const id of ids) {
    try {
      await api.client.call('POST', `/containers/${encodeURIComponent(id)}/update`, { body });
      ctx.out(`${id}\n`);
    } catch (e) {
      code = fail(ctx, e);
    }
  }
  return code;
}
