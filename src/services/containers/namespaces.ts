import { stat } from 'node:fs/promises';
import { Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { BlkioSpec, ContainerRecord, ResourceSpec } from '../../core/metadata/index.js';
import type { CgroupFeatures, ContainerResources, ContainerSpecInput, NsJoin, ThrottleDevice } from '../../core/runtime/index.js';
import { reserveRealtime } from '../../core/runtime/index.js';
import { checkCpusetAndSwappiness } from './cpuset.js';
import { cgroupParentOf, checkCgroupParent } from './resources.js';

/*
 * The PID, IPC, UTS and cgroup namespaces of a container, and the limits that depend on what the
 * host's cgroups can do: checked at create with dockerd's rules and words, turned into the runtime's
 * input at each start (a joined container must be running then, as dockerd requires).
 */

export interface NamespaceDefaults {
  /** daemon.json default-cgroupns-mode; absent: 'host' (dockerd's default on cgroup v1), 'private' on v2. */
  cgroupns?: 'host' | 'private' | undefined;
  /** daemon.json default-ipc-mode; absent: private. */
  ipc?: 'private' | 'shareable' | undefined;
  /** --cgroup-parent / daemon.json `cgroup-parent`: where the cgroups of Docker containers that name none go (absent: /berth). */
  cgroupParent?: string | undefined;
  /** What this host's cgroups can enforce; absent: not checked (tests without a daemon). */
  features?: CgroupFeatures | undefined;
}

/** At create: targets by id, the daemon's cgroup namespace default, and the host's support for the limits. */
export async function planNamespaces(rec: ContainerRecord, unset: { cgroupns?: boolean | undefined; ipc?: boolean | undefined }, defaults: NamespaceDefaults, get: (idOrName: string) => ContainerRecord): Promise<void> {
  const ns = rec.spec.namespaces;
  if (unset.ipc && defaults.ipc === 'shareable') ns.ipc = { mode: 'private', shareable: true };
  for (const kind of ['pid', 'ipc'] as const) {
    const n = ns[kind];
    if (n.mode !== 'container') continue;
    let target: ContainerRecord;
    try {
      target = get(n.target ?? '');
    } catch (e) {
      if (e instanceof NotFound) throw new InvalidArgument(`No such container: ${n.target ?? ''}`, { cause: e });
      throw e;
    }
    if (target.id === rec.id) throw new InvalidArgument(`cannot join the ${kind.toUpperCase()} namespace of the container itself`);
    n.target = target.id;
  }
  const f = defaults.features;
  if (unset.cgroupns) ns.cgroup = { mode: defaults.cgroupns ?? (f?.v2 ? 'private' : 'host') };
  if (ns.cgroup.mode === 'private' && f && !f.cgroupNamespaces) throw new InvalidArgument('Your kernel does not support cgroup namespaces');
  if (f) checkHostLimits(rec.spec.resources, f);
  const parent = rec.spec.resources.cgroupParent;
  if (parent) checkCgroupParent(parent, '--cgroup-parent');
  // The daemon's default is Docker's: a pod's containers (CRI) go under kubelet's cgroup or berth's.
  else if (defaults.cgroupParent && !rec.namespace) rec.cgroupParent = defaults.cgroupParent;
  await blockDevices(rec.spec.resources.blkio);
}

/**
 * docker update's new limits for the runtime: checked against the host as at create; a running
 * container's real-time budget is reserved in berth's parent cgroup first.
 */
export async function updatedResources(rec: ContainerRecord, r: ResourceSpec, defaults: NamespaceDefaults, base: ContainerResources): Promise<ContainerResources> {
  if (defaults.features) checkHostLimits(r, defaults.features);
  const live = rec.state.status === 'running' || rec.state.status === 'paused';
  if (live && r.cpuRealtimeRuntime) await reserveRealtime(rec.id, r.cpuRealtimeRuntime, undefined, cgroupParentOf(rec));
  const blockIO = await blockDevices(r.blkio);
  return { ...base, ...(blockIO ? { blockIO } : {}) };
}

/** Where dockerd warns and discards a limit the host cannot enforce, berth refuses it (same words). */
export function checkHostLimits(r: ResourceSpec, f: CgroupFeatures): void {
  if (r.oomScoreAdj !== undefined && r.oomScoreAdj < f.oomScoreAdjFloor && r.restrictOomScoreAdj) r.oomScoreAdj = f.oomScoreAdjFloor;
  if (r.oomScoreAdj !== undefined && r.oomScoreAdj < f.oomScoreAdjFloor) {
    throw new InvalidArgument(`--oom-score-adj ${r.oomScoreAdj}: berthd may not lower an OOM score below its own (${f.oomScoreAdjFloor}) without CAP_SYS_RESOURCE, which it does not hold on this host`);
  }
  if (r.oomKillDisable && !f.oomKillDisable) throw new InvalidArgument('Your kernel does not support disabling the OOM killer (cgroup v2 has no switch for it): --oom-kill-disable is refused');
  if ((r.cpuRealtimePeriod || r.cpuRealtimeRuntime) && !f.cpuRealtime) throw new InvalidArgument('kernel does not support CPU real-time scheduler');
  checkCpusetAndSwappiness(r, f);
  const b = r.blkio;
  if (!b) return;
  if (b.weight && !f.blkioWeight) throw new InvalidArgument('Your kernel does not support Block I/O weight or the cgroup is not mounted (no blkio.weight or io.weight on this host): --blkio-weight is refused');
  if (b.weightDevices.length && !f.blkioWeightDevice) throw new InvalidArgument('Your kernel does not support Block I/O weight_device or the cgroup is not mounted: --blkio-weight-device is refused');
  const throttled: [keyof BlkioSpec, string][] = [['readBps', 'BPS Block I/O read limit'], ['writeBps', 'BPS Block I/O write limit'], ['readIops', 'IOPS Block read limit'], ['writeIops', 'IOPS Block write limit']];
  for (const [k, what] of throttled) {
    if ((b[k] as unknown[]).length && !f.blkioThrottle) throw new InvalidArgument(`Your kernel does not support ${what} or the cgroup is not mounted`);
  }
}

async function deviceNumbers(path: string): Promise<{ major: number; minor: number }> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new InvalidArgument(`block I/O limit on ${path}: no such device`, { cause: e });
  }
  if (!st.isBlockDevice()) throw new InvalidArgument(`block I/O limit on ${path}: not a block device`);
  const rdev = BigInt(st.rdev);
  return { major: Number((rdev >> 8n) & 0xfffn), minor: Number((rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n)) };
}

/** The block I/O limits by device number, for the runtime. */
export async function blockDevices(b: BlkioSpec | undefined): Promise<ContainerResources['blockIO']> {
  if (!b) return undefined;
  const rates = async (l: { path: string; rate: number }[]): Promise<ThrottleDevice[]> => Promise.all(l.map(async (d) => ({ ...(await deviceNumbers(d.path)), rate: d.rate })));
  return {
    ...(b.weight ? { weight: b.weight } : {}),
    weightDevice: await Promise.all(b.weightDevices.map(async (d) => ({ ...(await deviceNumbers(d.path)), weight: d.weight }))),
    throttleReadBpsDevice: await rates(b.readBps),
    throttleWriteBpsDevice: await rates(b.writeBps),
    throttleReadIOPSDevice: await rates(b.readIops),
    throttleWriteIOPSDevice: await rates(b.writeIops),
  };
}

function runningTarget(id: string, lookup: (id: string) => ContainerRecord | undefined): ContainerRecord {
  const other = lookup(id);
  if (!other) throw new InvalidArgument(`No such container: ${id}`);
  if ((other.state.status !== 'running' && other.state.status !== 'paused') || other.state.pid <= 0) throw new Conflict(`container ${other.id} is not running`);
  return other;
}

/**
 * At start: the namespaces to join and the /dev/shm to use, from the running targets. `shmDir`:
 * where a shareable container's /dev/shm is on the host (mounted by launch).
 */
export function runtimeNamespaces(
  rec: ContainerRecord,
  lookup: (id: string) => ContainerRecord | undefined,
  shmDir: (id: string) => string,
): Pick<ContainerSpecInput, 'namespaces' | 'noShm' | 'userNamespacePath'> & { shmSource?: string } {
  const ns = rec.spec.namespaces;
  const out: NonNullable<ContainerSpecInput['namespaces']> = {};
  let shmSource: string | undefined;
  // As dockerd: a remapped container that joins another's PID or IPC namespace joins its user namespace too (they are owned by it).
  let userns: string | undefined;
  const joinOwner = (other: ContainerRecord): void => {
    if (rec.idMap && other.idMap && !userns) userns = `/proc/${other.state.pid}/ns/user`;
  };
  if (ns.pid.mode === 'host') out.pid = { mode: 'host' };
  else if (ns.pid.mode === 'container') {
    const other = runningTarget(ns.pid.target ?? '', lookup);
    joinOwner(other);
    out.pid = { mode: 'path', path: `/proc/${other.state.pid}/ns/pid` };
  }
  if (ns.ipc.mode === 'host') {
    out.ipc = { mode: 'host' };
    shmSource = '/dev/shm';
  } else if (ns.ipc.mode === 'container') {
    const other = runningTarget(ns.ipc.target ?? '', lookup);
    const o = other.spec.namespaces.ipc;
    joinOwner(other);
    if (o.mode === 'private' && !o.shareable) throw new InvalidArgument(`container ${other.id}: non-shareable IPC (hint: use --ipc shareable for the donor container)`);
    const join: NsJoin = o.mode === 'host' ? { mode: 'host' } : { mode: 'path', path: `/proc/${other.state.pid}/ns/ipc` };
    out.ipc = join;
    // A donor that joined another's IPC has that one's /dev/shm: follow to the shareable one.
    let owner = other;
    for (let i = 0; i < 8 && owner.spec.namespaces.ipc.mode === 'container'; i++) owner = lookup(owner.spec.namespaces.ipc.target ?? '') ?? owner;
    shmSource = owner.spec.namespaces.ipc.mode === 'host' ? '/dev/shm' : shmDir(owner.id);
  } else if (ns.ipc.shareable) shmSource = shmDir(rec.id);
  if (ns.uts.mode === 'host') out.uts = 'host';
  if (ns.cgroup.mode === 'private') out.cgroup = 'private';
  return { namespaces: out, ...(ns.ipc.noShm ? { noShm: true } : {}), ...(shmSource ? { shmSource } : {}), ...(userns ? { userNamespacePath: userns } : {}) };
}
