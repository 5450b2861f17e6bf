import { lstat, mkdir, mkdtemp, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MountPoint } from '../../core/metadata/index.js';
import { RootResolver } from '../../core/diff/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import type { Mount } from '../../core/snapshots/index.js';
import { resolveInRoot } from '../../core/volumes/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { lexical } from './archive.js';
import { isLive, type TreeView, type ViewDeps } from './rootfs-view.js';

/** A volume or bind of the container as cp sees it, with where it landed in the view. */
export interface MountedPoint {
  destination: string;
  rw: boolean;
  /** The mount point's components inside the view root, symlinks on the way resolved. */
  rel: string[];
  /** A file mounted on a file (a bind of one file, /etc/hosts …), not a directory. */
  file: boolean;
}

export interface MountView extends TreeView {
  mounts: MountedPoint[];
}

/** The container's volumes and binds (tmpfs lives only in the container's own mount namespace). */
export function hostMounts(rec: ContainerRecord): MountPoint[] {
  return (rec.mounts ?? []).filter((m) => m.type !== 'tmpfs' && m.source !== '');
}

/** The files berth bind-mounts over the image's own at start, by their name in the container's folder. */
const ETC_FILES = [
  ['hostname', '/etc/hostname'],
  ['hosts', '/etc/hosts'],
  ['resolv.conf', '/etc/resolv.conf'],
] as const;

/**
 * Every host path the container's processes see over its rootfs, as Docker's cp resolves paths
 * through the container's mount table: the volumes and binds, and /etc/hostname, /etc/hosts and
 * /etc/resolv.conf once a start has written them (a user mount on the same path replaces them, as
 * at start). `dir` is the container's folder.
 */
export async function viewMounts(rec: ContainerRecord, dir: string): Promise<MountPoint[]> {
  const user = hostMounts(rec);
  const etc: MountPoint[] = [];
  for (const [file, destination] of ETC_FILES) {
    if (user.some((m) => lexical(m.destination).join('/') === lexical(destination).join('/'))) continue;
    const source = join(dir, file);
    if (!(await lstat(source).catch(() => null))?.isFile()) continue;
    etc.push({ type: 'bind', source, destination, mode: '', rw: true, propagation: 'rprivate', nonRecursive: true });
  }
  return [...etc, ...user];
}

async function sourceOf(m: MountPoint): Promise<string> {
  return m.type === 'volume' && m.subpath ? resolveInRoot(m.source, m.subpath) : m.source;
}

/**
 * The container's files as its processes see them, volumes and binds included, as Docker builds
 * them for cp: the rootfs in a private mount of ours, then each volume and bind mounted on its
 * destination (parents first), read-only ones read-only. Mount points are resolved inside the view
 * the way runc resolves them, so a symlink cannot place a volume outside it, and path resolution
 * afterwards crosses into a volume with the same root: a symlink inside a volume cannot leave
 * either. Mount points the rootfs lacks (a container never started) are created, as runc would.
 */
export async function mountView(deps: ViewDeps, rec: ContainerRecord, mounts: MountPoint[]): Promise<MountView> {
  let root: Mount[];
  if (isLive(rec)) {
    root = [{ type: 'bind', source: deps.rootfsPath(rec.id), target: '', options: ['bind'] }];
  } else {
    const prepared = await deps.rootfs.prepare(rec.id, rec.layers, '/');
    const m = prepared[0];
    root = prepared.length === 1 && m?.type === 'bind' ? [{ ...m, options: ['bind'] }] : prepared;
  }
  await mkdir(deps.scratchDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(deps.scratchDir, 'fs-'));
  const release = async (): Promise<void> => {
    // One detach takes the whole stack; rmdir (never rm -r) leaves the tree alone if it failed.
    await deps.rootfs.unmount(dir);
    await rmdir(dir);
  };
  try {
    // Private: what is mounted beneath must not propagate back into the container's rootfs mount.
    await deps.rootfs.mount(root.map((m) => ({ ...m, target: dir, options: [...m.options, 'private'] })));
    const resolver = new RootResolver(dir);
    const points: MountedPoint[] = [];
    const sorted = [...mounts].sort((a, b) => lexical(a.destination).length - lexical(b.destination).length);
    for (const m of sorted) {
      const source = await sourceOf(m);
      const comps = lexical(m.destination);
      const last = comps.at(-1);
      if (last === undefined) throw new InvalidArgument(`cannot mount ${source} over the container's root`);
      const isDir = (await stat(source)).isDirectory();
      let rel: string[];
      if (isDir) rel = await resolver.resolveDir(comps, () => undefined);
      else {
        rel = [...(await resolver.resolveDir(comps.slice(0, -1), () => undefined)), last];
        const st = await lstat(resolver.abs(rel)).catch(() => null);
        if (!st) await writeFile(resolver.abs(rel), '', { flag: 'wx', mode: 0o644 });
        else if (!st.isFile()) throw new InvalidArgument(`cannot mount file ${source} on ${m.destination}: not a file in the container`);
      }
      const opts = [m.nonRecursive || m.type === 'volume' ? 'bind' : 'rbind', m.rw ? 'rw' : 'ro', 'rprivate'];
      await deps.rootfs.mount([{ type: 'bind', source, target: resolver.abs(rel), options: opts }]);
      resolver.invalidate();
      points.push({ destination: m.destination, rw: m.rw, rel, file: !isDir });
    }
    return { root: dir, mounts: points, release };
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
}

/** The mount that holds resolved path `rel` (the deepest one), or null for the rootfs itself. */
export function mountAt(view: MountView, rel: readonly string[]): MountedPoint | null {
  let best: MountedPoint | null = null;
  for (const m of view.mounts) {
    if (m.rel.length > rel.length || !m.rel.every((c, i) => rel[i] === c)) continue;
    if (!best || m.rel.length >= best.rel.length) best = m;
  }
  return best;
}

/** The view's mount points that are files, as `extractInto` names them. */
export function fileMountPoints(view: MountView): Set<string> {
  return new Set(view.mounts.filter((m) => m.file).map((m) => m.rel.join('/')));
}
