import { InvalidArgument } from '../../../errdefs/index.js';
import type { BlkioSpec, ResourceSpec } from '../../../services/index.js';

/*
 * The limits of HostConfig beyond memory, CPU and pids: OomScoreAdj, OomKillDisable, the real-time
 * CPU budget and the block I/O weights and throttles, checked as dockerd checks them at create
 * (verifyPlatformContainerSettings/Resources). Whether this host can apply them is the container
 * service's check: where dockerd discards one with a warning, berth refuses.
 */

type MoreLimits = Pick<ResourceSpec, 'oomScoreAdj' | 'oomKillDisable' | 'cpuRealtimePeriod' | 'cpuRealtimeRuntime' | 'blkio'>;

function int(hc: Record<string, unknown>, key: string): number | undefined {
  const v = hc[key];
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidArgument(`HostConfig.${key} must be an integer`);
  return v;
}

function devices<K extends 'Weight' | 'Rate'>(hc: Record<string, unknown>, key: string, field: K): { path: string; value: number }[] {
  const list = hc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new InvalidArgument(`HostConfig.${key} must be a list`);
  return list.map((d: unknown) => {
    const o = (d && typeof d === 'object' ? d : {}) as Record<string, unknown>;
    const path = o['Path'];
    const value = o[field];
    if (typeof path !== 'string' || !path.startsWith('/')) throw new InvalidArgument(`HostConfig.${key}: bad format for device path: ${JSON.stringify(d)}`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new InvalidArgument(`HostConfig.${key}: invalid ${field.toLowerCase()} for device: ${path}`);
    return { path, value };
  });
}

const rates = (hc: Record<string, unknown>, key: string): { path: string; rate: number }[] => devices(hc, key, 'Rate').map((d) => ({ path: d.path, rate: d.value }));

export function moreLimitsFromHostConfig(hc: Record<string, unknown>): MoreLimits {
  const out: MoreLimits = {};
  const oom = int(hc, 'OomScoreAdj');
  if (oom !== undefined) {
    if (oom < -1000 || oom > 1000) throw new InvalidArgument(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
    out.oomScoreAdj = oom;
  }
  if (hc['OomKillDisable'] === true) out.oomKillDisable = true;
  const rtPeriod = int(hc, 'CpuRealtimePeriod');
  const rtRuntime = int(hc, 'CpuRealtimeRuntime');
  if (rtPeriod !== undefined && rtRuntime !== undefined && rtRuntime > rtPeriod) throw new InvalidArgument('cpu real-time runtime cannot be higher than cpu real-time period');
  if (rtPeriod !== undefined) {
    if (rtPeriod < 0) throw new InvalidArgument('HostConfig.CpuRealtimePeriod must not be negative');
    out.cpuRealtimePeriod = rtPeriod;
  }
  if (rtRuntime !== undefined) out.cpuRealtimeRuntime = rtRuntime;
  const weight = int(hc, 'BlkioWeight');
  if (weight !== undefined && (weight < 10 || weight > 1000)) throw new InvalidArgument('Range of blkio weight is from 10 to 1000');
  const weightDevices = devices(hc, 'BlkioWeightDevice', 'Weight').map((d) => {
    if (d.value !== 0 && (d.value < 10 || d.value > 1000)) throw new InvalidArgument(`invalid weight for device: ${d.path}:${d.value}: the weight is from 10 to 1000`);
    return { path: d.path, weight: d.value };
  });
  const blkio: BlkioSpec = {
    ...(weight !== undefined ? { weight } : {}),
    weightDevices,
    readBps: rates(hc, 'BlkioDeviceReadBps'),
    writeBps: rates(hc, 'BlkioDeviceWriteBps'),
    readIops: rates(hc, 'BlkioDeviceReadIOps'),
    writeIops: rates(hc, 'BlkioDeviceWriteIOps'),
  };
  if (blkio.weight !== undefined || Object.values(blkio).some((v) => Array.isArray(v) && v.length > 0)) out.blkio = blkio;
  return out;
}

/** dockerd's create warnings for these limits (the docker CLI prints each as a WARNING line). */
export function createWarnings(r: ResourceSpec): string[] {
  const out: string[] = [];
  if (r.oomKillDisable && !r.memory) out.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  return out;
}

/** The same limits in HostConfig's words (inspect, and an update merged over them). */
export function moreLimitsToWire(r: ResourceSpec): Record<string, unknown> {
  const b = r.blkio;
  const rate = (l: { path: string; rate: number }[] | undefined): { Path: string; Rate: number }[] => (l ?? []).map((d) => ({ Path: d.path, Rate: d.rate }));
  return {
    OomScoreAdj: r.oomScoreAdj ?? 0,
    OomKillDisable: r.oomKillDisable === true,
    CpuRealtimePeriod: r.cpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: r.cpuRealtimeRuntime ?? 0,
    BlkioWeight: b?.weight ?? 0,
    BlkioWeightDevice: (b?.weightDevices ?? []).map((d) => ({ Path: d.path, Weight: d.weight })),
    BlkioDeviceReadBps: rate(b?.readBps),
    BlkioDeviceWriteBps: rate(b?.writeBps),
    BlkioDeviceReadIOps: rate(b?.readIops),
    BlkioDeviceWriteIOps: rate(b?.writeIops),
  };
}
