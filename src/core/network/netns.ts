import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Unavailable } from '../../errdefs/index.js';
import { MNT_DETACH, MS_BIND, createNetnsAt, mount, umount2 } from '../../sys/index.js';
import { Rtnl } from './rtnl.js';

/**
 * A persistent network namespace: a new netns bind-mounted on `path` (what `ip netns add` does, but
 * under berth's own exec root so parallel daemons never share names), its loopback up (runc does
 * that only for namespaces it makes itself). runc joins it by path. Made in berthd (sys/netlink:
 * berthd's thread enters the new namespace for the bind mount and one socket, and leaves at once).
 */
export async function createNetns(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, '', { mode: 0o444 });
  try {
    createNetnsAt(path);
  } catch (e) {
    await rm(path, { force: true });
    throw new Unavailable(`cannot create network namespace ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const ns = Rtnl.open(path);
    try {
      ns.setUp(LOOPBACK_INDEX);
    } finally {
      ns.close();
    }
  } catch (e) {
    await removeNetns(path);
    throw new Unavailable(`cannot set up the loopback of network namespace ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** A new network namespace's loopback is always its first link. */
const LOOPBACK_INDEX = 1;

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
