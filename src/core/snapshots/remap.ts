import { lchown } from 'node:fs/promises';
import { NotFound } from '../../errdefs/index.js';
import { ownerToHost, rootOwner, type Digest, type IdMapping } from '../../util/index.js';
import { copyTree, exists } from './store.js';
import { shiftOwnership } from './shift.js';
import type { Mount, PrepareOptions, Snapshotter } from './types.js';

/**
 * Containers of a user namespace get their own copy of each image layer, with every owner shifted
 * into the namespace's host range, as Docker keeps a separate `<uid>.<gid>` storage area per remap:
 * root-owned image files then show as root inside. Layers are shifted from the host's unpacked copy
 * the first time a container needs them, and shared by every container of the same mapping.
 */
export class RemappedSnapshotter {
  constructor(
    private readonly host: Snapshotter,
    private readonly own: Snapshotter,
    readonly mapping: IdMapping,
  ) {}

  get driver(): Snapshotter['driver'] {
    return this.own.driver;
  }

  layerPath(chainId: Digest): string {
    return this.own.layerPath(chainId);
  }

  upperPath(containerId: string): string {
    return this.own.upperPath(containerId);
  }

  /** The shifted copy of a host layer; made once (concurrent callers share the work). */
  async ensureLayer(chainId: Digest, signal?: AbortSignal): Promise<void> {
    if (await this.own.hasLayer(chainId)) return;
    if (!(await this.host.hasLayer(chainId))) throw new NotFound(`layer ${chainId} not found`);
    // Each shifted layer is a copy of the host's own: for 'copy' that is already the whole tree, so no parent is seeded.
    await this.own.createLayer(
      chainId,
      null,
      async (dir) => {
        await copyTree(this.host.layerPath(chainId), dir, signal);
        await shiftOwnership(dir, (o) => ownerToHost(this.mapping, o), signal);
      },
      signal,
    );
  }

  async prepare(containerId: string, chainIds: Digest[], rootfs: string, opts?: PrepareOptions): Promise<Mount[]> {
    for (const c of chainIds) await this.ensureLayer(c);
    const upper = this.own.upperPath(containerId);
    const fresh = !(await exists(upper));
    const mounts = await this.own.prepare(containerId, chainIds, rootfs, opts);
    // overlayfs shows the upper dir as the rootfs' root directory (the copy driver's is the shifted copy already).
    if (fresh && (this.driver === 'overlay' || chainIds.length === 0)) {
      const root = rootOwner(this.mapping);
      await lchown(upper, root.uid, root.gid);
    }
    return mounts;
  }

  remove(containerId: string): Promise<void> {
    return this.own.remove(containerId);
  }

  removeLayer(chainId: Digest): Promise<void> {
    return this.own.removeLayer(chainId);
  }
}
