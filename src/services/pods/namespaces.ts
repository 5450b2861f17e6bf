import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Unavailable } from '../../errdefs/index.js';
import { createNetns, removeNetns } from '../../core/network/index.js';
import { createNamespaceAt } from '../../sys/index.js';

/** The namespace files of one pod: what its containers join by path. */
export interface PodNamespaces {
  /** Absent with the host's network. */
  net?: string;
  /** Absent with the host's IPC namespace (NamespaceOption.ipc NODE). */
  ipc?: string;
  uts: string;
  /** A shared PID namespace (NamespaceOption.pid POD), held by its init: present only when asked for. */
  pid?: string;
}

/** The process that holds a pod's shared PID namespace: `unshare` (its parent) and catatonit (its init). */
export interface PidHolder {
  /** The unshare process berthd started: killing it kills the namespace's init (--kill-child), and so the namespace. */
  pid: number;
}

/**
 * A pod's namespaces are held by bind mounts of their namespace files, not by a pause process
 * (see the README's CRI section): berthd makes each on its own thread (sys: unshare, the hostname,
 * the bind mount, back home) and brings the network one's loopback up, with no process started.
 * Nothing runs per pod, the files outlive berthd, and a restarted berthd finds them where it left them.
 */
export async function createPodNamespaces(dir: string, hostname: string, host: { network: boolean; ipc: boolean }): Promise<PodNamespaces> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ns: PodNamespaces = { uts: join(dir, 'uts'), ...(host.ipc ? {} : { ipc: join(dir, 'ipc') }), ...(host.network ? {} : { net: join(dir, 'net') }) };
  try {
    await writeFile(ns.uts, '', { mode: 0o444 });
    createNamespaceAt('uts', ns.uts, hostname);
    if (ns.ipc) {
      await writeFile(ns.ipc, '', { mode: 0o444 });
      createNamespaceAt('ipc', ns.ipc);
    }
    if (ns.net) await createNetns(ns.net);
  } catch (e) {
    await removePodNamespaces(ns);
    throw new Unavailable(`cannot create the pod's namespaces: ${(e as Error).message}`, { cause: e });
  }
  return ns;
}

/** Unmounts and deletes one namespace file; a missing or unmounted one is fine. */
export async function removeNamespaceFile(path: string): Promise<void> {
  // core/network's removal takes any namespace file, not only a network one.
  await removeNetns(path);
}

export async function removePodNamespaces(ns: PodNamespaces): Promise<void> {
  for (const f of Object.values(ns)) await removeNamespaceFile(f);
}

/**
 * A PID namespace lives only as long as its init, so a pod that shares one (kubelet's
 * shareProcessNamespace) gets a process after all: Debian's static catatonit in pause mode (-P:
 * it only reaps) as the namespace's pid 1, under `unshare --fork --kill-child`, detached from
 * berthd so that it outlives a restart. Its namespace file is bind-mounted like the others.
 */
export async function startPidHolder(dir: string, catatonit = '/usr/bin/catatonit'): Promise<{ path: string; holder: PidHolder }> {
  if (!(await stat(catatonit).then(() => true, () => false))) throw new Unavailable(`a shared PID namespace needs catatonit (${catatonit} is missing: apt-get install catatonit)`);
  const path = join(dir, 'pid');
  await writeFile(path, '', { mode: 0o444 });
  const child = spawn('unshare', [`--pid=${path}`, '--fork', '--kill-child', catatonit, '-P'], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid ?? 0;
  // unshare binds the file once the child exists: wait for the mount (it is quick).
  for (let i = 0; i < 200; i++) {
    if ((await readFile('/proc/self/mountinfo', 'utf8')).includes(` ${path} `)) return { path, holder: { pid } };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await stopPidHolder({ pid }, path);
  throw new Unavailable('cannot create the pod\'s shared PID namespace: its init did not start');
}

/** Ends a pod's shared PID namespace: its holder killed (only if it is still that unshare), the file gone. */
export async function stopPidHolder(holder: PidHolder, path: string): Promise<void> {
  const cmd = await readFile(`/proc/${holder.pid}/cmdline`, 'utf8').catch(() => '');
  if (holder.pid > 0 && cmd.includes(`--pid=${path}`)) {
    try {
      process.kill(holder.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  await removeNamespaceFile(path);
}
