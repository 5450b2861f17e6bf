import { InvalidArgument } from '../errdefs/index.js';

/** One line of a user namespace map: `size` ids from `containerId` inside are `hostId`… outside. */
export interface IdRange {
  containerId: number;
  hostId: number;
  size: number;
}

/** A container's uid and gid maps (what /proc/<pid>/uid_map and gid_map hold). */
export interface IdMapping {
  uids: IdRange[];
  gids: IdRange[];
}

/** What the kernel shows for an id the namespace does not map (/proc/sys/kernel/overflowuid). */
export const OVERFLOW_ID = 65534;

function toHostId(ranges: IdRange[], id: number, kind: 'uid' | 'gid'): number {
  for (const r of ranges) if (id >= r.containerId && id < r.containerId + r.size) return r.hostId + (id - r.containerId);
  throw new InvalidArgument(`container ${kind} ${id} cannot be mapped to a host ${kind}`);
}

function toContainerId(ranges: IdRange[], id: number): number {
  for (const r of ranges) if (id >= r.hostId && id < r.hostId + r.size) return r.containerId + (id - r.hostId);
  return OVERFLOW_ID;
}

export interface Owner {
  uid: number;
  gid: number;
}

/** Ids as seen inside the container → ids on the host; an id outside the map is refused. */
export function ownerToHost(m: IdMapping, o: Owner): Owner {
  return { uid: toHostId(m.uids, o.uid, 'uid'), gid: toHostId(m.gids, o.gid, 'gid') };
}

/** Host ids → ids as seen inside the container; what the map does not cover shows as the overflow id, as the kernel does. */
export function ownerToContainer(m: IdMapping, o: Owner): Owner {
  return { uid: toContainerId(m.uids, o.uid), gid: toContainerId(m.gids, o.gid) };
}

/** The host ids of the container's root (the owner of everything the container itself creates as root). */
export function rootOwner(m: IdMapping): Owner {
  return ownerToHost(m, { uid: 0, gid: 0 });
}

/** Docker's name for a remapped storage area: `<uid>.<gid>` of the container's root on the host. */
export function mappingKey(m: IdMapping): string {
  const r = rootOwner(m);
  return `${r.uid}.${r.gid}`;
}
