import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Unavailable } from '../../errdefs/index.js';
import { MNT_DETACH, umount2 } from '../../sys/index.js';

const execFileP = promisify(execFile);

/** The namespace files of one pod: what its containers join by path. */
export interface PodNamespaces {
  /** Absent with the host's network. */
  net?: string;
  ipc: string;
  uts: string;
}

/**
 * A pod's namespaces are held by bind mounts of their namespace files, not by a pause process
 * (see the README's CRI section): one `unshare` makes all of them, brings loopback up and sets the
 * hostname, then exits. Nothing runs per pod, the files outlive berthd, and a restarted berthd
 * finds them where it left them.
 */
export async function createPodNamespaces(dir: string, hostname: string, hostNetwork: boolean): Promise<PodNamespaces> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ns: PodNamespaces = { ipc: join(dir, 'ipc'), uts: join(dir, 'uts'), ...(hostNetwork ? {} : { net: join(dir, 'net') }) };
  for (const f of Object.values(ns)) await writeFile(f, '', { mode: 0o444 });
  const flags = [`--ipc=${ns.ipc}`, `--uts=${ns.uts}`, ...(ns.net ? [`--net=${ns.net}`] : [])];
  const script = `${ns.net ? 'ip link set lo up && ' : ''}hostname "$1"`;
  try {
    await execFileP('unshare', [...flags, 'sh', '-c', script, 'sh', hostname]);
  } catch (e) {
    await removePodNamespaces(ns);
    throw new Unavailable(`cannot create the pod's namespaces: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
  return ns;
}

/** Unmounts and deletes one namespace file; a missing or unmounted one is fine. */
export async function removeNamespaceFile(path: string): Promise<void> {
  try {
    umount2(path, MNT_DETACH);
  } catch {
    /* not mounted: never made, or already removed */
  }
  await rm(path, { force: true });
}

export async function removePodNamespaces(ns: PodNamespaces): Promise<void> {
  for (const f of Object.values(ns)) await removeNamespaceFile(f);
}
