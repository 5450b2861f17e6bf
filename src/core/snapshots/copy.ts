import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomHex, type Digest } from '../../util/index.js';
import { BaseSnapshotter, copyTree, exists } from './store.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { NO_PROJECT_QUOTA } from './quota.js';
import type { Mount, PrepareOptions } from './types.js';

/**
 * Full copies, for filesystems where overlayfs cannot work (e.g. a data root that is itself on
 * overlayfs): each layer dir holds the whole tree up to that layer, a container gets its own copy of
 * the top one and a bind mount. Costs disk and time, never correctness.
 */
export class CopySnapshotter extends BaseSnapshotter {
  readonly driver = 'copy' as const;
  readonly independentLayers = false;

  get sizeLimitRefusal(): string {
    return 'the storage driver is copy';
  }

  withRoot(root: string): CopySnapshotter {
    return new CopySnapshotter(root);
  }

  protected async seed(diff: string, parent: Digest | null, signal?: AbortSignal): Promise<void> {
    if (parent) await copyTree(this.layerPath(parent), diff, signal);
  }

  protected async committed(): Promise<void> {}
  protected async forget(): Promise<void> {}

  async prepare(containerId: string, chainIds: Digest[], rootfs: string, opts: PrepareOptions = {}): Promise<Mount[]> {
    if (opts.sizeBytes !== undefined) throw new InvalidArgument(NO_PROJECT_QUOTA);
    const dir = this.containerDir(containerId);
    const upper = join(dir, 'upper');
    if (!(await exists(upper))) {
      const top = chainIds.at(-1);
      if (top) await this.requireLayer(top);
      for (const c of chainIds) await this.requireLayer(c);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // Copy under a temp name: a half-made copy must never pass for the container's rootfs.
      const tmp = join(dir, `.upper-${randomHex(6)}`);
      await mkdir(tmp, { mode: 0o755 });
      try {
        if (top) await copyTree(this.layerPath(top), tmp);
        await rename(tmp, upper);
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    }
    return [{ type: 'bind', source: upper, target: rootfs, options: ['rbind'] }];
  }
}
