import { MASKED_PATHS, READONLY_PATHS, type ContainerRecord } from '../../../services/index.js';
import { HOST_CONFIG_KEYS } from './keys.js';
import { renderEchoed } from './view.js';
import { networkModeOf } from './create.js';
import { namespaceModesToWire } from './namespaces.js';

/** Docker's default ShmSize (daemon/config DefaultShmSize): 64 MiB, what berth's /dev/shm has. */
const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

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
    Binds: Array.isArray(binds) && binds.length ? binds : renderEchoed(s)['Binds'],
    // What the client asked for; berth's default rotation applies at use and is not written here.
    // '' only before create resolved the daemon's driver.
    LogConfig: { Type: s.logging.driver || 'json-file', Config: s.logging.options ?? {} },
    NetworkMode: networkModeOf(s),
    PortBindings: Object.fromEntries(Object.entries(s.networking.portBindings).map(([k, v]) => [k, v.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort }))])),
    RestartPolicy: { Name: s.lifecycle.restartPolicy.name, MaximumRetryCount: s.lifecycle.restartPolicy.maximumRetryCount },
    AutoRemove: s.lifecycle.autoRemove,
    CapAdd: s.security.capAdd.length ? s.security.capAdd : null,
    CapDrop: s.security.capDrop.length ? s.security.capDrop : null,
    // PidMode, IpcMode, UTSMode, CgroupnsMode (the daemon's default when the create named none), UsernsMode.
    ...namespaceModesToWire(s.namespaces),
    OomScoreAdj: r.oomScoreAdj ?? 0,
    BlkioWeight: r.blkio?.weight ?? 0,
    CpuRealtimePeriod: r.cpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: r.cpuRealtimeRuntime ?? 0,
    Privileged: s.security.privileged,
    PublishAllPorts: s.networking.publishAll,
    ReadonlyRootfs: s.rootfs.readOnly,
    StorageOpt: s.rootfs.driverOptions ?? null,
    ShmSize: r.shmSize ?? DEFAULT_SHM_SIZE,
    Runtime: s.runtime ?? 'runc',
    CpuShares: r.cpuShares ?? 0,
    Memory: r.memory ?? 0,
    NanoCpus: r.nanoCpus ?? 0,
    CpuPeriod: r.cpuPeriod ?? 0,
    CpuQuota: r.cpuQuota ?? 0,
    CpusetCpus: r.cpusetCpus ?? '',
    CpusetMems: r.cpusetMems ?? '',
    MemorySwappiness: r.memorySwappiness ?? null,
    // As asked: the daemon's default parent, when it applied, is not the container's to show (dockerd shows '').
    CgroupParent: r.cgroupParent ?? '',
    MemoryReservation: r.memoryReservation ?? 0,
    MemorySwap: r.memorySwap ?? 0,
    OomKillDisable: r.oomKillDisable === true,
    PidsLimit: r.pidsLimit ?? null,
    // The paths berth's runtime spec masks; dockerd leaves them null for a privileged container.
    MaskedPaths: s.security.privileged ? null : [...MASKED_PATHS],
    ReadonlyPaths: s.security.privileged ? null : [...READONLY_PATHS],
    Init: s.lifecycle.init ? true : null,
  };
}

/**
 * Container inspect's HostConfig: every key of Docker's, in its order, each holding what berth
 * decided, else the client's spelling where the spec cannot give it back (its view), else the
 * value rendered from the spec, else Docker's zero value.
 */
export function wireHostConfig(c: ContainerRecord, links: string[] = []): Record<string, unknown> {
  const view = c.views?.['docker'] ?? {};
  const echoed = renderEchoed(c.spec);
  // `links`: HostConfig.Links as dockerd shows them (`/target:/parent/alias`), resolved by the caller.
  const own: Record<string, unknown> = { ...decided(c), Links: links.length ? links : null };
  const out: Record<string, unknown> = {};
  for (const [key, zero, omitEmpty] of HOST_CONFIG_KEYS) {
    const v = key in own ? own[key] : view[key] !== undefined ? view[key] : key in echoed ? echoed[key] : zero;
    if (omitEmpty && isEmpty(v)) continue;
    out[key] = v;
  }
  return out;
}
