import { execFile } from 'node:child_process';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Conflict, Internal, InvalidArgument, NotFound } from '../../errdefs/index.js';
import { digestHex, randomHex, type Digest } from '../../util/index.js';
import { mountsUnder, unmountAll } from './mounts.js';
import type { DriverName, Mount, Snapshotter } from './types.js';

const run = promisify(execFile);
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Temp dirs of layers a pull may continue (see createLayer's resumable), and how long they are kept. */
const PARTIAL = 'partial-';
const PARTIAL_MAX_AGE_MS = 24 * 3600_000;
/** What berthd's own work makes in tmp/ and no restart needs: views (fs-, empty-), build contexts and heredoc scripts (step-). */
const SCRATCH = /^(fs|empty|build|step)-[A-Za-z0-9]{6}$/;

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** `cp -a`: keeps owners, modes, times, hardlinks, devices and xattrs, which fs.cp does not. */
export async function copyTree(src: string, dst: string, signal?: AbortSignal): Promise<void> {
  try {
    await run('cp', ['-a', '--', `${src}/.`, dst], { maxBuffer: 1 << 20, ...(signal ? { signal } : {}) });
  } catch (e) {
    signal?.throwIfAborted();
    throw new Internal(`copying ${src} to ${dst} failed: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
}

/** Removes a tree so that it vanishes at once (rename) before the slow part (rm). */
export async function removeTree(p: string, trash: string): Promise<void> {
  const t = `${trash}/${randomHex(8)}`;
  try {
    await mkdir(trash, { recursive: true });
    await rename(p, t);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  await rm(t, { recursive: true, force: true });
}

/** What both drivers share: the layer store layout, one-time unpacking, container dirs. */
export abstract class BaseSnapshotter implements Snapshotter {
  abstract readonly driver: DriverName;
  abstract readonly independentLayers: boolean;
  abstract readonly sizeLimitRefusal: string | undefined;
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(readonly root: string) {}

  protected layerDir(chainId: Digest): string {
    return join(this.root, 'layers', digestHex(chainId));
  }
  layerPath(chainId: Digest): string {
    return join(this.layerDir(chainId), 'diff');
  }
  protected get trash(): string {
    return join(this.root, 'tmp', 'trash');
  }
  protected containerDir(id: string): string {
    if (!CONTAINER_ID.test(id)) throw new InvalidArgument(`invalid container id ${JSON.stringify(id)}`);
    return join(this.root, 'containers', id);
  }
  upperPath(containerId: string): string {
    return join(this.containerDir(containerId), 'upper');
  }

  async hasLayer(chainId: Digest): Promise<boolean> {
    return exists(this.layerPath(chainId));
  }

  protected async requireLayer(chainId: Digest): Promise<void> {
    if (!(await this.hasLayer(chainId))) throw new NotFound(`layer ${chainId} not found`);
  }

  /** Prepares the temp layer dir before `fill` (the copy driver copies the parent in). */
  protected abstract seed(diff: string, parent: Digest | null, signal?: AbortSignal): Promise<void>;
  /** Runs after the layer is in place (the overlay driver adds its short link). */
  protected abstract committed(chainId: Digest, dir: string): Promise<void>;
  protected abstract forget(chainId: Digest, dir: string): Promise<void>;
  abstract prepare(containerId: string, chainIds: Digest[], rootfs: string): Promise<Mount[]>;
  abstract withRoot(root: string): Snapshotter;

  createLayer(
    chainId: Digest,
    parent: Digest | null,
    fill: (dir: string, format: DriverName, progressFile?: string) => Promise<void>,
    signal?: AbortSignal,
    opts: { parentPending?: boolean; resumable?: boolean } = {},
  ): Promise<void> {
    const key = digestHex(chainId);
    const running = this.inflight.get(key);
    if (running) return running;
    if (opts.parentPending && !this.independentLayers) {
      return Promise.reject(new InvalidArgument(`the ${this.driver} driver unpacks a layer only on top of its finished parent`));
    }
    const resumable = opts.resumable === true && this.independentLayers;
    const p = this.unpack(chainId, parent, fill, signal, opts.parentPending === true, resumable).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async unpack(
    chainId: Digest,
    parent: Digest | null,
    fill: (dir: string, format: DriverName, progressFile?: string) => Promise<void>,
    signal: AbortSignal | undefined,
    parentPending: boolean,
    resumable: boolean,
  ): Promise<void> {
    const final = this.layerDir(chainId);
    if (await exists(join(final, 'diff'))) return;
    if (parent && !parentPending) await this.requireLayer(parent);
    // A resumable layer's temp dir has a fixed name: the next try (after a kill -9 too) finds it.
    const tmp = resumable ? join(this.root, 'tmp', `${PARTIAL}${digestHex(chainId)}`) : join(this.root, 'tmp', `layer-${digestHex(chainId).slice(0, 12)}-${randomHex(6)}`);
    const progress = resumable ? join(tmp, 'progress') : undefined;
    await mkdir(join(tmp, 'diff'), { recursive: true, mode: 0o700 });
    try {
      await this.seed(join(tmp, 'diff'), parent, signal);
      signal?.throwIfAborted();
      await fill(join(tmp, 'diff'), this.driver, progress);
      signal?.throwIfAborted();
      if (progress) await rm(progress, { force: true });
      await mkdir(join(this.root, 'layers'), { recursive: true });
      // A leftover dir without diff/ (crash mid-remove) would block the rename.
      if (await exists(final)) await removeTree(final, this.trash);
      await rename(tmp, final);
    } catch (e) {
      if (!resumable || e instanceof InvalidArgument) await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    await this.committed(chainId, final);
  }

  /**
   * Removes what a killed process left in tmp/: layers half unpacked (a pull unpacks while it
   * downloads, so a kill -9 mid-pull leaves one) and trees it was removing. Run at start-up only.
   */
  async removeLeftovers(): Promise<void> {
    const tmp = join(this.root, 'tmp');
    // A killed berthd leaves its private views (a stopped container's tree mounted for cp, diff or
    // commit) mounted here. They go first, deepest first, so nothing below is deleted through them;
    // if one cannot be detached, the folders holding it are left alone.
    let stuck = false;
    for (const m of await mountsUnder(tmp)) await unmountAll(m).catch(() => { stuck = true; });
    const names = await readdir(tmp).catch(() => [] as string[]);
    // A partial layer's age is that of its progress record (written as the unpack goes), else of its dir.
    const age = async (dir: string): Promise<number> => {
      const st = (await stat(join(dir, 'progress')).catch(() => null)) ?? (await stat(dir).catch(() => null));
      return Date.now() - (st?.mtimeMs ?? 0);
    };
    for (const n of names) {
      const stale = n.startsWith(PARTIAL) && (await age(join(tmp, n))) > PARTIAL_MAX_AGE_MS;
      const scratch = !stuck && SCRATCH.test(n);
      if (n.startsWith('layer-') || n === 'trash' || stale || scratch) await rm(join(tmp, n), { recursive: true, force: true });
    }
  }

  async removeLayer(chainId: Digest): Promise<void> {
    const dir = this.layerDir(chainId);
    await this.forget(chainId, dir);
    await removeTree(dir, this.trash);
  }

  async remove(containerId: string): Promise<void> {
    const dir = this.containerDir(containerId);
    for (const m of await mountsUnder(dir)) await unmountAll(m);
    if ((await mountsUnder(dir)).length > 0) throw new Conflict(`container ${containerId} still has mounts under ${dir}`);
    await removeTree(dir, this.trash);
  }
}
