import type { CreateSpec } from '../../../services/index.js';
import { HOST_CONFIG_KEYS } from './keys.js';
import { deviceRequestsToWire } from './device-requests.js';

/*
 * Inspect's HostConfig comes from the spec. Two kinds of key:
 * - decided (RENDERED_KEYS): what berth did, with dockerd's create-time defaults (IpcMode "private",
 *   ShmSize 64 MiB, Runtime "runc" …), whatever the client sent;
 * - echoed: what the client asked for, rendered from the spec in Docker's canonical spelling
 *   (renderEchoed). Where the client spelled it otherwise (`seccomp:unconfined`, a bind written
 *   `v:/d/`, [] where the spec renders null, a --mount object, ContainerIDFile, ConsoleSize, the zero
 *   values of refused fields), its own spelling is kept beside the spec as the record's
 *   `views.docker` (dockerView) and shown instead: only the keys that differ. Nothing below server/
 *   reads it; behaviour comes from the spec alone.
 */

/** The HostConfig keys berth decides; rendered from the spec, never echoed. */
export const RENDERED_KEYS: ReadonlySet<string> = new Set([
  'Binds', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'CapAdd', 'CapDrop', 'CgroupnsMode', 'IpcMode',
  'Links', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'UsernsMode', 'ShmSize', 'Runtime', 'Init', 'PidMode', 'UTSMode', 'OomScoreAdj',
  'BlkioWeight', 'CpuRealtimePeriod', 'CpuRealtimeRuntime',
  'CpuShares', 'Memory', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'MemorySwappiness', 'CgroupParent', 'MemoryReservation', 'MemorySwap', 'OomKillDisable', 'PidsLimit',
  'MaskedPaths', 'ReadonlyPaths',
]);

const ZERO = new Map(HOST_CONFIG_KEYS.map(([k, zero]) => [k, zero]));

const list = <T>(v: T[]): T[] | null => (v.length ? v : null);
const rates = (l: { path: string; rate: number }[] | undefined): { Path: string; Rate: number }[] => (l ?? []).map((d) => ({ Path: d.path, Rate: d.rate }));

/** The same JSON text: key order counts, since inspect shows the client's order where it echoes. */
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The echoed keys as the spec gives them back, in Docker's canonical spelling (Binds too, for the decided Binds). */
export function renderEchoed(spec: CreateSpec): Record<string, unknown> {
  const sec = spec.security;
  const net = spec.networking;
  const blk = spec.resources.blkio;
  const binds = spec.mounts
    .filter((m) => !m.fromMountsApi && m.type !== 'tmpfs')
    .map((m) => `${m.source ? `${m.source}:` : ''}${m.destination}${m.mode && m.mode !== 'z' ? `:${m.mode}` : ''}`);
  const tmpfs = spec.mounts.filter((m) => m.type === 'tmpfs' && !m.fromMountsApi);
  const securityOpt = [
    ...(sec.noNewPrivileges ? ['no-new-privileges'] : []),
    ...(sec.seccomp.mode === 'unconfined' ? ['seccomp=unconfined'] : sec.seccomp.mode === 'profile' ? [`seccomp=${sec.seccomp.profile}`] : []),
    ...(sec.apparmor ? [`apparmor=${sec.apparmor}`] : []),
  ];
  return {
    Binds: list(binds),
    VolumesFrom: list(spec.volumesFrom.map((v) => (v.rw === undefined ? v.container : `${v.container}:${v.rw ? 'rw' : 'ro'}`))),
    Dns: list(net.dns.servers),
    DnsOptions: list(net.dns.options),
    DnsSearch: list(net.dns.search),
    ExtraHosts: list(net.extraHosts),
    GroupAdd: list(sec.groupAdd),
    SecurityOpt: list(securityOpt),
    Tmpfs: tmpfs.length ? Object.fromEntries(tmpfs.map((m) => [m.destination, (m.options ?? []).join(',')])) : null,
    DeviceRequests: deviceRequestsToWire(sec.deviceRequests),
    Devices: list(sec.devices.map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.permissions }))),
    DeviceCgroupRules: list(sec.deviceCgroupRules.map((r) => `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`)),
    Sysctls: Object.keys(sec.sysctls).length ? sec.sysctls : null,
    Annotations: Object.keys(spec.annotations).length ? spec.annotations : null,
    Ulimits: list(spec.resources.ulimits.map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft }))),
    BlkioWeightDevice: list((blk?.weightDevices ?? []).map((d) => ({ Path: d.path, Weight: d.weight }))),
    BlkioDeviceReadBps: list(rates(blk?.readBps)),
    BlkioDeviceWriteBps: list(rates(blk?.writeBps)),
    BlkioDeviceReadIOps: list(rates(blk?.readIops)),
    BlkioDeviceWriteIOps: list(rates(blk?.writeIops)),
  };
}

/** The keys of a create's HostConfig whose spelling the spec does not give back (undefined: none). */
export function dockerView(hc: Record<string, unknown>, spec: CreateSpec): Record<string, unknown> | undefined {
  const echoed = renderEchoed(spec);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hc)) {
    if (v === undefined || !ZERO.has(k)) continue;
    if (k === 'Binds') {
      // Decided: an empty list shows as null, as dockerd shows it.
      if (Array.isArray(v) && v.length && !same(v, echoed['Binds'])) out[k] = v;
      continue;
    }
    if (RENDERED_KEYS.has(k)) continue;
    const expected = k in echoed ? echoed[k] : ZERO.get(k);
    if (!same(v, expected)) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}
