import { access, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';

/** Where the cgroup controllers are mounted (another root only in tests). */
const ROOT = '/sys/fs/cgroup';

/**
 * What this host's cgroups can enforce among the limits Docker offers, read from the controllers'
 * files: dockerd's sysinfo. `v2`: one unified hierarchy (no v1 controller mounted for memory).
 */
export interface CgroupFeatures {
  v2: boolean;
  oomKillDisable: boolean;
  cpuRealtime: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioThrottle: boolean;
  cgroupNamespaces: boolean;
  /** memory.swappiness in the memory controller (cgroup v1 only). */
  memorySwappiness: boolean;
  /** The CPUs and memory nodes the cpuset controller offers (dockerd's sysinfo Cpus/Mems); absent: no cpuset controller. */
  cpusetCpus?: string;
  cpusetMems?: string;
  /**
   * The lowest OOM score adjustment a container can be given: -1000 with CAP_SYS_RESOURCE, else
   * berthd's own (the kernel lets a process without it only raise its score).
   */
  oomScoreAdjFloor: number;
}

/** CAP_SYS_RESOURCE is bit 24 of the capability sets. */
const CAP_SYS_RESOURCE = 24n;

async function oomScoreAdjFloor(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (eff && ((BigInt(`0x${eff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n) return -1000;
  return Number((await readFile('/proc/self/oom_score_adj', 'utf8').catch(() => '0')).trim()) || 0;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The first of the v1 controller directories that exists (cpu may be mounted as cpu,cpuacct). */
async function v1Dir(root: string, names: string[]): Promise<string | undefined> {
  for (const n of names) if (await exists(join(root, n, 'cgroup.procs'))) return join(root, n);
  return undefined;
}

async function firstText(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    const t = await readFile(p, 'utf8').then((v) => v.trim(), () => undefined);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** The CPUs and memory nodes a container may be given: the cpuset root's (effective where the kernel says). */
async function cpusets(root: string, v2: boolean): Promise<Pick<CgroupFeatures, 'cpusetCpus' | 'cpusetMems'>> {
  const dir = v2 ? root : join(root, 'cpuset');
  const cpus = await firstText(v2 ? [join(dir, 'cpuset.cpus.effective')] : [join(dir, 'cpuset.effective_cpus'), join(dir, 'cpuset.cpus')]);
  const mems = await firstText(v2 ? [join(dir, 'cpuset.mems.effective')] : [join(dir, 'cpuset.effective_mems'), join(dir, 'cpuset.mems')]);
  return { ...(cpus !== undefined ? { cpusetCpus: cpus } : {}), ...(mems !== undefined ? { cpusetMems: mems } : {}) };
}

export async function detectCgroupFeatures(root = ROOT): Promise<CgroupFeatures> {
  const cgroupNamespaces = await exists('/proc/self/ns/cgroup');
  const floor = await oomScoreAdjFloor();
  const memory = await v1Dir(root, ['memory']);
  if (!memory && (await exists(join(root, 'cgroup.controllers')))) {
    const controllers = (await readFile(join(root, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
    const io = controllers.includes('io');
    // The root cgroup has no io.weight; a controller that is on offers it in every child.
    return {
      v2: true, oomKillDisable: false, cpuRealtime: false, blkioWeight: io, blkioWeightDevice: io, blkioThrottle: io, cgroupNamespaces, memorySwappiness: false, oomScoreAdjFloor: floor,
      ...(controllers.includes('cpuset') ? await cpusets(root, true) : {}),
    };
  }
  const cpu = await v1Dir(root, ['cpu', 'cpu,cpuacct']);
  const blkio = await v1Dir(root, ['blkio']);
  const has = async (dir: string | undefined, files: string[]): Promise<boolean> => {
    if (!dir) return false;
    for (const f of files) if (await exists(join(dir, f))) return true;
    return false;
  };
  return {
    v2: false,
    oomKillDisable: await has(memory, ['memory.oom_control']),
    cpuRealtime: await has(cpu, ['cpu.rt_runtime_us']),
    blkioWeight: await has(blkio, ['blkio.weight', 'blkio.bfq.weight']),
    blkioWeightDevice: await has(blkio, ['blkio.weight_device', 'blkio.bfq.weight_device']),
    blkioThrottle: await has(blkio, ['blkio.throttle.read_bps_device']),
    cgroupNamespaces,
    memorySwappiness: await has(memory, ['memory.swappiness']),
    ...(await v1Dir(root, ['cpuset']) ? await cpusets(root, false) : {}),
    oomScoreAdjFloor: floor,
  };
}

async function num(path: string): Promise<number> {
  return Number((await readFile(path, 'utf8')).trim());
}

/**
 * A real-time budget for one container under its parent cgroup (cgroup v1; berth's /berth, or its
 * --cgroup-parent): the kernel gives a child no more real-time time than its parent holds, and a
 * new parent holds none, so each cgroup from the root down to the container's parent is raised to
 * what its other children hold plus what the path below it needs (dockerd asks for this with its
 * own --cpu-rt-runtime; berth sizes it per container). Refused in the user's words when the host
 * has no real-time time left.
 */
export async function reserveRealtime(id: string, runtimeUs: number, root = ROOT, parent?: string): Promise<void> {
  const cpu = await v1Dir(root, ['cpu', 'cpu,cpuacct']);
  if (!cpu) throw new InvalidArgument('kernel does not support CPU real-time scheduler');
  const parts = parent === undefined || parent === '' ? ['berth'] : parent.split('/').filter(Boolean);
  const dirs = parts.map((_, i) => join(cpu, ...parts.slice(0, i + 1)));
  await mkdir(dirs.at(-1) ?? cpu, { recursive: true });
  // Bottom up: what each cgroup on the path must hold; then top down, each raised before its child.
  const wants: number[] = [];
  let below = runtimeUs;
  let skip = id;
  for (let i = dirs.length - 1; i >= 0; i--) {
    const dir = dirs[i] as string;
    let held = 0;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === skip) continue;
      held += await num(join(dir, e.name, 'cpu.rt_runtime_us')).catch(() => 0);
    }
    below += held;
    wants[i] = below;
    // Its parent must hold what it will hold: raised to this, or more where it already has more.
    below = Math.max(below, await num(join(dir, 'cpu.rt_runtime_us')).catch(() => 0));
    skip = parts[i] as string;
  }
  for (const [i, dir] of dirs.entries()) {
    const want = wants[i] ?? runtimeUs;
    if ((await num(join(dir, 'cpu.rt_runtime_us'))) >= want) continue;
    try {
      await writeFile(join(dir, 'cpu.rt_runtime_us'), String(want));
    } catch (e) {
      const hostMax = await num(join(cpu, 'cpu.rt_runtime_us')).catch(() => 0);
      throw new InvalidArgument(`--cpu-rt-runtime ${runtimeUs}: the host cannot give berth's containers ${want} µs of real-time CPU time per period (the host's budget is ${hostMax} µs)`, { cause: e });
    }
  }
}
