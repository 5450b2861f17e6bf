import { stat } from 'node:fs/promises';
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

/** --group-add: numeric gids as given, names looked up in the container's /etc/group. */
export async function resolveGroups(groups: readonly string[], lookup: (group: string) => Promise<{ gid: number }>): Promise<number[]> {
  const out: number[] = [];
  for (const g of groups) out.push(/^\d+$/.test(g) ? Number(g) : (await lookup(g)).gid);
  return out;
}
