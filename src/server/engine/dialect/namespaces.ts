import { InvalidArgument } from '../../../errdefs/index.js';
import type { ContainerSpec, NamespaceSpec } from '../../../services/index.js';

/*
 * HostConfig's namespace modes (PidMode, IpcMode, UTSMode, CgroupnsMode, UsernsMode), checked as
 * dockerd's verifyPlatformContainerSettings and runconfig check them at create, into the typed
 * spec. Container targets stay as given here; the container service resolves them to ids and
 * checks at start that they run, as dockerd does.
 */

type Namespaces = ContainerSpec['namespaces'];

function mode(hc: Record<string, unknown>, key: string): string {
  const v = hc[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InvalidArgument(`HostConfig.${key} must be a string`);
  return v;
}

/** `container:<name|id>` with a non-empty target, else undefined. */
function containerTarget(v: string): string | undefined {
  if (!v.startsWith('container:')) return undefined;
  const t = v.slice('container:'.length);
  return t === '' ? undefined : t;
}

export function pidFromMode(v: string): NamespaceSpec {
  if (v === '' || v === 'private') return { mode: 'private' };
  if (v === 'host') return { mode: 'host' };
  const target = containerTarget(v);
  if (target) return { mode: 'container', target };
  throw new InvalidArgument(`invalid PID mode: ${v}`);
}

export function ipcFromMode(v: string): Namespaces['ipc'] {
  switch (v) {
    // dockerd's default-ipc-mode is private (since 20.10).
    case '':
    case 'private':
      return { mode: 'private' };
    case 'shareable':
      return { mode: 'private', shareable: true };
    case 'none':
      return { mode: 'private', noShm: true };
    case 'host':
      return { mode: 'host' };
    default: {
      const target = containerTarget(v);
      if (target) return { mode: 'container', target };
      throw new InvalidArgument(`invalid IPC mode: ${v}`);
    }
  }
}

export function utsFromMode(v: string): NamespaceSpec {
  if (v === '') return { mode: 'private' };
  if (v === 'host') return { mode: 'host' };
  throw new InvalidArgument(`invalid UTS mode: ${v}`);
}

/** CgroupnsMode; undefined when the create left it to the daemon's default-cgroupns-mode. */
export function cgroupFromMode(v: string): NamespaceSpec | undefined {
  if (v === '') return undefined;
  if (v === 'host' || v === 'private') return { mode: v };
  throw new InvalidArgument(`invalid cgroup namespace mode: ${v}`);
}

export function userFromMode(v: string): NamespaceSpec {
  if (v === '') return { mode: 'private' };
  if (v === 'host') return { mode: 'host' };
  throw new InvalidArgument(`invalid userns mode: ${JSON.stringify(v)}: use "host" or leave it empty`);
}

/**
 * Every namespace of a create but the network's (given). `hostname`: Config.Hostname, which
 * dockerd refuses beside UTSMode host. `cgroupUnset`: the daemon's default applies.
 */
export function namespacesFromHostConfig(hc: Record<string, unknown>, network: NamespaceSpec, hostname = ''): { namespaces: Namespaces; cgroupUnset: boolean } {
  const uts = utsFromMode(mode(hc, 'UTSMode'));
  if (uts.mode === 'host' && hostname !== '') throw new InvalidArgument('conflicting options: hostname and the UTS mode');
  const cgroup = cgroupFromMode(mode(hc, 'CgroupnsMode'));
  return {
    namespaces: {
      network,
      ipc: ipcFromMode(mode(hc, 'IpcMode')),
      user: userFromMode(mode(hc, 'UsernsMode')),
      // On cgroup v1 dockerd's default is the host's; the container service applies the daemon's choice.
      cgroup: cgroup ?? { mode: 'host' },
      pid: pidFromMode(mode(hc, 'PidMode')),
      uts,
    },
    cgroupUnset: cgroup === undefined,
  };
}

/** The modes as inspect shows them (dockerd stores container targets by id). */
export function namespaceModesToWire(ns: Namespaces): { PidMode: string; IpcMode: string; UTSMode: string; CgroupnsMode: string; UsernsMode: string } {
  const target = (n: NamespaceSpec): string => `container:${n.target ?? ''}`;
  const ipc = ns.ipc;
  return {
    PidMode: ns.pid.mode === 'host' ? 'host' : ns.pid.mode === 'container' ? target(ns.pid) : '',
    IpcMode: ipc.mode === 'host' ? 'host' : ipc.mode === 'container' ? target(ipc) : ipc.noShm ? 'none' : ipc.shareable ? 'shareable' : 'private',
    UTSMode: ns.uts.mode === 'host' ? 'host' : '',
    CgroupnsMode: ns.cgroup.mode === 'private' ? 'private' : 'host',
    UsernsMode: ns.user.mode === 'host' ? 'host' : '',
  };
}
