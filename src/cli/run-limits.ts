import type { HostConfig } from '../api/index.js';
import { ramInBytes } from '../api/index.js';
import { InvalidArgument } from '../errdefs/index.js';

/** `run`/`create` flags for namespace modes and the block I/O, OOM and real-time limits. */
export interface NamespaceLimitFlags {
  pid?: string;
  ipc?: string;
  uts?: string;
  cgroupns?: string;
  oomScoreAdj?: string;
  oomKillDisable?: boolean;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  blkioWeight?: string;
  blkioWeightDevice?: string[];
  deviceReadBps?: string[];
  deviceWriteBps?: string[];
  deviceReadIops?: string[];
  deviceWriteIops?: string[];
  storageOpt?: string[];
}

function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw new InvalidArgument(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return n;
}

/** `<device-path>:<value>` as the docker CLI checks it (opts.ValidateWeightDevice, ValidateThrottle*Device). */
function deviceValue(flag: string, spec: string): [string, string] {
  const at = spec.indexOf(':');
  if (at <= 0) throw new InvalidArgument(`invalid argument "${spec}" for "${flag}" flag: bad format: ${spec}`);
  const path = spec.slice(0, at);
  if (!path.startsWith('/dev/')) throw new InvalidArgument(`invalid argument "${spec}" for "${flag}" flag: bad format for device path: ${spec}`);
  return [path, spec.slice(at + 1)];
}

function bpsDevices(flag: string, list: string[] | undefined): { Path: string; Rate: number }[] | undefined {
  if (!list?.length) return undefined;
  return list.map((spec) => {
    const [path, v] = deviceValue(flag, spec);
    const rate = ramInBytes(v);
    if (rate === undefined || rate < 0) {
      throw new InvalidArgument(`invalid argument "${spec}" for "${flag}" flag: invalid rate for device: ${spec}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
    }
    return { Path: path, Rate: rate };
  });
}

function iopsDevices(flag: string, list: string[] | undefined): { Path: string; Rate: number }[] | undefined {
  if (!list?.length) return undefined;
  return list.map((spec) => {
    const [path, v] = deviceValue(flag, spec);
    if (!/^\d+$/.test(v)) throw new InvalidArgument(`invalid argument "${spec}" for "${flag}" flag: invalid rate for device: ${spec}. The correct format is <device-path>:<number>. Number must be a positive integer`);
    return { Path: path, Rate: Number(v) };
  });
}

/** Fills the HostConfig keys of these flags, refusing what the docker CLI refuses before sending. */
export function applyNamespaceLimitFlags(flags: NamespaceLimitFlags, hc: HostConfig): void {
  const out = hc as Record<string, unknown>;
  if (flags.pid !== undefined) {
    if (!['', 'host'].includes(flags.pid) && !/^container:.+/.test(flags.pid)) throw new InvalidArgument('--pid: invalid PID mode');
    out['PidMode'] = flags.pid;
  }
  if (flags.uts !== undefined) {
    if (!['', 'host'].includes(flags.uts)) throw new InvalidArgument('--uts: invalid UTS mode');
    out['UTSMode'] = flags.uts;
  }
  if (flags.cgroupns !== undefined) {
    if (!['', 'host', 'private'].includes(flags.cgroupns)) throw new InvalidArgument('--cgroupns: invalid CGROUP mode');
    out['CgroupnsMode'] = flags.cgroupns;
  }
  // The daemon checks the IPC mode (the docker CLI sends it as given).
  if (flags.ipc !== undefined) out['IpcMode'] = flags.ipc;
  const oom = int(flags.oomScoreAdj, '--oom-score-adj');
  // Its range is the daemon's check, as with the docker CLI.
  if (oom !== undefined) out['OomScoreAdj'] = oom;
  if (flags.oomKillDisable) out['OomKillDisable'] = true;
  const rtPeriod = int(flags.cpuRtPeriod, '--cpu-rt-period');
  if (rtPeriod !== undefined) out['CpuRealtimePeriod'] = rtPeriod;
  const rtRuntime = int(flags.cpuRtRuntime, '--cpu-rt-runtime');
  if (rtRuntime !== undefined) out['CpuRealtimeRuntime'] = rtRuntime;
  const weight = int(flags.blkioWeight, '--blkio-weight');
  if (weight !== undefined) out['BlkioWeight'] = weight;
  if (flags.blkioWeightDevice?.length) {
    out['BlkioWeightDevice'] = flags.blkioWeightDevice.map((spec) => {
      const [path, v] = deviceValue('--blkio-weight-device', spec);
      const w = Number(v);
      if (!/^\d+$/.test(v) || (w !== 0 && (w < 10 || w > 1000))) throw new InvalidArgument(`invalid argument "${spec}" for "--blkio-weight-device" flag: invalid weight for device: ${spec}`);
      return { Path: path, Weight: w };
    });
  }
  const set = (key: string, v: unknown[] | undefined): void => {
    if (v) out[key] = v;
  };
  set('BlkioDeviceReadBps', bpsDevices('--device-read-bps', flags.deviceReadBps));
  set('BlkioDeviceWriteBps', bpsDevices('--device-write-bps', flags.deviceWriteBps));
  set('BlkioDeviceReadIOps', iopsDevices('--device-read-iops', flags.deviceReadIops));
  set('BlkioDeviceWriteIOps', iopsDevices('--device-write-iops', flags.deviceWriteIops));
  if (flags.storageOpt?.length) {
    const opts: Record<string, string> = {};
    for (const kv of flags.storageOpt) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new InvalidArgument(`invalid storage option: ${kv}`);
      opts[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    out['StorageOpt'] = opts;
  }
}
