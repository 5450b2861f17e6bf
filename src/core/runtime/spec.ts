import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { InvalidArgument } from '../../errdefs/index.js';
import type { IdMapping, IdRange } from '../../util/index.js';
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  DEFAULT_PATH,
  MASKED_PATHS,
  READONLY_PATHS,
  defaultDeviceRules,
  defaultMounts,
} from './spec-defaults.js';
import type { OciHooks, OciLinuxResources, OciMount, OciNamespace, OciRuntimeSpec } from './spec-types.js';
import type { OciRuntime } from './oci-runtimes.js';
import { compileSeccomp, parseKernelVersion } from './seccomp.js';
import type { SeccompProfile } from './seccomp.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';

export type NetnsChoice = { mode: 'none' } | { mode: 'host' } | { mode: 'path'; netnsPath: string };

/** Another namespace than a new one: the host's (none in the spec), or one joined by path (/proc/PID/ns/…). */
export type NsJoin = { mode: 'host' } | { mode: 'path'; path: string };

export interface ContainerSpecInput {
  id: string;
  /** Absolute real path (no symlink on the way: runc refuses those), already mounted by the caller. */
  rootfs: string;
  /** Where config.json goes; conmon also puts its attach socket here. */
  bundleDir: string;
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  tty: boolean;
  /** The TTY's first size; the client resizes it afterwards. */
  consoleSize?: { height: number; width: number } | undefined;
  openStdin: boolean;
  readonlyRootfs?: boolean;
  /** 'none' = a new netns with only loopback (runc brings lo up). */
  network: NetnsChoice;
  /** The PID, IPC, UTS and cgroup namespaces where not the container's own (cgroup: its own only when 'private'). */
  namespaces?: { pid?: NsJoin; ipc?: NsJoin; uts?: 'host'; cgroup?: 'private' };
  /** No /dev/shm at all (IPC mode none). */
  noShm?: boolean;
  /** The process's /proc/self/oom_score_adj. */
  oomScoreAdj?: number;
  /**
   * The cgroup (cgroupfs path) the container's own goes under, e.g. kubelet's pod cgroup; absent:
   * /berth. Relative or absolute, it is placed from the root of each controller (see cgroupsPathOf).
   */
  cgroupParent?: string;
  /** PID, IPC and UTS namespaces joined by path (a pod sandbox's); absent: as `namespaces` says. */
  joinNamespaces?: { pid?: string; ipc?: string; uts?: string };
  etcHosts?: string;
  etcHostname?: string;
  resolvConf?: string;
  mounts?: { source: string; destination: string; type: string; options: string[] }[];
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** The paths masked and made read-only; absent: Docker's defaults. Privileged: none whatever is given. */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  annotations?: Record<string, string>;
  /** docker run --ulimit: 'nofile' or 'RLIMIT_NOFILE'; each value is clamped to the host's hard limit. */
  ulimits?: { name: string; soft: number; hard: number }[];
  /** cgroup limits (docker run -m, --memory-swap, --cpu-shares, --cpus, --cpuset-cpus, --pids-limit). */
  resources?: ContainerResources;
  /** --security-opt no-new-privileges */
  noNewPrivileges?: boolean;
  /** --sysctl: only keys that live in the container's own namespaces are accepted. */
  sysctls?: Record<string, string>;
  /** --device: host devices, already resolved (type and numbers) by the caller. */
  devices?: ContainerDevice[];
  /** --device-cgroup-rule: more allow rules for the device cgroup (absent numbers: any); ignored when privileged, as in Docker. */
  deviceRules?: { type: 'a' | 'c' | 'b'; major?: number; minor?: number; access: string }[];
  /** A new user namespace with these maps (daemon --userns-remap); absent = the host's ids. */
  idMap?: IdMapping;
  /** With idMap: join this user namespace (another remapped container's, whose PID or IPC namespace is joined) instead of a new one. */
  userNamespacePath?: string;
  /** --security-opt seccomp=: a profile, or no filter; absent = berth's default profile. --privileged always runs without one. */
  seccomp?: SeccompProfile | 'unconfined';
  /** The OCI runtime that runs it (absent: the daemon's runc). */
  runtime?: OciRuntime;
  /** Lifecycle hooks (from CDI specs). */
  hooks?: OciHooks;
}

export interface ContainerDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
  /** cgroup access: some of 'rwm'. */
  permissions: string;
}

/** Docker's rule for --sysctl: IPC keys and (without host networking) net.* only. */
export function checkSysctl(key: string, networkHost: boolean): void {
  const ipc = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
  if (ipc.includes(key) || key.startsWith('fs.mqueue.')) return;
  if (key.startsWith('net.')) {
    if (networkHost) throw new InvalidArgument(`sysctl '${key}' not allowed in host network namespace`);
    return;
  }
  throw new InvalidArgument(`sysctl '${key}' is not allowed`);
}

export interface ContainerResources {
  /** Bytes; 0 or absent = unlimited. */
  memory?: number;
  /** Memory + swap in bytes; -1 = unlimited swap. Docker's default with -m is twice the memory. */
  memorySwap?: number;
  memoryReservation?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  /** Memory nodes (cpuset.mems), checked against the host's by the caller. */
  cpusetMems?: string;
  /** 0..100 (cgroup v1 memory.swappiness); absent: the parent's. */
  memorySwappiness?: number;
  pidsLimit?: number;
  oomKillDisable?: boolean;
  cpuRealtimePeriod?: number;
  cpuRealtimeRuntime?: number;
  /** Devices by number (resolved by the caller). */
  blockIO?: {
    weight?: number;
    weightDevice: { major: number; minor: number; weight: number }[];
    throttleReadBpsDevice: ThrottleDevice[];
    throttleWriteBpsDevice: ThrottleDevice[];
    throttleReadIOPSDevice: ThrottleDevice[];
    throttleWriteIOPSDevice: ThrottleDevice[];
  };
}

export interface ThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

/** What the spec needs to know about the host; read once per daemon with detectHostInfo(). */
export interface HostInfo {
  /** The host's RLIMIT_NOFILE; no container may ask for more than `hard` (no CAP_SYS_RESOURCE here). */
  nofile: { soft: number; hard: number };
  /** Hard limits by name ('RLIMIT_NPROC' …); Infinity = unlimited. Requests above them are clamped. */
  hardLimits?: Record<string, number>;
  /** The host's capability bounding set (CapBnd): a container can never hold more. */
  capBounding?: bigint;
  /** For seccomp rules that depend on them; absent = this process's (os.release(), process.arch). */
  kernel?: { major: number; minor: number };
  arch?: string;
}

/** /proc/self/limits row names to RLIMIT_ names. */
const LIMIT_ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** Docker asks for 1048576 open files; the host's hard limit caps it. */
const WANTED_NOFILE = 1048576;

/** Reads the limits this process runs with (they bound what runc may grant). */
export async function detectHostInfo(signal?: AbortSignal): Promise<HostInfo> {
  const text = await readFile('/proc/self/limits', { encoding: 'utf8', ...(signal ? { signal } : {}) });
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const parts = line?.trim().split(/\s+/) ?? [];
  // "Max open files  <soft> <hard> files"
  const parse = (s: string | undefined): number => (s === undefined || s === 'unlimited' ? WANTED_NOFILE : Number(s));
  const soft = parse(parts[3]);
  const hard = parse(parts[4]);
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const bnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const hardLimits: Record<string, number> = {};
  for (const row of text.split('\n')) {
    const name = Object.keys(LIMIT_ROWS).find((k) => row.startsWith(k));
    if (!name) continue;
    const cols = row.slice(name.length).trim().split(/\s+/);
    const v = cols[1] === 'unlimited' ? Infinity : Number(cols[1]);
    if (!Number.isNaN(v)) hardLimits[LIMIT_ROWS[name] as string] = v;
  }
  return {
    nofile: { soft: Number.isFinite(soft) ? soft : 1024, hard: Number.isFinite(hard) ? hard : 1024 },
    hardLimits,
    ...(bnd ? { capBounding: BigInt(`0x${bnd}`) } : {}),
    kernel: parseKernelVersion(release()),
    arch: process.arch,
  };
}

function normalizeCap(name: string): string {
  const up = name.trim().toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/**
 * Docker's rule: start from the defaults, add capAdd (ALL = every cap), then remove capDrop (ALL = none
 * left but the added). With the host given, capabilities its bounding set lacks are left out: no
 * process here can hold them (this sandbox lacks CAP_SYS_RESOURCE), and --privileged must still start.
 */
export function resolveCapabilities(input: { capAdd?: string[]; capDrop?: string[]; privileged?: boolean }, host?: HostInfo): string[] {
  const bnd = host?.capBounding;
  const held = (c: string): boolean => bnd === undefined || ((bnd >> BigInt(ALL_CAPABILITIES.indexOf(c))) & 1n) === 1n;
  return capabilitiesAsked(input).filter(held);
}

function capabilitiesAsked(input: { capAdd?: string[]; capDrop?: string[]; privileged?: boolean }): string[] {
  if (input.privileged) return [...ALL_CAPABILITIES];
  const add = (input.capAdd ?? []).map(normalizeCap);
  const drop = (input.capDrop ?? []).map(normalizeCap);
  for (const c of [...add, ...drop]) {
    if (c !== 'CAP_ALL' && !ALL_CAPABILITIES.includes(c)) throw new InvalidArgument(`unknown capability: "${c}"`);
  }
  let caps: string[];
  if (add.includes('CAP_ALL')) caps = [...ALL_CAPABILITIES];
  else caps = [...new Set([...DEFAULT_CAPABILITIES, ...add])];
  if (drop.includes('CAP_ALL')) caps = add.includes('CAP_ALL') ? [] : add.filter((c) => c !== 'CAP_ALL');
  else caps = caps.filter((c) => !drop.includes(c) || add.includes(c));
  return caps;
}

function hasEnv(env: string[], name: string): boolean {
  return env.some((e) => e.startsWith(`${name}=`));
}

/** Builds the OCI runtime spec for one container, with Docker's defaults. Pure: no I/O. */
export function generateSpec(input: ContainerSpecInput, host: HostInfo): OciRuntimeSpec {
  if (!input.rootfs.startsWith('/')) throw new InvalidArgument(`rootfs must be an absolute path: ${input.rootfs}`);
  if (input.args.length === 0) throw new InvalidArgument('no command specified');
  const privileged = input.privileged === true;
  const caps = resolveCapabilities(input, host);

  const env = [...input.env];
  if (!hasEnv(env, 'PATH')) env.unshift(`PATH=${DEFAULT_PATH}`);
  if (!hasEnv(env, 'HOSTNAME') && input.hostname) env.splice(1, 0, `HOSTNAME=${input.hostname}`);
  if (input.tty && !hasEnv(env, 'TERM')) env.push('TERM=xterm');

  const nofileHard = Math.min(WANTED_NOFILE, host.nofile.hard);

  const namespaces: OciNamespace[] = [{ type: 'mount' }];
  const ns = input.namespaces ?? {};
  const byPath = input.joinNamespaces ?? {};
  const join = (type: 'pid' | 'ipc', j: NsJoin | undefined, path: string | undefined): void => {
    if (path) namespaces.push({ type, path });
    else if (!j) namespaces.push({ type });
    else if (j.mode === 'path') namespaces.push({ type, path: j.path });
  };
  join('pid', ns.pid, byPath.pid);
  join('ipc', ns.ipc, byPath.ipc);
  if (byPath.uts) namespaces.push({ type: 'uts', path: byPath.uts });
  else if (ns.uts !== 'host') namespaces.push({ type: 'uts' });
  if (ns.cgroup === 'private') namespaces.push({ type: 'cgroup' });
  if (input.network.mode === 'none') namespaces.push({ type: 'network' });
  else if (input.network.mode === 'path') namespaces.push({ type: 'network', path: input.network.netnsPath });

  if (input.idMap) namespaces.push(input.userNamespacePath ? { type: 'user', path: input.userNamespacePath } : { type: 'user' });

  const mounts: OciMount[] = defaultMounts({ privileged }).filter((m) => !(input.noShm && m.destination === '/dev/shm'));
  // As Docker: a read-only remount of the cgroup mount is refused inside a user namespace.
  if (input.idMap) for (const m of mounts) if (m.type === 'cgroup') m.options = m.options.filter((o) => o !== 'ro');
  // sysfs may be mounted only by the owner of the network namespace: a new user namespace joining
  // berthd's (bridge) netns cannot, so it gets the host's /sys bound read-only, as Podman does.
  if (input.idMap && input.network.mode === 'path') {
    const sys = mounts.find((m) => m.destination === '/sys');
    if (sys) Object.assign(sys, { type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  }
  const bind = (source: string, destination: string): OciMount => ({
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'rprivate'],
  });
  if (input.resolvConf) mounts.push(bind(input.resolvConf, '/etc/resolv.conf'));
  if (input.etcHostname) mounts.push(bind(input.etcHostname, '/etc/hostname'));
  if (input.etcHosts) mounts.push(bind(input.etcHosts, '/etc/hosts'));
  for (const m of input.mounts ?? []) {
    if (!m.destination.startsWith('/')) throw new InvalidArgument(`invalid mount config: mount path must be absolute: ${m.destination}`);
    // A user mount over a default one replaces it, as in Docker (e.g. a bigger /dev/shm).
    const i = mounts.findIndex((d) => d.destination === m.destination);
    if (i >= 0) mounts.splice(i, 1);
    mounts.push({ destination: m.destination, type: m.type, source: m.source, options: [...m.options] });
  }

  const sysctl: Record<string, string> = {};
  // A remapped container joining berthd's netns could not write these: berthd set them when it made it.
  if (input.network.mode !== 'host' && !(input.idMap && input.network.mode === 'path')) {
    // Docker ≥ 20.10 lets unprivileged processes bind low ports and ping inside their own netns.
    sysctl['net.ipv4.ip_unprivileged_port_start'] = '0';
    // Inside a user namespace both ends must be gids it maps, or the kernel refuses the write.
    const gids = input.idMap?.gids.reduce((n, r) => Math.max(n, r.containerId + r.size), 0);
    sysctl['net.ipv4.ping_group_range'] = `0 ${gids ? gids - 1 : 2147483647}`;
  }
  for (const [k, v] of Object.entries(input.sysctls ?? {})) {
    checkSysctl(k, input.network.mode === 'host');
    sysctl[k] = v;
  }

  const spec: OciRuntimeSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: input.tty,
      ...(input.tty && input.consoleSize ? { consoleSize: input.consoleSize } : {}),
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: [...input.user.additionalGids] },
      args: [...input.args],
      env,
      cwd: input.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: rlimits(input.ulimits ?? [], nofileHard, host),
      noNewPrivileges: input.noNewPrivileges === true,
      ...(input.oomScoreAdj !== undefined ? { oomScoreAdj: input.oomScoreAdj } : {}),
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs === true },
    // Without a UTS namespace of its own runc may not set one.
    hostname: ns.uts === 'host' || (input.network.mode === 'host' && !input.hostname) ? '' : input.hostname,
    mounts,
    linux: {
      namespaces,
      resources: {
        devices: [
          ...defaultDeviceRules({ privileged }),
          ...(input.devices ?? []).map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.permissions })),
          ...(privileged ? [] : (input.deviceRules ?? []).map((r) => ({ allow: true, ...r }))),
        ],
        ...cgroupResources(input.resources),
      },
      ...(input.devices?.length
        ? { devices: input.devices.map((d) => ({ path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid, gid: d.gid })) }
        : {}),
      cgroupsPath: cgroupsPathOf(input.cgroupParent, input.id),
      maskedPaths: privileged ? [] : [...(input.maskedPaths ?? MASKED_PATHS)],
      readonlyPaths: privileged ? [] : [...(input.readonlyPaths ?? READONLY_PATHS)],
      sysctl,
      ...(input.idMap ? { uidMappings: input.idMap.uids.map(ociRange), gidMappings: input.idMap.gids.map(ociRange) } : {}),
    },
  };
  // As Docker and containerd: a shared mount propagates out only from a shared root (runc makes it a
  // slave of the host's by default, which a slave mount needs at least).
  const propagations = new Set(mounts.flatMap((m) => m.options));
  if (propagations.has('rshared') || propagations.has('shared')) spec.linux.rootfsPropagation = 'rshared';
  else if (propagations.has('rslave') || propagations.has('slave')) spec.linux.rootfsPropagation = 'rslave';
  // As Docker: a privileged container gets no filter, whatever profile was asked for.
  const seccomp = privileged || input.seccomp === 'unconfined' ? undefined : (input.seccomp ?? DEFAULT_SECCOMP_PROFILE);
  if (seccomp) {
    spec.linux.seccomp = compileSeccomp(seccomp, { capabilities: caps, arch: host.arch ?? process.arch, kernel: host.kernel ?? parseKernelVersion(release()) });
  }
  if (input.annotations && Object.keys(input.annotations).length > 0) spec.annotations = { ...input.annotations };
  if (input.hooks && Object.values(input.hooks).some((l) => l.length > 0)) spec.hooks = structuredClone(input.hooks);
  return spec;
}

/**
 * runc places a relative cgroupsPath under the cgroup of the process that runs it (dockerd's
 * containerd-shim, here berthd's own, which differs between controllers and between a berthd
 * started by systemd and one started by the CLI): berth roots every parent, so that `mygroup`
 * is /mygroup in each controller and a restarted berthd finds its containers' cgroups where they are.
 */
export function cgroupsPathOf(parent: string | undefined, id: string): string {
  const p = parent === undefined || parent === '' ? 'berth' : parent.split('/').filter(Boolean).join('/');
  return p ? `/${p}/${id}` : `/${id}`;
}

function ociRange(r: IdRange): { containerID: number; hostID: number; size: number } {
  return { containerID: r.containerId, hostID: r.hostId, size: r.size };
}

function cgroupResources(r: ContainerResources | undefined): Omit<OciLinuxResources, 'devices'> {
  const out: Omit<OciLinuxResources, 'devices'> = {};
  if (!r) return out;
  if (r.memory !== undefined && r.memory > 0) {
    // Docker refuses less than 6 MiB: the container would not even start.
    if (r.memory < 6 * 1024 * 1024) throw new InvalidArgument('Minimum memory limit allowed is 6MB');
    const swap = r.memorySwap === undefined || r.memorySwap === 0 ? r.memory * 2 : r.memorySwap;
    if (swap !== -1 && swap < r.memory) {
      throw new InvalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
    }
    out.memory = { limit: r.memory, swap };
  }
  if (r.memoryReservation !== undefined && r.memoryReservation > 0) out.memory = { ...out.memory, reservation: r.memoryReservation };
  const cpu: NonNullable<OciLinuxResources['cpu']> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuQuota) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (r.memorySwappiness !== undefined) out.memory = { ...out.memory, swappiness: r.memorySwappiness };
  if (r.pidsLimit !== undefined && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.oomKillDisable) out.memory = { ...out.memory, disableOOMKiller: true };
  if (r.cpuRealtimePeriod) cpu.realtimePeriod = r.cpuRealtimePeriod;
  if (r.cpuRealtimeRuntime) cpu.realtimeRuntime = r.cpuRealtimeRuntime;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  const b = r.blockIO;
  if (b) {
    const io: NonNullable<OciLinuxResources['blockIO']> = {};
    if (b.weight) io.weight = b.weight;
    if (b.weightDevice.length) io.weightDevice = b.weightDevice.map((d) => ({ ...d }));
    if (b.throttleReadBpsDevice.length) io.throttleReadBpsDevice = b.throttleReadBpsDevice.map((d) => ({ ...d }));
    if (b.throttleWriteBpsDevice.length) io.throttleWriteBpsDevice = b.throttleWriteBpsDevice.map((d) => ({ ...d }));
    if (b.throttleReadIOPSDevice.length) io.throttleReadIOPSDevice = b.throttleReadIOPSDevice.map((d) => ({ ...d }));
    if (b.throttleWriteIOPSDevice.length) io.throttleWriteIOPSDevice = b.throttleWriteIOPSDevice.map((d) => ({ ...d }));
    if (Object.keys(io).length) out.blockIO = io;
  }
  return out;
}

function rlimits(
  ulimits: { name: string; soft: number; hard: number }[],
  nofile: number,
  host: HostInfo,
): { type: string; soft: number; hard: number }[] {
  const out = new Map<string, { type: string; soft: number; hard: number }>();
  out.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', soft: nofile, hard: nofile });
  for (const u of ulimits) {
    const up = u.name.trim().toUpperCase();
    const type = up.startsWith('RLIMIT_') ? up : `RLIMIT_${up}`;
    if (!Object.values(LIMIT_ROWS).includes(type)) throw new InvalidArgument(`invalid ulimit type: ${u.name}`);
    if (u.soft > u.hard) throw new InvalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`);
    const cap = type === 'RLIMIT_NOFILE' ? host.nofile.hard : (host.hardLimits?.[type] ?? Infinity);
    const hard = Math.min(u.hard, cap);
    out.set(type, { type, soft: Math.min(u.soft, hard), hard });
  }
  return [...out.values()];
}
