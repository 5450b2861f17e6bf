import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerDevice } from '../../core/runtime/index.js';
import type { DeviceSpec } from '../../core/metadata/index.js';

/** --device: each host path must be a character or block device; its numbers go into the spec. */
export async function resolveDevices(devices: readonly DeviceSpec[]): Promise<ContainerDevice[]> {
  const out: ContainerDevice[] = [];
  for (const d of devices) {
    let st;
    try {
      st = await stat(d.pathOnHost);
    } catch (e) {
      throw new InvalidArgument(`error gathering device information while adding custom device "${d.pathOnHost}": no such file or directory`, { cause: e });
    }
    if (!st.isCharacterDevice() && !st.isBlockDevice()) throw new InvalidArgument(`error gathering device information while adding custom device "${d.pathOnHost}": not a device node`);
    const rdev = st.rdev;
    out.push({
      path: d.pathInContainer,
      type: st.isCharacterDevice() ? 'c' : 'b',
      major: Number((BigInt(rdev) >> 8n) & 0xfffn),
      minor: Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & 0xfff00n)),
      fileMode: st.mode & 0o777,
      uid: 0,
      gid: 0,
      permissions: d.permissions,
    });
  }
  return out;
}

function numbers(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  return { major: Number((r >> 8n) & 0xfffn), minor: Number((r & 0xffn) | ((r >> 12n) & 0xfff00n)) };
}

/** Folders of /dev that hold no device of the host's own (runc mounts its own pts, shm, mqueue). */
const NOT_DEVICES = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/**
 * --privileged (and a privileged CRI container): every character and block device of the host's
 * /dev, at the same path, with its owner and mode, as Docker and containerd give them. The console
 * is the container's own (runc's), and symlinks are not followed.
 */
export async function hostDevices(dir = '/dev'): Promise<ContainerDevice[]> {
  const out: ContainerDevice[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      if (!NOT_DEVICES.has(name)) out.push(...(await hostDevices(path)));
      continue;
    }
    if (name === 'console' || (!st.isCharacterDevice() && !st.isBlockDevice())) continue;
    out.push({ path, type: st.isCharacterDevice() ? 'c' : 'b', ...numbers(st.rdev), fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid, permissions: 'rwm' });
  }
  return out;
}

/** --group-add: numeric gids as given, names looked up in the container's /etc/group. */
export async function resolveGroups(groups: readonly string[], lookup: (group: string) => Promise<{ gid: number }>): Promise<number[]> {
  const out: number[] = [];
  for (const g of groups) out.push(/^\d+$/.test(g) ? Number(g) : (await lookup(g)).gid);
  return out;
}
