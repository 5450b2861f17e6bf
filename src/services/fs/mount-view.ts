import { lstat, mkdir, mkdtemp, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
}

export interface MountView extends TreeView {
  mounts: MountedPoint[];
}

/** The container's volumes and binds (tmpfs lives only in the container's own mount namespace). */
export function hostMounts(rec: ContainerRecord): NonNullable<ContainerRecord['mounts']> {
  return (rec.mounts ?? []).filter((m) => m.type !== 'tmpfs' && m.source !== '');
}

async function sourceOf(m: NonNullable<ContainerRecord['mounts']>[number]): Promise<string> {
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
export async function mountView(deps: ViewDeps, rec: ContainerRecord): Promise<MountView> {
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
    const sorted = [...hostMounts(rec)].sort((a, b) => lexical(a.destination).length - lexical(b.destination).length);
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
      points.push({ destination: m.destination, rw: m.rw, rel });
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
