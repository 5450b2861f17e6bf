import { stat } from 'node:fs/promises';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerDevice } from '../../core/runtime/index.js';
import { devicesFromHostConfig, groupAddFromHostConfig } from './host-options.js';

/** --device: each host path must be a character or block device; its numbers go into the spec. */
export async function resolveDevices(hc: Record<string, unknown>): Promise<ContainerDevice[]> {
  const out: ContainerDevice[] = [];
  for (const d of devicesFromHostConfig(hc)) {
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
export async function resolveGroups(hc: Record<string, unknown>, lookup: (group: string) => Promise<{ gid: number }>): Promise<number[]> {
  const out: number[] = [];
  for (const g of groupAddFromHostConfig(hc)) out.push(/^\d+$/.test(g) ? Number(g) : (await lookup(g)).gid);
  return out;
}
