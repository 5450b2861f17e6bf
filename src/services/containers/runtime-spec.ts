import { chown, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRecord, SeccompSpec, SecuritySpec } from '../../core/metadata/index.js';
import type { ContainerDevice, ContainerSpecInput, NetnsChoice, SeccompProfile } from '../../core/runtime/index.js';
import { rootOwner } from '../../util/index.js';
import { parseSeccompProfile } from '../../core/runtime/index.js';
import { INIT_PATH, cgroupParentOf, cgroupResources, initBinary } from './resources.js';
import { hostDevices, resolveDevices, resolveGroups } from './host-resolve.js';
import type { ContainerRuntime } from './ports.js';
import { mergeEnv } from './create-record.js';
import type { ContainerMountPlanner } from './mounts.js';
import { blockDevices, runtimeNamespaces } from './namespaces.js';
import { cdiInput, runtimeOf, withCdiEnv } from './devices.js';
import type { DeviceDeps } from './devices.js';

export interface SpecContext {
  rootfs: string;
  /** The container's folder: bundle, log, and the hosts/hostname/resolv.conf files made here. */
  dir: string;
  runtime: Pick<ContainerRuntime, 'resolveUser'>;
  mounts?: Pick<ContainerMountPlanner, 'runtimeMounts'>;
  /** The daemon's seccomp profile for containers that ask for none (absent: berth's built-in one). */
  defaultSeccomp?: SeccompProfile | 'unconfined' | undefined;
  /** The namespace the network made for this start; without it: host or none. */
  network?: { mode: NetnsChoice };
  /** The legacy links' variables, under the container's own env (which wins on the same name). */
  linkEnv?: string[];
  /** Other containers by id: the ones whose PID or IPC namespace this one joins. */
  lookup?: (id: string) => ContainerRecord | undefined;
  /** The daemon's runtimes and CDI devices. */
  devices?: DeviceDeps;
}

/**
 * What runc is asked to run for one start of a container: its record turned into the runtime's
 * input, with the files Docker bind-mounts (/etc/hosts, /etc/hostname, /etc/resolv.conf) written.
 */
export async function buildRuntimeSpec(rec: ContainerRecord, ctx: SpecContext): Promise<ContainerSpecInput> {
  const { rootfs, dir, runtime } = ctx;
  // Each container's shareable /dev/shm is `shm` in its folder, a sibling of this one's.
  const ns = runtimeNamespaces(rec, ctx.lookup ?? (() => undefined), (id) => join(dir, '..', id, 'shm'));
  const user = await runtime.resolveUser(rootfs, rec.spec.process.user);
  const cdi = await cdiInput(rec.spec, ctx.devices ?? {});
  const runtime0 = runtimeOf(rec.spec, ctx.devices ?? {});
  const linked = ctx.linkEnv?.length ? mergeEnv(ctx.linkEnv, rec.spec.process.env) : rec.spec.process.env;
  const own = cdi ? withCdiEnv(linked, cdi.env) : linked;
  const env = own.some((e) => e.startsWith('HOME=')) ? own : [...own, `HOME=${user.home || '/'}`];
  if (rec.spec.process.terminal && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  const hostname = rec.spec.networking.hostname;
  const net = ctx.network;
  // With a network, these are the first versions: writeEtcFiles() fills them in before the start.
  const hosts = `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  await writeFile(join(dir, 'hosts'), hosts);
  await writeFile(join(dir, 'hostname'), `${hostname}\n`);
  const resolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await writeFile(join(dir, 'resolv.conf'), rec.spec.namespaces.network.mode === 'host' ? resolv : resolv.replace(/^nameserver\s+127\.\S+\s*$/gm, ''));
  if (rec.idMap) {
    // The container's root owns its own /etc files, as in Docker (else they show as nobody, read-only).
    const root = rootOwner(rec.idMap);
    for (const f of ['hosts', 'hostname', 'resolv.conf']) await chown(join(dir, f), root.uid, root.gid);
  }
  const spec = rec.spec;
  const init = spec.lifecycle.init;
  const mounts = init ? [{ source: initBinary(), destination: INIT_PATH, type: 'bind', options: ['rbind', 'ro'] }] : [];
  if (ctx.mounts) mounts.push(...(await ctx.mounts.runtimeMounts(rec)));
  if (cdi) mounts.push(...cdi.mounts);
  const security = spec.security;
  const seccomp = seccompOf(security.seccomp) ?? ctx.defaultSeccomp;
  const shm = spec.resources.shmSize;
  // Another container's /dev/shm (IPC container:…) or the host's (IPC host), else a private one.
  if (ns.shmSource) mounts.push({ source: ns.shmSource, destination: '/dev/shm', type: 'bind', options: ['rbind', 'rprivate'] });
  else if (shm !== undefined && shm > 0 && !ns.noShm) mounts.push({ source: 'shm', destination: '/dev/shm', type: 'tmpfs', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shm}`] });
  const blockIO = await blockDevices(spec.resources.blkio);
  const parent = cgroupParentOf(rec);
  return {
    id: rec.id,
    rootfs,
    bundleDir: dir,
    args: init ? [INIT_PATH, '--', ...rec.spec.process.args] : [...rec.spec.process.args],
    mounts,
    resources: { ...cgroupResources(spec.resources), ...(blockIO ? { blockIO } : {}) },
    namespaces: ns.namespaces ?? {},
    ...(ns.noShm ? { noShm: true } : {}),
    ...(spec.resources.oomScoreAdj !== undefined ? { oomScoreAdj: spec.resources.oomScoreAdj } : {}),
    ulimits: spec.resources.ulimits,
    env,
    cwd: rec.spec.process.cwd || '/',
    user: { uid: user.uid, gid: user.gid, additionalGids: [...new Set([...user.additionalGids, ...(await resolveGroups(security.groupAdd, (g) => runtime.resolveUser(rootfs, `0:${g}`))), ...(cdi?.gids ?? [])])] },
    noNewPrivileges: security.noNewPrivileges,
    ...(seccomp ? { seccomp } : {}),
    sysctls: security.sysctls,
    devices: await devicesOf(security, cdi?.devices ?? []),
    ...(cdi && Object.keys(cdi.hooks).length ? { hooks: cdi.hooks } : {}),
    ...(runtime0 ? { runtime: runtime0 } : {}),
    deviceRules: security.deviceCgroupRules,
    hostname,
    tty: rec.spec.process.terminal,
    consoleSize: rec.spec.process.consoleSize,
    openStdin: rec.spec.process.stdin.open,
    readonlyRootfs: rec.spec.rootfs.readOnly,
    network: net?.mode ?? (rec.spec.namespaces.network.mode === 'host' ? { mode: 'host' } : { mode: 'none' }),
    ...joinedNamespaces(rec),
    ...(parent ? { cgroupParent: parent } : {}),
    ...(spec.resources.oomScoreAdj !== undefined ? { oomScoreAdj: await clampOomScoreAdj(spec.resources.oomScoreAdj) } : {}),
    etcHosts: join(dir, 'hosts'),
    etcHostname: join(dir, 'hostname'),
    resolvConf: join(dir, 'resolv.conf'),
    capAdd: rec.spec.security.capAdd,
    capDrop: rec.spec.security.capDrop,
    privileged: rec.spec.security.privileged,
    ...(security.maskedPaths ? { maskedPaths: security.maskedPaths } : {}),
    ...(security.readonlyPaths ? { readonlyPaths: security.readonlyPaths } : {}),
    ...(rec.idMap ? { idMap: rec.idMap } : {}),
    ...(ns.userNamespacePath ? { userNamespacePath: ns.userNamespacePath } : {}),
    ...(Object.keys(spec.annotations).length ? { annotations: spec.annotations } : {}),
  };
}

/**
 * The network's /etc/hosts and resolv.conf, written over the files in place (same inode) so the
 * bind mounts runc already set up show them; before the container's process starts.
 */
export async function writeEtcFiles(dir: string, files: { hosts: string; resolv: string }): Promise<void> {
  await Promise.all([writeFile(join(dir, 'hosts'), files.hosts), writeFile(join(dir, 'resolv.conf'), files.resolv)]);
}

/**
 * No process may lower its oom_score_adj below its parent's without CAP_SYS_RESOURCE, which these
 * hosts lack (runc then fails with "can't get final child's PID from pipe"): a value below berthd's
 * own is raised to it, as containerd's restrict_oom_score_adj does.
 */
async function clampOomScoreAdj(asked: number): Promise<number> {
  const own = Number((await readFile('/proc/self/oom_score_adj', 'utf8').catch(() => '0')).trim());
  return Math.max(asked, Number.isFinite(own) ? own : 0);
}

/** The devices asked for, and with privileged every one of the host's besides (an asked path wins). */
async function devicesOf(security: SecuritySpec, cdi: ContainerDevice[]): Promise<ContainerDevice[]> {
  const asked = [...(await resolveDevices(security.devices)), ...cdi];
  if (!security.privileged) return asked;
  const taken = new Set(asked.map((d) => d.path));
  return [...(await hostDevices()).filter((d) => !taken.has(d.path)), ...asked];
}

/** A pod's PID, IPC and UTS namespaces, which its containers join by path. */
function joinedNamespaces(rec: ContainerRecord): { joinNamespaces?: { pid?: string; ipc?: string; uts?: string } } {
  const { pid, ipc, uts } = rec.spec.namespaces;
  const out: { pid?: string; ipc?: string; uts?: string } = {};
  if (pid.mode === 'path' && pid.path) out.pid = pid.path;
  if (ipc.mode === 'path' && ipc.path) out.ipc = ipc.path;
  if (uts.mode === 'path' && uts.path) out.uts = uts.path;
  return Object.keys(out).length ? { joinNamespaces: out } : {};
}

/** The runtime's seccomp choice for a spec's: absent for the daemon's default. */
export function seccompOf(s: SeccompSpec): SeccompProfile | 'unconfined' | undefined {
  if (s.mode === 'unconfined') return 'unconfined';
  return s.mode === 'profile' ? parseSeccompProfile(s.profile) : undefined;
}
