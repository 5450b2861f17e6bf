import { lstat, mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { exportChanges, RootResolver, type Change } from '../../core/diff/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import { readXattrs } from '../../sys/index.js';
import { packDirectory } from '../../util/tar/index.js';
import { ownerToContainer, ownerToHost, type Digest, type Owner } from '../../util/index.js';
import type { ContainerRuntime, ContainerService, RootfsProvider } from '../containers/index.js';
import type { EventBus } from '../../core/events/index.js';
import type { ImageService } from '../images/index.js';
import { archiveOf, lexical, resolveContainerPath, statOf, type PathStat } from './archive.js';
import { commitImage, commitReference, type CommitOptions } from './commit.js';
import { overlayChanges, treeChanges, visibleChanges } from './changes.js';
import { imageUsage, type DiskUsage } from './disk-usage.js';
import { extractInto } from './extract.js';
import { Freezer } from './freezer.js';
import { fileMountPoints, hostMounts, mountAt, mountView, viewMounts, type MountView } from './mount-view.js';
import { containerView, imageView, type ViewDeps, type ViewAccess } from './rootfs-view.js';

export interface FilesystemServiceDeps {
  containers: ContainerService;
  images: ImageService;
  /** The containers' layers: mounted for a stopped container's view. */
  rootfs: RootfsProvider;
  /** Freezes a running container during cp, and reads its users. */
  runtime: Pick<ContainerRuntime, 'pause' | 'resume' | 'resolveUser'>;
  /** Where private mounts are made (<data-root>/tmp), so that none is ever left outside the data root. */
  scratchDir: string;
  bus?: EventBus;
  log(msg: string, err?: unknown): void;
}

/**
 * What users do with a container's files: cp both ways (archive), diff, commit, export, and the
 * disk usage of images and containers. Works on running containers (their live rootfs) and stopped
 * ones (a private mount made for the call).
 */
export class FilesystemService {
  readonly #view: ViewDeps;
  readonly #freezer: Freezer;

  constructor(readonly deps: FilesystemServiceDeps) {
    const { containers } = deps;
    this.#view = {
      rootfs: deps.rootfs,
      rootfsPath: (id) => containers.rootfsPath(id),
      scratchDir: deps.scratchDir,
    };
    const rt = deps.runtime;
    this.#freezer = new Freezer((id) => rt.pause(id), (id) => rt.resume(id));
  }

  #warn(rec: ContainerRecord, what: string): (e: unknown) => void {
    return (e) => this.deps.log(`${what} of ${rec.id} failed`, e);
  }

  #publish(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.deps.bus?.publish('container', action, rec.id, { ...rec.spec.labels, image: rec.spec.rootfs.image, name: rec.name, ...extra });
  }

  /**
   * Runs `fn` with the container frozen when it is running, as Docker does for cp since
   * CVE-2018-15664: a process inside cannot swap a checked directory for a symlink mid-copy.
   */
  async #frozen<T>(rec: ContainerRecord, fn: () => Promise<T>): Promise<{ value: T; thaw: () => Promise<void> }> {
    const thaw = rec.state.status === 'running' ? await this.#freezer.hold(rec.id) : async (): Promise<void> => undefined;
    try {
      return { value: await fn(), thaw };
    } catch (e) {
      await thaw();
      throw e;
    }
  }

  /** The rootfs alone when nothing is mounted over it (no mounts to make), else the full view. */
  async #treeOf(rec: ContainerRecord, mode: 'read' | 'write'): Promise<MountView> {
    const mounts = await viewMounts(rec, this.deps.containers.dir(rec.id));
    if (mounts.length > 0) return mountView(this.#view, rec, mounts);
    return { ...(await containerView(this.#view, rec, mode)), mounts: [] };
  }

  async statPath(idOrName: string, path: string): Promise<PathStat> {
    const rec = this.deps.containers.get(idOrName);
    const view = await this.#treeOf(rec, 'read');
    try {
      return await statOf(view.root, await resolveContainerPath(view.root, path, idOrName));
    } finally {
      await view.release();
    }
  }

  /** GET archive: the path's stat and a tar of it; the container stays frozen until the tar is read. */
  async getArchive(idOrName: string, path: string, signal?: AbortSignal): Promise<{ stat: PathStat; archive: Readable }> {
    const rec = this.deps.containers.get(idOrName);
    let view: MountView | undefined;
    const { value, thaw } = await this.#frozen(rec, async () => {
      view = await this.#treeOf(rec, 'read');
      const r = await resolveContainerPath(view.root, path, idOrName);
      return { stat: await statOf(view.root, r), archive: archiveOf(r, signal, outward(rec)) };
    }).catch(async (e: unknown) => {
      await view?.release();
      throw e;
    });
    const v = view as MountView;
    let done: Promise<void> | undefined;
    const finish = (): Promise<void> => (done ??= v.release().catch(this.#warn(rec, 'unmount after cp')).finally(thaw));
    // The tar ends for the client only once the container runs again: a command right after cp must not find it frozen.
    const out = new PassThrough();
    value.archive.once('end', () => void finish().then(() => out.end()));
    value.archive.once('close', () => void finish());
    value.archive.once('error', (e) => out.destroy(e));
    value.archive.pipe(out, { end: false });
    out.once('close', () => value.archive.destroy());
    this.#publish(rec, 'archive-path');
    return { stat: value.stat, archive: out };
  }

  /**
   * PUT archive: extracts a tar into the directory at `path`, confined to the container's files
   * (volumes and binds included). As Docker: refused in a read-only volume or bind, and outside
   * them when the rootfs is read-only (400 both).
   */
  async putArchive(idOrName: string, path: string, body: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; signal?: AbortSignal }): Promise<void> {
    const rec = this.deps.containers.get(idOrName);
    if (rec.spec.rootfs.readOnly && hostMounts(rec).length === 0) throw new InvalidArgument('container rootfs is marked read-only');
    let view: MountView | undefined;
    const { thaw } = await this.#frozen(rec, async () => {
      try {
        view = await this.#treeOf(rec, 'write');
        const dest = await new RootResolver(view.root).resolveDir(lexical(path)).catch((e: unknown) => {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') throw new NotFound(`Could not find the file ${path} in container ${idOrName}`);
          if (e instanceof InvalidArgument) throw new InvalidArgument('extraction point is not a directory', { cause: e });
          throw e;
        });
        const into = mountAt(view, dest);
        if (into && !into.rw) throw new InvalidArgument('mounted volume is marked read-only');
        if (!into && rec.spec.rootfs.readOnly) throw new InvalidArgument('container rootfs is marked read-only');
        const user = opts.copyUIDGID && rec.spec.process.user ? await this.deps.runtime.resolveUser(view.root, rec.spec.process.user) : undefined;
        const idMap = rec.idMap;
        await extractInto(view.root, dest, body, {
          noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
          ...(idMap ? { mapOwner: (o: Owner) => ownerToHost(idMap, o) } : {}),
          ...(user ? { owner: { uid: user.uid, gid: user.gid } } : {}),
          filePoints: fileMountPoints(view),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } finally {
        await view?.release();
      }
    });
    await thaw();
    this.#publish(rec, 'extract-to-dir');
  }

  async #changesOf(rec: ContainerRecord, signal?: AbortSignal): Promise<Change[]> {
    const upper = this.#view.rootfs.upperPath(rec.id);
    if (this.#view.rootfs.driver === 'overlay') {
      const lower = await imageView(this.#view, rec);
      try {
        return visibleChanges(await overlayChanges(upper, lower?.root ?? null, signal));
      } finally {
        await lower?.release();
      }
    }
    const top = rec.layers.at(-1);
    if (top === undefined) await mkdir(this.#view.scratchDir, { recursive: true, mode: 0o700 });
    const empty = top === undefined ? await mkdtemp(join(this.#view.scratchDir, 'empty-')) : '';
    try {
      return visibleChanges(await treeChanges(top === undefined ? null : this.#view.rootfs.layerPath(rec.id, top), upper, empty, signal));
    } finally {
      if (empty) await rmdir(empty);
    }
  }

  /** `docker diff`: the changes in the container's writable layer, sorted by path. */
  async changes(idOrName: string, signal?: AbortSignal): Promise<Change[]> {
    return this.#changesOf(this.deps.containers.get(idOrName), signal);
  }

  /** `docker export`: the merged rootfs as a tar (names without a leading '/'). */
  async export(idOrName: string, signal?: AbortSignal): Promise<Readable> {
    const rec = this.deps.containers.get(idOrName);
    const view = await containerView(this.#view, rec, 'read');
    const mapOwner = outward(rec);
    const tar = packDirectory(view.root, { xattrs: readXattrs, ...(signal ? { signal } : {}), ...(mapOwner ? { mapOwner } : {}) });
    tar.once('close', () => void view.release().catch(this.#warn(rec, 'unmount after export')));
    this.#publish(rec, 'export');
    return tar;
  }

  /** `docker commit`: a new image with one more layer made of the container's changes. */
  async commit(idOrName: string, opts: CommitOptions & { pause: boolean; signal?: AbortSignal }): Promise<Digest> {
    const rec = this.deps.containers.get(idOrName);
    commitReference(this.deps.images, opts.repo, opts.tag);
    const thaw = opts.pause && rec.state.status === 'running' ? await this.#freezer.hold(rec.id) : null;
    try {
      return await this.withLayer(rec.id, (layer) => commitImage(this.deps.images, this.deps.bus, rec, layer, opts, opts.signal), opts.signal);
    } finally {
      await thaw?.();
    }
  }

  /**
   * Runs `fn` with the (stopped) container's merged rootfs at hand: the builder writes COPY sources
   * into it and reads COPY --from sources out of it.
   */
  async withRootfs<T>(idOrName: string, mode: ViewAccess, fn: (root: string) => Promise<T>): Promise<T> {
    const view = await containerView(this.#view, this.deps.containers.get(idOrName), mode);
    try {
      return await fn(view.root);
    } finally {
      await view.release();
    }
  }

  /** The container's changes as one uncompressed layer (null when it changed nothing), handed to `fn`. */
  async withLayer<T>(idOrName: string, fn: (layer: Readable | null) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const rec = this.deps.containers.get(idOrName);
    const changes = await this.#changesOf(rec, signal);
    if (changes.length === 0) return fn(null);
    const view = await containerView(this.#view, rec, 'read');
    try {
      const mapOwner = outward(rec);
      return await fn(exportChanges(view.root, changes, { ...(signal ? { signal } : {}), ...(mapOwner ? { mapOwner } : {}) }));
    } finally {
      await view.release();
    }
  }

  /** Bytes in the container's writable layer (added and modified files). */
  async sizeRw(rec: ContainerRecord): Promise<number> {
    const upper = this.#view.rootfs.upperPath(rec.id);
    const changes = this.#view.rootfs.driver === 'overlay' ? visibleChanges(await overlayChanges(upper, null)) : await this.#changesOf(rec);
    let n = 0;
    const seen = new Set<string>();
    for (const c of changes) {
      if (c.kind === 'delete') continue;
      const st = await lstat(`${upper}/${c.path}`).catch(() => null);
      if (!st || st.isDirectory()) continue;
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      n += st.size;
    }
    return n;
  }

  /** `ps --size`: the writable layer's bytes, and those plus the image's layers (0 for an image gone meanwhile). */
  async containerSize(rec: ContainerRecord): Promise<{ sizeRw: number; sizeRootFs: number }> {
    const sizeRw = await this.sizeRw(rec).catch(() => 0);
    let imageSize = 0;
    try {
      imageSize = this.deps.images.get(rec.imageId).layers.reduce((n, l) => n + l.size, 0);
    } catch {
      /* an image removed with --force: its layers no longer count */
    }
    return { sizeRw, sizeRootFs: imageSize + sizeRw };
  }

  /** `system df`: layers, images and containers with their sizes; `containers: false` skips measuring writable layers. */
  async diskUsage(opts: { containers?: boolean } = {}): Promise<DiskUsage> {
    const containers = this.deps.containers.list();
    const { layersSize, images } = imageUsage(this.deps.images, containers);
    const imageSize = new Map(images.map((i) => [i.image.id as string, i.size]));
    const out: DiskUsage['containers'] = [];
    for (const c of opts.containers === false ? [] : containers) {
      const sizeRw = await this.sizeRw(c).catch(() => 0);
      out.push({ container: c, sizeRw, sizeRootFs: (imageSize.get(c.imageId) ?? 0) + sizeRw });
    }
    return { layersSize, images, containers: out };
  }
}

/** Files leaving a remapped container carry the ids its processes see, not the shifted host ids. */
function outward(rec: ContainerRecord): ((o: Owner) => Owner) | undefined {
  const m = rec.idMap;
  return m ? (o) => ownerToContainer(m, o) : undefined;
}
