import { mkdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';
import { randomHex, type Digest } from '../../util/index.js';
import { BaseSnapshotter, exists } from './store.js';
import { NO_PROJECT_QUOTA, ProjectQuotas } from './quota.js';
import type { Mount, PrepareOptions } from './types.js';

/** The kernel copies overlay's option string into one page. */
const MAX_OPTIONS = 4095;

/**
 * overlayfs: each layer dir holds only its own changes, whiteouts as 0/0 devices; a container gets
 * upper/ and work/ and one overlay mount. Lower dirs are named through short links
 * (l/<id> -> ../layers/<hex>/diff), as Docker's overlay2 does, so ~100 layers fit in a page.
 */
export class OverlaySnapshotter extends BaseSnapshotter {
  readonly driver = 'overlay' as const;
  readonly independentLayers = true;

  constructor(
    root: string,
    private readonly extraOptions: string[],
    private readonly quotas: ProjectQuotas | { reason: string } = { reason: 'project quotas were not looked for' },
  ) {
    super(root);
  }

  get sizeLimitRefusal(): string | undefined {
    return this.quotas instanceof ProjectQuotas ? undefined : this.quotas.reason;
  }

  withRoot(root: string): OverlaySnapshotter {
    return new OverlaySnapshotter(root, this.extraOptions, this.quotas);
  }

  protected async seed(): Promise<void> {}

  private async shortName(dir: string): Promise<string> {
    const file = join(dir, 'link');
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const id = randomHex(10);
    await writeFile(file, id);
    return id;
  }

  /** Makes sure l/<short> points at the layer (it may be missing after a crash). */
  private async ensureLink(chainId: Digest): Promise<string> {
    const dir = this.layerDir(chainId);
    const short = await this.shortName(dir);
    const l = join(this.root, 'l', short);
    const want = `../layers/${dir.slice(dir.lastIndexOf('/') + 1)}/diff`;
    const cur = await readlink(l).catch(() => null);
    if (cur !== want) {
      await mkdir(join(this.root, 'l'), { recursive: true });
      await rm(l, { force: true });
      await symlink(want, l);
    }
    return l;
  }

  protected async committed(chainId: Digest): Promise<void> {
    await this.ensureLink(chainId);
  }

  protected async forget(_chainId: Digest, dir: string): Promise<void> {
    const short = (await readFile(join(dir, 'link'), 'utf8').catch(() => '')).trim();
    if (short) await rm(join(this.root, 'l', short), { force: true });
  }

  async prepare(containerId: string, chainIds: Digest[], rootfs: string, opts: PrepareOptions = {}): Promise<Mount[]> {
    const dir = this.containerDir(containerId);
    const quotas = this.quotas;
    if (opts.sizeBytes !== undefined && !(quotas instanceof ProjectQuotas)) throw new InvalidArgument(NO_PROJECT_QUOTA);
    const lowers: string[] = [];
    // overlayfs lists the topmost lower first.
    for (const c of [...chainIds].reverse()) {
      await this.requireLayer(c);
      lowers.push(await this.ensureLink(c));
    }
    if (lowers.length === 0) {
      // overlayfs needs a lower dir even for an image without layers.
      const empty = join(this.root, 'empty');
      await mkdir(empty, { recursive: true, mode: 0o755 });
      lowers.push(empty);
    }
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    if (!(await exists(upper))) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await mkdir(work, { recursive: true, mode: 0o700 });
      // The limit is set while upper/ is not yet in its place: a crash in between leaves no unlimited layer.
      const fresh = join(dir, '.upper-new');
      await rm(fresh, { recursive: true, force: true });
      await mkdir(fresh, { mode: 0o755 });
      if (opts.sizeBytes && quotas instanceof ProjectQuotas) quotas.limit([fresh, work], opts.sizeBytes);
      await rename(fresh, upper);
    }
    await mkdir(work, { recursive: true, mode: 0o700 });
    const options = [`lowerdir=${lowers.join(':')}`, `upperdir=${upper}`, `workdir=${work}`, ...this.extraOptions];
    const len = Buffer.byteLength(options.join(','));
    if (len > MAX_OPTIONS) {
      throw new InvalidArgument(`the image has too many layers (${chainIds.length}) for an overlay mount (${len} bytes of options)`);
    }
    return [{ type: 'overlay', source: 'overlay', target: rootfs, options }];
  }

  override async remove(containerId: string): Promise<void> {
    // The project's limit goes with the layer; its id is free again once the files are gone.
    if (this.quotas instanceof ProjectQuotas) this.quotas.release(this.upperPath(containerId));
    await super.remove(containerId);
  }

  /** The size limit and usage of a container's writable layer (undefined: it has no limit). */
  layerUsage(containerId: string): { limitBytes: number; usedBytes: number } | undefined {
    return this.quotas instanceof ProjectQuotas ? this.quotas.usage(this.upperPath(containerId)) : undefined;
  }
}
