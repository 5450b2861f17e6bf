import { mkdir } from 'node:fs/promises';
import { MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID, mount, umount2 } from '../../sys/index.js';

/**
 * A shareable container's /dev/shm lives on the host, as Docker keeps it: a tmpfs berthd
 * mounts in the container's folder and binds into it and into every container that joins its IPC
 * namespace (a mount inside one container's mount namespace cannot be bound into another).
 */
export async function mountShm(path: string, sizeBytes: number): Promise<void> {
  await mkdir(path, { recursive: true });
  // Already there from an earlier start that did not clean up: a second tmpfs would hide it.
  unmountShm(path);
  mount('shm', path, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${sizeBytes}`);
}

/** Unmounts it where it is mounted; nothing otherwise. */
export function unmountShm(path: string): void {
  try {
    umount2(path, MNT_DETACH);
  } catch {
    // Not mounted (EINVAL) or not there (ENOENT).
  }
}
