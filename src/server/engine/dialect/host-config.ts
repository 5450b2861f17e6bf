import { MASKED_PATHS, READONLY_PATHS, type ContainerRecord } from '../../../services/index.js';

/** Docker's default ShmSize (daemon/config DefaultShmSize): 64 MiB, what berth's /dev/shm has. */
const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/**
 * Every key of Docker's HostConfig (api/types/container HostConfig with Resources embedded, as the
 * Engine API 1.43 renders it), in the order of its Go struct, with the Go zero value it has when
 * nothing set it. SDKs index these keys, so none may be missing. `omitEmpty` keys are the ones the
 * struct tags `omitempty`: dockerd leaves them out unless they hold a value.
 */
const HOST_CONFIG_KEYS: readonly (readonly [key: string, zero: unknown, omitEmpty?: true])[] = [
  ['Binds', null],
  ['ContainerIDFile', ''],
  ['LogConfig', null],
  ['NetworkMode', ''],
  ['PortBindings', null],
  ['RestartPolicy', null],
  ['AutoRemove', false],
  ['VolumeDriver', ''],
  ['VolumesFrom', null],
  ['ConsoleSize', [0, 0]],
  ['Annotations', null, true],
  ['CapAdd', null],
  ['CapDrop', null],
  ['CgroupnsMode', ''],
  ['Dns', null],
  ['DnsOptions', null],
  ['DnsSearch', null],
  ['ExtraHosts', null],
  ['GroupAdd', null],
  ['IpcMode', ''],
  ['Cgroup', ''],
  ['Links', null],
  ['OomScoreAdj', 0],
  ['PidMode', ''],
  ['Privileged', false],
  ['PublishAllPorts', false],
  ['ReadonlyRootfs', false],
  ['SecurityOpt', null],
  ['StorageOpt', null, true],
  ['Tmpfs', null, true],
  ['UTSMode', ''],
  ['UsernsMode', ''],
  ['ShmSize', 0],
  ['Sysctls', null, true],
  ['Runtime', '', true],
  ['Isolation', ''],
  // Resources, embedded.
  ['CpuShares', 0],
  ['Memory', 0],
  ['NanoCpus', 0],
  ['CgroupParent', ''],
  ['BlkioWeight', 0],
  ['BlkioWeightDevice', null],
  ['BlkioDeviceReadBps', null],
  ['BlkioDeviceWriteBps', null],
  ['BlkioDeviceReadIOps', null],
  ['BlkioDeviceWriteIOps', null],
  ['CpuPeriod', 0],
  ['CpuQuota', 0],
  ['CpuRealtimePeriod', 0],
  ['CpuRealtimeRuntime', 0],
  ['CpusetCpus', ''],
  ['CpusetMems', ''],
  ['Devices', null],
  ['DeviceCgroupRules', null],
  ['DeviceRequests', null],
  ['KernelMemory', 0, true],
  ['KernelMemoryTCP', 0, true],
  ['MemoryReservation', 0],
  ['MemorySwap', 0],
  ['MemorySwappiness', null],
  ['OomKillDisable', null],
  ['PidsLimit', null],
  ['Ulimits', null],
  ['CpuCount', 0],
  ['CpuPercent', 0],
  ['IOMaximumIOps', 0],
  ['IOMaximumBandwidth', 0],
  // End of Resources.
  ['Mounts', null, true],
  ['MaskedPaths', null],
  ['ReadonlyPaths', null],
  ['Init', null, true],
];

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/** The keys rendered from the spec, and the defaults dockerd fills in at create. */
function decided(c: ContainerRecord): Record<string, unknown> {
  const s = c.spec;
  const r = s.resources;
  const binds = c.views?.['docker']?.['Binds'];
  return {
    Binds: Array.isArray(binds) && binds.length ? binds : null,
    // What the client asked for; berth's default rotation applies at use and is not written here.
    LogConfig: { Type: s.logging.driver, Config: s.logging.options ?? {} },
    NetworkMode: s.networking.network,
    PortBindings: Object.fromEntries(Object.entries(s.networking.portBindings).map(([k, v]) => [k, v.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort }))])),
    RestartPolicy: { Name: s.lifecycle.restartPolicy.name, MaximumRetryCount: s.lifecycle.restartPolicy.maximumRetryCount },
    AutoRemove: s.lifecycle.autoRemove,
    CapAdd: s.security.capAdd.length ? s.security.capAdd : null,
    CapDrop: s.security.capDrop.length ? s.security.capDrop : null,
    // berth gives a container no cgroup namespace of its own (dockerd's default on cgroup v1) and a private IPC one.
    CgroupnsMode: s.namespaces.cgroup.mode === 'host' ? 'host' : 'private',
    IpcMode: s.namespaces.ipc.shareable ? 'shareable' : 'private',
    Privileged: s.security.privileged,
    PublishAllPorts: s.networking.publishAll,
    ReadonlyRootfs: s.rootfs.readOnly,
    UsernsMode: s.namespaces.user.mode === 'host' ? 'host' : '',
    ShmSize: r.shmSize ?? DEFAULT_SHM_SIZE,
    Sysctls: Object.keys(s.security.sysctls).length ? s.security.sysctls : null,
    Runtime: 'runc',
    CpuShares: r.cpuShares ?? 0,
    Memory: r.memory ?? 0,
    NanoCpus: r.nanoCpus ?? 0,
    CpuPeriod: r.cpuPeriod ?? 0,
    CpuQuota: r.cpuQuota ?? 0,
    CpusetCpus: r.cpusetCpus ?? '',
    MemoryReservation: r.memoryReservation ?? 0,
    MemorySwap: r.memorySwap ?? 0,
    OomKillDisable: false,
    PidsLimit: r.pidsLimit ?? null,
    // The paths berth's runtime spec masks; dockerd leaves them null for a privileged container.
    MaskedPaths: s.security.privileged ? null : [...MASKED_PATHS],
    ReadonlyPaths: s.security.privileged ? null : [...READONLY_PATHS],
    Init: s.lifecycle.init ? true : null,
  };
}

/**
 * Container inspect's HostConfig: every key of Docker's, in its order, each holding what berth
 * decided (rendered from the spec), else what the client sent (its view), else Docker's zero value.
 */
export function wireHostConfig(c: ContainerRecord, links: string[] = []): Record<string, unknown> {
  const view = c.views?.['docker'] ?? {};
  // `links`: HostConfig.Links as dockerd shows them (`/target:/parent/alias`), resolved by the caller.
  const own: Record<string, unknown> = { ...decided(c), Links: links.length ? links : null };
  const out: Record<string, unknown> = {};
  for (const [key, zero, omitEmpty] of HOST_CONFIG_KEYS) {
    const v = key in own ? own[key] : view[key] !== undefined ? view[key] : zero;
    if (omitEmpty && isEmpty(v)) continue;
    out[key] = v;
  }
  return out;
}
