import { mkdir, mkdtemp, realpath, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRecord } from '../../core/metadata/index.js';
import type { Mount } from '../../core/snapshots/index.js';
import type { RootfsProvider } from '../containers/index.js';

/** A directory that shows a filesystem tree, and what undoes it (an unmount, or nothing). */
export interface TreeView {
  root: string;
  release(): Promise<void>;
}

export type ViewAccess = 'read' | 'write';

export interface ViewDeps {
  rootfs: RootfsProvider;
  /** Where the container's rootfs is mounted while it runs. */
  rootfsPath(id: string): string;
  /** Where private mounts are made (<data-root>/tmp), so that none is ever left outside the data root. */
  scratchDir: string;
}

const noop = async (): Promise<void> => undefined;

export function isLive(rec: ContainerRecord): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused';
}

function option(m: Mount, key: string): string | undefined {
  const o = m.options.find((x) => x.startsWith(`${key}=`));
  return o?.slice(key.length + 1);
}

/**
 * A read-only overlay of the container's upper dir above the image's layers: no upperdir and no
 * workdir, so it never competes with the container's own mount (overlayfs refuses an upperdir that
 * another mount uses), and a start that races a read still works.
 */
function readOnly(m: Mount): Mount {
  if (m.type !== 'overlay') return m;
  const upper = option(m, 'upperdir');
  const lower = option(m, 'lowerdir');
  if (upper === undefined || lower === undefined) return m;
  const rest = m.options.filter((o) => !/^(upperdir|workdir|lowerdir)=/.test(o));
  return { ...m, options: [`lowerdir=${upper}:${lower}`, ...rest, 'ro'] };
}

async function mountedAt(deps: ViewDeps, mounts: Mount[]): Promise<TreeView> {
  await mkdir(deps.scratchDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(deps.scratchDir, 'fs-'));
  try {
    await deps.rootfs.mount(mounts.map((m) => ({ ...m, target: dir })));
  } catch (e) {
    await rmdir(dir).catch(() => undefined);
    throw e;
  }
  return {
    root: dir,
    // rmdir, never rm -r: if the unmount failed the tree underneath must stay untouched.
    release: async () => {
      await deps.rootfs.unmount(dir);
      await rmdir(dir);
    },
  };
}

/**
 * The container's merged rootfs: the live mount while it runs, otherwise a private mount made for
 * the caller (read-only for reads) or, for the copy driver, its writable tree itself.
 */
export async function containerView(deps: ViewDeps, rec: ContainerRecord, mode: ViewAccess): Promise<TreeView> {
  if (isLive(rec)) return { root: deps.rootfsPath(rec.id), release: noop };
  const mounts = await deps.rootfs.prepare(rec.id, rec.layers, '/');
  const m = mounts[0];
  if (mounts.length === 1 && m && m.type === 'bind') return { root: m.source, release: noop };
  return mountedAt(deps, mode === 'read' ? mounts.map(readOnly) : mounts);
}

/**
 * The image's merged layers below the container (null for an image without layers): what the
 * container's changes are measured against.
 */
export async function imageView(deps: ViewDeps, rec: ContainerRecord): Promise<TreeView | null> {
  const top = rec.layers.at(-1);
  if (top === undefined) return null;
  const mounts = await deps.rootfs.prepare(rec.id, rec.layers, '/');
  const m = mounts[0];
  if (!m || m.type !== 'overlay') return { root: deps.rootfs.layerPath(rec.id, top), release: noop };
  const lowers = (option(m, 'lowerdir') ?? '').split(':').filter((l) => l !== '');
  if (lowers.length <= 1) return { root: await realpath(deps.rootfs.layerPath(rec.id, top)), release: noop };
  const rest = m.options.filter((o) => !/^(upperdir|workdir|lowerdir)=/.test(o));
  return mountedAt(deps, [{ ...m, options: [`lowerdir=${lowers.join(':')}`, ...rest, 'ro'] }]);
}

/** The container's writable layer as the driver keeps it. */
export function upperDir(deps: ViewDeps, rec: ContainerRecord): string {
  return deps.rootfs.upperPath(rec.id);
}
