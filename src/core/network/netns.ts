import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { Unavailable } from '../../errdefs/index.js';
import { MNT_DETACH, MS_BIND, mount, umount2 } from '../../sys/index.js';

const execFileP = promisify(execFile);

/**
 * A persistent network namespace: a new netns bind-mounted on `path` (what `ip netns add` does, but
 * under berth's own exec root so parallel daemons never share names), its loopback up (runc does
 * that only for namespaces it makes itself). runc joins it by path. One `unshare` process that
 * execs `ip` inside the new namespace; berthd itself never changes namespaces.
 */
export async function createNetns(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, '', { mode: 0o444 });
  try {
    await execFileP('unshare', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (e) {
    await rm(path, { force: true });
    throw new Unavailable(`cannot create network namespace ${path}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
}

/**
 * Names the network namespace a container's process is in (one runc made inside the container's
 * own user namespace, which only that namespace may enter) with a bind mount on `path`, as
 * createNetns names a new one: from here on both are handled alike.
 */
export async function adoptNetns(path: string, pid: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, '', { mode: 0o444 });
  try {
    mount(`/proc/${pid}/ns/net`, path, null, MS_BIND, null);
  } catch (e) {
    await rm(path, { force: true });
    throw new Unavailable(`cannot name the network namespace of process ${pid}: ${(e as Error).message}`, { cause: e });
  }
}

/** Unmounts and deletes a namespace file; a missing one is fine. */
export async function removeNetns(path: string): Promise<void> {
  try {
    umount2(path, MNT_DETACH);
  } catch {
    /* not mounted (already removed, or never made) */
  }
  await rm(path, { force: true });
}
